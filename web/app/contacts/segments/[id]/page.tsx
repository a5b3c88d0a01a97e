import type { Metadata } from 'next';
import Link from 'next/link';
import { listAttributeDefinitions } from '@server/db/contacts';
import { visibleSegment } from '@server/access';
import { orNotFound } from '@/lib/not-found';
import { requireUser } from '@/lib/auth';
import { getDb } from '@/lib/server';
import { SegmentEditor } from '@/app/contacts/segments/segment-editor';
import { rowsOf } from '@/components/filter-editor/filter-rules';
import { DeleteSegmentButton } from '@/app/contacts/segments/[id]/delete-segment-button';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Segment' };

type Props = {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
};

export default async function SegmentPage({ params, searchParams }: Props) {
  const user = await requireUser();
  const [{ id }, query] = await Promise.all([params, searchParams]);
  const db = await getDb();
  const segment = await orNotFound(visibleSegment(db, user, id));
  const types = Object.fromEntries((await listAttributeDefinitions(db)).map((d) => [d.name, d.type]));
  return (
    <section>
      <p className="crumbs">
        <Link href="/contacts">Contacts</Link> / <Link href="/contacts/segments">Segments</Link> / {segment.name}
      </p>
      <div className="page-head">
        <h1 data-testid="segment-title">{segment.name}</h1>
        <div className="head-actions">
          <DeleteSegmentButton segmentId={segment.id} />
        </div>
      </div>
      {query.saved && (
        <p className="notice notice--success" data-testid="segment-saved">
          Saved. Start a run for it from a flow's Start a run page.
        </p>
      )}
      <SegmentEditor
        key={segment.updatedAt}
        segmentId={segment.id}
        initialName={segment.name}
        initialMatch={segment.filter.match}
        initialRows={rowsOf(segment.filter.rules)}
        types={types}
      />
    </section>
  );
}
