import type { Metadata } from 'next';
import Link from 'next/link';
import { visibleLists } from '@server/access';
import { formatTime } from '@/lib/format';
import { requireUser } from '@/lib/auth';
import { getDb } from '@/lib/server';
import { CreateListForm } from '@/app/lists/create-list-form';
import { DeleteListButton } from '@/app/lists/delete-list-button';
import { Count } from '@/components/count';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Lists' };

/** Static lists: contacts are added and removed by hand on the list's page or the contact's; a run's audience can be a list. */
export default async function ListsPage() {
  const user = await requireUser();
  const lists = await visibleLists(await getDb(), user);
  return (
    <section>
      <div className="page-head">
        <h1>Lists</h1>
      </div>
      <p className="hint">
        Open a list to see, add and remove its members (or add a contact on the contact's page). A run for a list mails its subscribed members,
        counted when the run starts.
        {user.role === 'admin' ? ' You see every list.' : ' You see the lists you made.'}
      </p>
      <CreateListForm />
      {lists.length === 0 ? (
        <p className="empty">No lists yet.</p>
      ) : (
        <table className="table" data-testid="lists-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Members</th>
              <th>Subscribed</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {lists.map((l) => (
              <tr key={l.id} data-testid={`list-row-${l.id}`}>
                <td>
                  <Link href={`/lists/${encodeURIComponent(l.id)}`} data-testid={`list-link-${l.id}`}>
                    {l.name}
                  </Link>
                </td>
                <td>
                  <Count value={l.members} />
                </td>
                <td>
                  <Count value={l.subscribed} />
                </td>
                <td>{formatTime(l.createdAt)}</td>
                <td>
                  <DeleteListButton listId={l.id} name={l.name} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
