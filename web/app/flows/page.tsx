import type { Metadata } from 'next';
import Link from 'next/link';
import { visibleFlows } from '@server/access';
import { formatTime } from '@/lib/format';
import { requireUser } from '@/lib/auth';
import { getDb } from '@/lib/server';
import { ImportFlowButton } from '@/app/flows/import-flow-button';
import { NewFlowButton } from '@/app/flows/new-flow-button';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Flows' };

export default async function FlowsPage() {
  const user = await requireUser();
  const flows = await visibleFlows(await getDb(), user);
  return (
    <section>
      <div className="page-head">
        <h1>Flows</h1>
        <div className="inline-action">
          <ImportFlowButton />
          <NewFlowButton />
        </div>
      </div>
      {flows.length === 0 ? (
        <p className="empty">No flows yet. Create one with “New flow”.</p>
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
                <td>{flow.latestVersion === null ? <span className="muted">not published</span> : `v${flow.latestVersion}`}</td>
                <td>{formatTime(flow.updatedAt)}</td>
                <td className="actions">
                  <Link href={`/flows/${flow.id}`}>Edit</Link>
                  {flow.latestVersion !== null && <Link href={`/flows/${flow.id}/run?version=${flow.latestVersion}`}>Start a run</Link>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
