import type { Metadata } from 'next';
import Link from 'next/link';
import { describeFilter } from '@domain/contact-filter';
import { countMatching } from '@server/db/contact-filter';
import { visibleSegments } from '@server/access';
import { formatTime } from '@/lib/format';
import { requireUser } from '@/lib/auth';
import { getDb } from '@/lib/server';
import { Count } from '@/components/count';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Segments' };

/** Saved contact filters, each with how many subscribed contacts it matches now. */
export default async function SegmentsPage() {
  const user = await requireUser();
  const db = await getDb();
  const segments = await visibleSegments(db, user);
  const counts: { subscribed: number }[] = [];
  for (const s of segments) counts.push(await countMatching(db, s.filter));
  return (
    <section>
      <p className="crumbs">
        <Link href="/contacts">Contacts</Link> / Segments
      </p>
      <div className="page-head">
        <h1>Segments</h1>
        <div className="head-actions">
          <Link className="button primary" href="/contacts/segments/new" data-testid="new-segment">
            New segment
          </Link>
        </div>
      </div>
      <p className="hint">
        A segment is the contacts whose attributes match its rules. A run for a segment mails the subscribed contacts it matches when the run starts.
      </p>
      {segments.length === 0 ? (
        <p className="empty">No segments yet.</p>
      ) : (
        <table className="table" data-testid="segments-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Rules</th>
              <th>Subscribed</th>
              <th>Changed</th>
            </tr>
          </thead>
          <tbody>
            {segments.map((s, i) => (
              <tr key={s.id} data-testid={`segment-row-${s.id}`}>
                <td>
                  <Link href={`/contacts/segments/${s.id}`} data-testid={`segment-link-${s.id}`}>
                    {s.name}
                  </Link>
                </td>
                <td className="muted">{describeFilter(s.filter)}</td>
                <td data-testid={`segment-subscribed-${s.id}`}>
                  <Count value={counts[i]?.subscribed ?? 0} />
                </td>
                <td>{formatTime(s.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
