import type { Metadata } from 'next';
import Link from 'next/link';
import { mayOpenTemporal } from '@server/access';
import { temporalWorkflowUrl } from '@server/config';
import { runPage } from '@server/runs/report';
import { describeFilter } from '@domain/contact-filter';
import { stepTitle } from '@domain/flow/step-title';
import { AutoRefresh } from '@/components/auto-refresh';
import { DeliveryLog } from '@/components/delivery-log';
import { Pager } from '@/components/pager';
import { formatTime } from '@/lib/format';
import { requireUser } from '@/lib/auth';
import { orNotFound } from '@/lib/not-found';
import { getConfig, getDb } from '@/lib/server';
import { HeldForReview } from './held-for-review';
import { RunControls } from './run-controls';
import { SenderPaces } from './sender-paces';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Run' };

const PAGE = 50;
const offsetOf = (v: string | string[] | undefined) => Math.max(0, Number.parseInt(typeof v === 'string' ? v : '0', 10) || 0);

/** The states a recipient can be in, as the run page counts them. */
const STATES = [
  ['waiting', 'Waiting (a delay or a send window)'],
  ['due', 'Due'],
  ['sending', 'Sending'],
  ['retrying', 'Retrying on its own'],
  ['held', 'Held for review'],
  ['completed', 'Completed'],
  ['failed', 'Failed'],
  ['cancelled', 'Cancelled'],
  ['skipped', 'Skipped (unsubscribed)'],
] as const;

export default async function RunPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const user = await requireUser();
  const { id } = await params;
  const query = await searchParams;
  const db = await getDb();
  const recipientsAt = offsetOf(query.recipients);
  const attemptsAt = offsetOf(query.attempts);
  // Steps show by the names given in the editor, carried in the run's plan.
  const { report, recipients, attempts, held, plan } = await orNotFound(runPage(db, user, id, { recipientsAt, attemptsAt, limit: PAGE }));
  const { run, counts } = report;
  const config = getConfig();
  const active = run.status === 'running' || run.status === 'paused';
  const total = STATES.reduce((n, [state]) => n + counts[state], 0) + counts.journey;
  const pages = { recipients: String(recipientsAt), attempts: String(attemptsAt) };

  return (
    <section>
      <AutoRefresh intervalMs={2000} active={active} />
      <p className="crumbs">
        <Link href="/runs">Runs</Link> / {run.id}
      </p>
      <h1>
        <Link href={`/flows/${run.flowId}`}>{run.flowName}</Link> <span className="muted">v{run.version}</span>{' '}
        <span className={`status status--${run.status}`} data-testid="run-status">
          {run.status}
        </span>
      </h1>
      <p className="muted">
        Started {formatTime(run.createdAt)}
        {run.finishedAt ? ` · finished ${formatTime(run.finishedAt)}` : ''}
        {report.estimatedFinish ? ` · estimated finish ${formatTime(report.estimatedFinish)}` : ''}
        {report.recentRate > 0 ? ` · ${report.recentRate.toFixed(1)} messages/s` : ''}
        {run.workflowId && mayOpenTemporal(user) && (
          <>
            {' · '}
            <a href={temporalWorkflowUrl(config, run.workflowId)} target="_blank" rel="noreferrer" data-testid="campaign-temporal-link">
              Campaign workflow in Temporal ↗
            </a>
          </>
        )}
      </p>
      {run.audience.kind === 'segment' && (
        <p className="muted" data-testid="run-audience">
          Audience: the subscribed contacts of <Link href={`/contacts/segments/${run.audience.segmentId}`}>a segment</Link> when the run started (
          {describeFilter(run.audience.filter)})
        </p>
      )}
      <RunControls runId={run.id} status={run.status} />
      <SenderPaces senders={report.senders} />

      <dl className="counts" data-testid="run-counts">
        <div className="counts__item">
          <dt>Recipients</dt>
          <dd>{total}</dd>
        </div>
        {STATES.map(([state, label]) => (
          <div key={state} className={`counts__item counts__item--${state}`} data-testid={`count-${state}`}>
            <dt>{label}</dt>
            <dd>{counts[state]}</dd>
          </div>
        ))}
        <div className="counts__item" data-testid="count-messages-sent">
          <dt>Messages sent</dt>
          <dd>{counts.messagesSent}</dd>
        </div>
      </dl>

      {counts.held > 0 && <HeldForReview runId={run.id} held={held} total={counts.held} />}

      <h2>Recipients</h2>
      <table className="table">
        <thead>
          <tr>
            <th>Email</th>
            <th>Name</th>
            <th>Status</th>
            <th>Step</th>
            <th>Updated</th>
            <th>History</th>
          </tr>
        </thead>
        <tbody>
          {recipients.items.map((r) => (
            <tr key={r.id} data-testid={`run-contact-${r.id}`}>
              <td>{r.email}</td>
              <td>{r.name}</td>
              <td data-testid="status">
                <span className={`status status--${r.status}`}>{r.status === 'pending' && r.dueAt > Date.now() ? 'waiting' : r.status}</span>
              </td>
              <td title={r.nodeId ?? undefined}>{r.nodeId ? stepTitle(plan?.steps[r.nodeId], r.nodeId) : '—'}</td>
              <td>{formatTime(r.updatedAt)}</td>
              <td>
                {mayOpenTemporal(user) ? (
                  <a href={temporalWorkflowUrl(config, r.workflowId)} target="_blank" rel="noreferrer" data-testid="temporal-link">
                    {r.workflowId.startsWith('retry:') ? 'Its retry workflow ↗' : 'Open in Temporal ↗'}
                  </a>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager param="recipients" offset={recipientsAt} limit={PAGE} total={recipients.total} query={pages} />

      <h2>Delivery log</h2>
      <DeliveryLog
        attempts={attempts.items}
        empty={`No delivery attempts yet${active ? ': recipients may still be waiting in a Delay or for a Send window.' : '.'}`}
        source={{ header: 'Contact', cell: (a) => a.email ?? a.contactId }}
        last={{
          header: 'History',
          cell: (a) =>
            mayOpenTemporal(user) ? (
              <a href={temporalWorkflowUrl(config, a.workflowId)} target="_blank" rel="noreferrer" title={`Message-ID ${a.messageId}`}>
                {a.workflowId.startsWith('retry:') ? 'Retry workflow ↗' : 'Workflow ↗'}
              </a>
            ) : (
              <span className="muted">—</span>
            ),
        }}
        testIds={{ row: 'attempt-row' }}
        stepName={(a) => stepTitle(plan?.steps[a.nodeId], a.nodeId)}
      />
      <Pager param="attempts" offset={attemptsAt} limit={PAGE} total={attempts.total} query={pages} />
    </section>
  );
}
