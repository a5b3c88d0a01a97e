import type { Metadata } from 'next';
import Link from 'next/link';
import { mayOpenTemporal, mayUseFlow } from '@server/access';
import { listProfiles } from '@server/profiles';
import { temporalWorkflowUrl } from '@server/config';
import { runPage } from '@server/runs/report';
import { runEngagementAs } from '@server/engagement';
import { describeFilter } from '@domain/contact-filter';
import { CONTROL_CHARACTERS } from '@domain/text';
import { DeliveryLogFilter, LogPage, REASON_LABELS, RECONCILE_SET_LABELS, ReconcileSelection } from '@domain/delivery-log';
import { stepTitle } from '@domain/flow/step-title';
import { AutoRefresh } from '@/components/auto-refresh';
import { DeliveryLog } from '@/components/delivery-log';
import { Pager } from '@/components/pager';
import { formatCount, formatTime } from '@/lib/format';
import { readerLocale } from '@/lib/locale';
import { requireUser } from '@/lib/auth';
import { orNotFound } from '@/lib/not-found';
import { getConfig, getDb } from '@/lib/server';
import { HeldForReview } from './held-for-review';
import { filterQuery, LogFilters, LogPager } from './log-filters';
import { Reconciliation } from './reconciliation';
import { RunReportSection } from './run-report';
import { RunControls } from './run-controls';
import { RunSchedule } from './run-schedule';
import { SenderPaces } from './sender-paces';
import { RunEngagement } from './engagement';
import { Count } from '@/components/count';

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
  ['skipped', 'Skipped (unsubscribed or frequency capped)'],
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
  const raw = Object.fromEntries(Object.entries(query).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : [])));
  // A filter the address got wrong shows the whole log, and says what was wrong.
  const parsedFilter = DeliveryLogFilter.safeParse(raw);
  const parsedPage = LogPage.safeParse(raw);
  const filter = parsedFilter.success ? parsedFilter.data : DeliveryLogFilter.parse({});
  const logPage = parsedPage.success ? parsedPage.data : LogPage.parse({});
  const filterError = [parsedFilter.error, parsedPage.error].flatMap((e) => e?.issues.map((i) => i.message) ?? []).join('; ') || null;
  const selection = raw.set === undefined ? undefined : ReconcileSelection.safeParse(raw).data;
  // Steps show by the names given in the editor, carried in the run's plan.
  const { report, recipients, attempts, held, plan, graph, reconciliation, reconciled, resends } = await orNotFound(
    runPage(db, user, id, {
      recipientsAt,
      limit: PAGE,
      log: { filter, page: logPage },
      reconcile: selection || raw.reconcile ? { selection, after: raw.from && !CONTROL_CHARACTERS.test(raw.from) ? raw.from : undefined } : undefined,
    }),
  );
  const { run, counts } = report;
  const engagement = await runEngagementAs(db, user, id);
  const config = getConfig();
  const locale = await readerLocale();
  const active = run.status === 'running' || run.status === 'paused' || run.status === 'scheduled';
  // A running run whose sender is paused (reputation guard, refused login or certificate) sends nothing: it says paused.
  const sendingPaused = run.status === 'running' && report.senders.some((s) => s.failing);
  const shownStatus = sendingPaused ? 'paused' : run.status;
  const total = STATES.reduce((n, [state]) => n + counts[state], 0) + counts.journey;
  const pages = { recipients: String(recipientsAt) };
  const mayResend = mayUseFlow(user, { ownerId: run.flowOwnerId });
  const profiles = mayResend ? (await listProfiles(db, user)).map((p) => ({ id: p.id, name: p.name })) : [];
  const sendSteps = Object.entries(plan?.steps ?? {}).flatMap(([stepId, step]) =>
    step.type === 'sendEmail' ? [{ id: stepId, name: stepTitle(step, stepId) }] : [],
  );

  return (
    <section>
      {/* Who got it is a snapshot (what "send to these" sends to): it stays until asked again. */}
      <AutoRefresh intervalMs={2000} active={active && reconciliation === null} />
      <p className="crumbs">
        <Link href="/runs">Runs</Link> / {run.id}
      </p>
      <h1>
        <Link href={`/flows/${run.flowId}`}>{run.flowName}</Link> <span className="muted">v{run.version}</span>{' '}
        <span
          className={`status status--${shownStatus}`}
          data-testid="run-status"
          title={sendingPaused ? 'Sending is paused: see the sender below' : undefined}
        >
          {shownStatus}
        </span>
        {sendingPaused && (
          <span className="muted" data-testid="run-sending-paused">
            {' '}
            (sending is paused)
          </span>
        )}
      </h1>
      <p className="muted">
        {/* A scheduled run has not started yet; one that waited for its time started then, not when it was created. */}
        {run.status === 'scheduled' ? `Created ${formatTime(run.createdAt)}` : `Started ${formatTime(run.startAt ?? run.createdAt)}`}
        {run.finishedAt ? ` · finished ${formatTime(run.finishedAt)}` : ''}
        {report.estimatedFinish && !sendingPaused && (
          <span data-testid="run-estimated-finish" data-at={report.estimatedFinish}>
            {' · '}estimated finish {formatTime(report.estimatedFinish)}
          </span>
        )}
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
      {run.audience.kind === 'resend' && (
        <p className="muted" data-testid="run-source">
          Audience: {run.audience.sets.map((set) => RECONCILE_SET_LABELS[set].toLowerCase()).join(' and ')}
          {run.audience.reason ? ` (${REASON_LABELS[run.audience.reason] ?? run.audience.reason})` : ''} of run{' '}
          <Link href={`/runs/${run.audience.sourceRunId}`}>{run.audience.sourceRunId}</Link> when this run was started (
          <Count value={run.audience.count} /> recipient
          {run.audience.count === 1 ? '' : 's'})
        </p>
      )}
      {resends.length > 0 && (
        <ul className="muted" data-testid="run-resends">
          {resends.map((r) => (
            <li key={r.id}>
              Resent as run <Link href={`/runs/${r.id}`}>{r.id}</Link> ({r.status})
              {r.audience.kind === 'resend'
                ? `: ${r.audience.sets.map((set) => RECONCILE_SET_LABELS[set].toLowerCase()).join(' and ')}, ${formatCount(r.audience.count, locale)} recipient${r.audience.count === 1 ? '' : 's'}`
                : ''}
            </li>
          ))}
        </ul>
      )}
      <RunSchedule runId={run.id} status={run.status} startAt={run.startAt} spreadHours={run.spreadHours} />
      <RunControls runId={run.id} status={run.status} />
      <SenderPaces senders={report.senders} active={active} />
      <RunEngagement steps={engagement} stepName={(nodeId) => stepTitle(plan?.steps[nodeId], nodeId)} locale={locale} />
      {report.lateBouncesUnseen.length > 0 && (
        <p className="muted" data-testid="late-bounces-note">
          Bounces that arrive later, as an email after {report.lateBouncesUnseen.join(' or ')} accepted a message, are not counted here: Dripline sees
          only each server's reply while it sends. Your provider's bounce reports, or the mailbox bounces go to, have them.
        </p>
      )}

      <dl className="counts" data-testid="run-counts">
        <div className="counts__item">
          <dt>Recipients</dt>
          <dd>
            <Count value={total} />
          </dd>
        </div>
        {STATES.map(([state, label]) => (
          <div key={state} className={`counts__item counts__item--${state}`} data-testid={`count-${state}`}>
            <dt>{label}</dt>
            <dd>
              <Count value={counts[state]} />
            </dd>
          </div>
        ))}
        <div className="counts__item" data-testid="count-messages-sent">
          <dt>Messages sent</dt>
          <dd>
            <Count value={counts.messagesSent} />
          </dd>
        </div>
      </dl>

      <RunReportSection report={report} graph={graph} audience={total} />

      {counts.held > 0 && <HeldForReview runId={run.id} held={held} total={counts.held} />}

      <Reconciliation
        runId={run.id}
        counts={reconciliation}
        selection={selection ?? null}
        list={reconciled}
        mayResend={mayResend}
        unfinished={active}
        profiles={profiles}
      />

      <h2>Recipients</h2>
      <table className="table">
        <thead>
          <tr>
            <th>Email</th>
            <th>Name</th>
            <th>Status</th>
            <th>Step</th>
            <th>Moves on</th>
            <th>Updated</th>
            <th>History</th>
          </tr>
        </thead>
        <tbody>
          {recipients.items.map((r) => (
            <tr key={r.id} data-testid={`run-contact-${r.id}`}>
              <td>
                <Link href={`/runs/${run.id}/recipients/${encodeURIComponent(r.id)}`} data-testid="story-link" title="Their story in this run">
                  {r.email}
                </Link>
              </td>
              <td>{r.name}</td>
              <td data-testid="status">
                <span className={`status status--${r.status}`}>{r.move.state}</span>
              </td>
              {/* Waiting: the Delay or Send window it waits in, not the step it goes on to. */}
              <td data-testid="step" title={(r.move.state === 'waiting' ? r.waitingIn : null) ?? r.nodeId ?? undefined}>
                {r.move.step ?? '—'}
              </td>
              <td data-testid="moves-on">{r.move.movesOnAt ? formatTime(r.move.movesOnAt) : r.move.state === 'pending' ? 'now' : '—'}</td>
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

      <h2 id="delivery-log">Delivery log</h2>
      <LogFilters
        runId={run.id}
        filter={filter}
        steps={sendSteps}
        profiles={report.senders.map((p) => ({ id: p.profileId, name: p.name }))}
        error={filterError}
      />
      <DeliveryLog
        attempts={attempts.items}
        empty={
          Object.keys(filterQuery(filter)).length > 0
            ? 'No delivery attempt matches these filters.'
            : `No delivery attempts yet${active ? ': recipients may still be waiting in a Delay or for a Send window.' : '.'}`
        }
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
        sender={(a) => (a.profileId ? (report.senders.find((s) => s.profileId === a.profileId)?.name ?? a.profileId) : '—')}
      />
      <LogPager filter={filter} newer={attempts.newer} older={attempts.older} />
    </section>
  );
}
