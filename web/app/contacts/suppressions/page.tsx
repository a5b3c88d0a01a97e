import type { Metadata } from 'next';
import Link from 'next/link';
import { suppressionsFor } from '@server/suppressions';
import { Pager } from '@/components/pager';
import { requireAdminPage } from '@/lib/auth';
import { formatTime } from '@/lib/format';
import { PageQuery } from '@/lib/paging';
import { getDb } from '@/lib/server';
import { LiftButton } from '@/app/contacts/suppressions/lift-button';
import { Count } from '@/components/count';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Suppressions' };

const PAGE = 50;
const FILTERS = [
  { status: undefined, label: 'All' },
  { status: 'unsubscribed', label: 'Unsubscribed' },
  { status: 'suppressed', label: 'Suppressed (bounced)' },
] as const;

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

/** Contacts campaigns do not mail, latest first, a page at a time from the server; admins lift them here. */
export default async function SuppressionsPage({ searchParams }: Props) {
  const me = await requireAdminPage();
  const raw = await searchParams;
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const status = FILTERS.find((f) => f.status !== undefined && f.status === first(raw.status))?.status;
  const paged = PageQuery.safeParse({ offset: first(raw.offset), limit: PAGE });
  const page = paged.success ? paged.data : { offset: 0, limit: PAGE };
  const { items, total } = await suppressionsFor(await getDb(), me, status, page);
  return (
    <section>
      <p className="crumbs">
        <Link href="/contacts">Contacts</Link> / Suppressions
      </p>
      <h1>Suppressions</h1>
      <p className="muted">
        Campaigns skip these contacts: they unsubscribed, or their mail server refused the address. One-off messages still reach them. Lift one only
        when the person asked again or the address works again.
      </p>
      <nav className="head-actions" aria-label="Filter">
        {FILTERS.map((f) => (
          <Link
            key={f.label}
            href={f.status ? `?status=${f.status}` : '?'}
            aria-current={f.status === status ? 'page' : undefined}
            className={f.status === status ? 'button primary' : 'button'}
          >
            {f.label}
          </Link>
        ))}
      </nav>
      <p className="muted" data-testid="suppression-total">
        <Count value={total} /> contact{total === 1 ? '' : 's'}
      </p>
      {items.length === 0 ? (
        <p className="empty">Nobody here: every contact is subscribed.</p>
      ) : (
        <table className="table" data-testid="suppressions">
          <thead>
            <tr>
              <th>Email</th>
              <th>Status</th>
              <th>Reason</th>
              <th>Since</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {items.map((s) => (
              <tr key={s.contactId} data-testid={`suppression-row-${s.contactId}`}>
                <td>
                  <Link href={`/contacts/${s.contactId}`}>{s.email}</Link>
                </td>
                <td>
                  <span className="badge">{s.status}</span>
                </td>
                <td className="small">{s.reason ?? ''}</td>
                <td>{s.at ? formatTime(s.at) : ''}</td>
                <td>
                  <LiftButton contactId={s.contactId} email={s.email} status={s.status} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager param="offset" offset={page.offset} limit={page.limit} total={total} query={status ? { status } : {}} />
    </section>
  );
}
