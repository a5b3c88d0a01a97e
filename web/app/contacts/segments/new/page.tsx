import type { Metadata } from 'next';
import Link from 'next/link';
import { listAttributeDefinitions } from '@server/db/contacts';
import { requireUser } from '@/lib/auth';
import { getDb } from '@/lib/server';
import { SegmentEditor } from '@/app/contacts/segments/segment-editor';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'New segment' };

export default async function NewSegmentPage() {
  await requireUser();
  const types = Object.fromEntries((await listAttributeDefinitions(await getDb())).map((d) => [d.name, d.type]));
  const first = Object.keys(types)[0] ?? 'email';
  return (
    <section>
      <p className="crumbs">
        <Link href="/contacts">Contacts</Link> / <Link href="/contacts/segments">Segments</Link> / New
      </p>
      <h1>New segment</h1>
      <SegmentEditor initialName="" initialMatch="all" initialRows={[{ field: first, op: 'exists', value: '' }]} types={types} />
    </section>
  );
}
