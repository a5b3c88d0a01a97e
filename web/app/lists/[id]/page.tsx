import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { visibleListMembers } from '@server/access';
import { UserError } from '@server/errors';
import { Pager } from '@/components/pager';
import { formatTime } from '@/lib/format';
import { requireUser } from '@/lib/auth';
import { PageQuery } from '@/lib/paging';
import { getDb } from '@/lib/server';
import { AddListMember, RemoveListMember } from '@/app/lists/[id]/list-members';
import { Count } from '@/components/count';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'List' };

const PAGE = 50;

type Props = { params: Promise<{ id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> };

/** A list's members, the latest added first, a page at a time from the server, searched by email or name; contacts added by an email search, removed one by one. */
export default async function ListPage({ params, searchParams }: Props) {
  const user = await requireUser();
  const { id } = await params;
  const raw = await searchParams;
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const q = (first(raw.q) ?? '').slice(0, 200);
  const paged = PageQuery.safeParse({ offset: first(raw.offset), limit: PAGE });
  const page = paged.success ? paged.data : { offset: 0, limit: PAGE };
  let found: Awaited<ReturnType<typeof visibleListMembers>>;
  try {
    found = await visibleListMembers(await getDb(), user, id, { q, ...page });
  } catch (err) {
    if (err instanceof UserError && err.status === 404) notFound();
    throw err;
  }
  const { list, members, total } = found;
  return (
    <section>
      <div className="page-head">
        <h1 data-testid="list-name">{list.name}</h1>
        <div className="head-actions">
          <Link className="button" href="/lists">
            All lists
          </Link>
        </div>
      </div>
      <p className="muted" data-testid="list-counts">
        <Count value={list.members} /> member{list.members === 1 ? '' : 's'}, <Count value={list.subscribed} /> subscribed (what a run for this list
        would mail).
      </p>
      <AddListMember listId={list.id} />
      <form className="form form--row" method="get" aria-label="Search the members" data-testid="list-search-form">
        <div className="field">
          <label htmlFor="list-search">Search the members</label>
          <input id="list-search" name="q" type="search" defaultValue={q} placeholder="email or name" data-testid="list-search" />
        </div>
        <div className="form__actions">
          <button type="submit" className="button" data-testid="list-search-submit">
            Search
          </button>
        </div>
      </form>
      <p className="muted" data-testid="list-total">
        <Count value={total} /> member{total === 1 ? '' : 's'}
        {q ? ` matching “${q}”` : ''}
      </p>
      {members.length === 0 ? (
        <p className="empty">{q ? 'No member matches.' : 'No members yet: add contacts above, or import a CSV file into this list.'}</p>
      ) : (
        <table className="table" data-testid="list-members">
          <thead>
            <tr>
              <th>Email</th>
              <th>Name</th>
              <th>Subscription</th>
              <th>Added to the list</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {members.map((m) => (
              <tr key={m.id} data-testid={`list-member-${m.id}`}>
                <td>
                  <Link href={`/contacts/${m.id}`}>{m.email}</Link>
                </td>
                <td>{m.name}</td>
                <td>
                  <span className="badge">{m.status}</span>
                </td>
                <td>{formatTime(m.addedAt)}</td>
                <td>
                  <RemoveListMember listId={list.id} contact={m} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager param="offset" offset={page.offset} limit={page.limit} total={total} query={q ? { q } : {}} />
    </section>
  );
}
