import type { Metadata } from 'next';
import Link from 'next/link';
import { runsOverview } from '@server/runs/report';
import { journeyFlows } from '@server/runs/journeys';
import { formatTime } from '@/lib/format';
import { requireUser } from '@/lib/auth';
import { getDb } from '@/lib/server';
import { Count } from '@/components/count';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Runs' };

export default async function RunsPage() {
  const user = await requireUser();
  const db = await getDb();
  const { runs, totals, sendingPaused } = await runsOverview(db, user);
  const journeys = await journeyFlows(db, user);
  return (
    <section>
      <div className="page-head">
        <h1>Runs</h1>
      </div>
      {runs.length === 0 ? (
        <p className="empty">
          No runs yet. Publish a flow, then start a run from <Link href="/flows">Flows</Link>.
        </p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Started</th>
              <th>Flow</th>
              <th>Version</th>
              <th>Status</th>
              <th>Recipients</th>
              <th>Completed</th>
              <th>Failed</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => {
              const c = totals.get(run.id) ?? { recipients: 0, completed: 0, failed: 0 };
              return (
                <tr key={run.id} data-testid={`run-row-${run.id}`}>
                  <td>{formatTime(run.createdAt)}</td>
                  <td>
                    <Link href={`/flows/${run.flowId}`}>{run.flowName}</Link>
                  </td>
                  <td>v{run.version}</td>
                  <td>
                    {sendingPaused.has(run.id) ? (
                      <span className="status status--paused" title="Sending is paused: open the run to see why">
                        paused
                      </span>
                    ) : (
                      <span className={`status status--${run.status}`}>{run.status}</span>
                    )}
                  </td>
                  <td>
                    <Count value={c.recipients} />
                  </td>
                  <td>
                    <Count value={c.completed} />
                  </td>
                  <td>
                    {c.failed > 0 ? (
                      <span className="status status--failed">
                        <Count value={c.failed} />
                      </span>
                    ) : (
                      0
                    )}
                  </td>
                  <td>
                    <Link href={`/runs/${run.id}`}>Open</Link>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {journeys.length > 0 && (
        <>
          <h2>Journeys started by events and lists</h2>
          <table className="table" data-testid="journey-flows">
            <thead>
              <tr>
                <th>Flow</th>
                <th>Journeys</th>
                <th>Last started</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {journeys.map((f) => (
                <tr key={f.id} data-testid={`journey-flow-${f.id}`}>
                  <td>
                    <Link href={`/flows/${f.id}`}>{f.name}</Link>
                  </td>
                  <td>
                    <Count value={f.journeys} />
                  </td>
                  <td>{formatTime(f.lastAt)}</td>
                  <td>
                    <Link href={`/flows/${f.id}/report`}>Report</Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
