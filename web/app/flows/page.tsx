import type { Metadata } from 'next';
import Link from 'next/link';
import { visibleArchivedCount, visibleFlows } from '@server/access';
import { formatTime } from '@/lib/format';
import { requireUser } from '@/lib/auth';
import { getDb } from '@/lib/server';
import { FlowActions } from '@/app/flows/flow-actions';
import { ImportFlowButton } from '@/app/flows/import-flow-button';
import { NewFlowButton } from '@/app/flows/new-flow-button';
import { Count } from '@/components/count';
import { GettingStarted } from '@/app/flows/getting-started';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Flows' };

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

/** The flows in use, or with ?archived=1 the archived ones (restorable). */
export default async function FlowsPage({ searchParams }: Props) {
  const user = await requireUser();
  const archived = (await searchParams).archived === '1';
  const db = await getDb();
  const [flows, archivedCount] = await Promise.all([visibleFlows(db, user, { archived }), visibleArchivedCount(db, user)]);
  return (
    <section>
      <div className="page-head">
        <h1>{archived ? 'Archived flows' : 'Flows'}</h1>
        <div className="inline-action">
          <ImportFlowButton />
          <NewFlowButton />
        </div>
      </div>
      {!archived && <GettingStarted user={user} flows={flows} />}
      <p className="flows-view">
        {archived ? (
          <Link href="/flows" data-testid="flows-in-use">
            ← Flows in use
          </Link>
        ) : (
          archivedCount > 0 && (
            <Link href="/flows?archived=1" data-testid="archived-flows">
              Archived flows (<Count value={archivedCount} />)
            </Link>
          )
        )}
      </p>
      {flows.length === 0 ? (
        <p className="empty">{archived ? 'No archived flows.' : 'No flows yet. Create one with “New flow”.'}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Latest published version</th>
              <th>Updated</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {flows.map((flow) => (
              <tr key={flow.id} data-testid={`flow-row-${flow.id}`}>
                <td>
                  <Link href={`/flows/${flow.id}`}>{flow.name}</Link>
                </td>
                <td>
                  {flow.latestVersion === null ? <span className="muted">not published</span> : `v${flow.latestVersion}`}
                  {flow.unpublishedChanges && (
                    <span className="badge badge--warning" data-testid="flow-unpublished">
                      unpublished changes
                    </span>
                  )}
                </td>
                <td>{formatTime(flow.updatedAt)}</td>
                <td className="actions">
                  <Link href={`/flows/${flow.id}`}>Edit</Link>
                  {flow.latestVersion !== null && <Link href={`/flows/${flow.id}/run?version=${flow.latestVersion}`}>Start a run</Link>}
                  <FlowActions flowId={flow.id} name={flow.name} archived={archived} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
