import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { listImportProblems } from '@server/db/imports';
import { UserError } from '@server/errors';
import { visibleImport } from '@server/imports';
import { requireUser } from '@/lib/auth';
import { getDb } from '@/lib/server';
import { ImportProgressView } from '@/app/contacts/import/[id]/import-progress';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Import' };

/** One import: its progress while the job runs (polled), then its counts and every refused row by line. */
export default async function ImportStatusPage({ params }: { params: Promise<{ id: string }> }) {
  const user = await requireUser();
  const { id } = await params;
  const db = await getDb();
  const found = await visibleImport(db, user, id).catch((err: unknown) => {
    if (err instanceof UserError && err.status === 404) notFound();
    throw err;
  });
  const { ownerId: _owner, ...progress } = found;
  const problems = await listImportProblems(db, id, { offset: 0, limit: 200 });
  return (
    <section>
      <div className="page-head">
        <h1>Import of {progress.fileName}</h1>
      </div>
      <ImportProgressView initial={{ import: progress, problems }} />
    </section>
  );
}
