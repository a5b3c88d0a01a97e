import type { Metadata } from 'next';
import { importReport } from '@server/imports';
import { requireUser } from '@/lib/auth';
import { orNotFound } from '@/lib/not-found';
import { getDb } from '@/lib/server';
import { ImportProgressView } from '@/app/contacts/import/[id]/import-progress';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Import' };

/** One import: its progress while the job runs (polled), then its counts and every refused row by line. */
export default async function ImportStatusPage({ params }: { params: Promise<{ id: string }> }) {
  const user = await requireUser();
  const { id } = await params;
  const db = await getDb();
  const report = await orNotFound(importReport(db, user, id));
  return (
    <section>
      <div className="page-head">
        <h1>Import of {report.import.fileName}</h1>
      </div>
      <ImportProgressView initial={report} />
    </section>
  );
}
