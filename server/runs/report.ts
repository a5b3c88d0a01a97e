/** Reading runs as the people who may see them: a run's live report, its page, and the runs list. */
import { stepProfileIds } from '../../domain/flow/pool';
import type { Db } from '../db';
import { type RecipientCounts, pace, recipientCounts } from '../db/recipients';
import type { DeliveryLogFilter, LogPage, ReconcileSelection } from '../../domain/delivery-log';
import type { Plan } from '../../domain/flow/plan';
import { stepTitle } from '../../domain/flow/step-title';
import { SANDBOX_PROFILE_ID } from '../../domain/senders';
import { forecastFinish, planTiming, profileLimits, type SendLimit, slowestSender } from '../../domain/run-forecast';
import { limitsOf, type SendLimits } from '../../domain/send-limits';
import { deliveryLogPage } from '../db/delivery-log';
import { reconcileCounts, reconcileList } from '../db/reconciliation';
import { listRunRecipients, type Run, type RunRecipient, runPlan, runsResending, runTotals } from '../db/runs';
import { getSmtpProfile } from '../db/smtp-profiles';
import { getFlowVersion } from '../db/flows';
import { runPositions } from '../db/run-report';
import { type ThrottleState, throttleState } from '../db/throttle';
import { visibleRun, visibleRuns } from '../access';
import type { Actor } from '../profiles';
import { logQuery } from './log';
import { type RunFigures, runFigures } from './over-time';

export interface SenderPace extends ThrottleState {
  profileId: string;
  name: string;
  /** The profile's own limit (messages/s), if it has one. */
  limit: number | null;
  /** Sending is paused because the server refused the login, with its reply, or because the reputation guard tripped, with why. */
  failing: string | null;
  /** 'guard': the reputation guard paused it (an admin resumes it); null: refused settings (saving them resumes it). */
  failingCause: 'guard' | null;
}

export interface RunReport {
  run: Run;
  /** Each sender the run uses: its pace now, what it learned, and whether it is paused. */
  senders: SenderPace[];
  counts: RecipientCounts;
  /** Messages per second over the last half minute (what the estimate uses). */
  recentRate: number;
  /** When the last recipient should be done, from who is left, their due times and the recent rate; null when unknown or finished. */
  estimatedFinish: string | null;
  /**
   * The run's senders other than the sandbox: a bounce mailed back after such a server accepted a message
   * never reaches Dripline (it reads only the server's replies while sending), so the counts cannot show it.
   */
  lateBouncesUnseen: string[];
  /** Sends per minute and the states over time, and each step's figures (server/runs/over-time.ts). */
  figures: RunFigures;
}

/** A run with its live counts and an honest estimate of when it finishes; 404 unless the actor may see it. */
export async function runReport(db: Db, actor: Actor, runId: string): Promise<RunReport> {
  const run = await visibleRun(db, actor, runId);
  const now = Date.now();
  const positions = await runPositions(db, runId, now);
  const counts = await recipientCounts(db, runId, now, positions);
  const window = 30_000;
  const { lastDueAt, sentSince } = await pace(db, runId, new Date(now - window).toISOString());
  const recentRate = sentSince / (window / 1000);
  const left = counts.waiting + counts.due + counts.sending + counts.retrying;
  let estimatedFinish: string | null = null;
  if (left > 0 && run.status === 'running' && recentRate > 0) {
    // Everyone due by now goes at the recent rate; those still waiting cannot go before their due time.
    const dueDone = now + ((counts.due + counts.sending) / recentRate) * 1000;
    estimatedFinish = new Date(Math.max(dueDone, lastDueAt ?? 0)).toISOString();
  } else if (left > 0 && run.status === 'running' && counts.due + counts.sending === 0 && lastDueAt) {
    estimatedFinish = new Date(lastDueAt).toISOString();
  }
  const plan = await runPlan(db, runId);
  const profileIds = [...new Set(Object.values(plan?.steps ?? {}).flatMap((s) => (s.type === 'sendEmail' ? stepProfileIds(s) : [])))];
  const senders: SenderPace[] = [];
  const paces: { ratePerSecond: number | null; limits: SendLimit[]; own: { limits: SendLimits; sentToday: number } }[] = [];
  for (const id of profileIds) {
    const profile = await getSmtpProfile(db, id);
    if (!profile) continue;
    const pace = await throttleState(db, profile);
    senders.push({
      ...pace,
      profileId: id,
      name: profile.name,
      limit: profile.ratePerSecond,
      failing: profile.failingReason,
      failingCause: profile.failingCause,
    });
    paces.push({
      ratePerSecond: pace.effectiveRate ?? profile.ratePerSecond,
      limits: profileLimits(profile),
      own: { limits: { ...limitsOf(profile), ratePerSecond: pace.effectiveRate }, sentToday: pace.sentToday },
    });
  }
  // The forecast from the run's start (its senders' pace and limits, its path's Delays and Send window, its
  // schedule), so the estimate is right before the first send; and from now for who is left, today's sends
  // counted against the sender's own limits (its zone's day, its warm-up). The latest wins.
  if (left > 0 && plan && (run.status === 'scheduled' || run.status === 'running')) {
    const { own, ...sender } = slowestSender(paces);
    const path = planTiming(plan);
    const audience = left + counts.held + counts.completed + counts.failed + counts.cancelled + counts.skipped + counts.journey;
    const fromStart = forecastFinish({
      audience,
      startMs: Date.parse(run.startAt ?? run.createdAt),
      spreadHours: run.spreadHours,
      path,
      ...sender,
      own: own && { limits: own.limits },
    });
    const fromNow = run.status === 'running' ? forecastFinish({ audience: counts.due + counts.sending, startMs: now, ...sender, own }) : 0;
    estimatedFinish = new Date(Math.max(fromStart, fromNow, estimatedFinish ? Date.parse(estimatedFinish) : 0)).toISOString();
  }
  const lateBouncesUnseen = senders.filter((s) => s.profileId !== SANDBOX_PROFILE_ID).map((s) => s.name);
  const figures = await runFigures(db, runId, plan, now, positions, run.status === 'running');
  return { run, senders, counts, recentRate, estimatedFinish, lateBouncesUnseen, figures };
}

/** Where a recipient is, as the run page says it: the step by its title, and when it moves on. */
export interface RecipientMove {
  /** Waiting out a Delay or Send window (or a start) till `movesOnAt`; otherwise its status. */
  state: 'waiting' | RunRecipient['status'];
  /** The step it waits in or is at, by its title; null once it has left the flow. */
  step: string | null;
  /** When it moves on (ISO): its due time while waiting; null when due now or not pending. */
  movesOnAt: string | null;
}

/**
 * A pending recipient due later waits in the Delay or Send window that put it off (its row holds the step it
 * goes on to); one due later without one (a run's start) waits at its step.
 */
export function recipientMove(
  plan: Plan | undefined,
  r: Pick<RunRecipient, 'nodeId' | 'status' | 'dueAt' | 'waitingIn'>,
  nowMs: number,
): RecipientMove {
  const title = (id: string | null) => (id === null ? null : stepTitle(plan?.steps[id], id));
  if (r.status === 'pending' && r.dueAt > nowMs) {
    return { state: 'waiting', step: title(r.waitingIn ?? r.nodeId), movesOnAt: new Date(r.dueAt).toISOString() };
  }
  return { state: r.status, step: title(r.nodeId), movesOnAt: null };
}

/** A finished run this size or smaller shows who got it without being asked (about 0.1 s of counting). */
const RECONCILED_BY_ITSELF = 20_000;

/**
 * The run page: the report, one page of recipients and one of the filtered delivery log, the
 * reconciliation's counts (for a small finished run, or when asked: they read every recipient), the first recipients held for review, the plan
 * (steps by their editor names), and the runs that resend a set of this one; 404 unless the actor may see the run.
 */
export async function runPage(
  db: Db,
  actor: Actor,
  runId: string,
  pages: {
    recipientsAt: number;
    limit: number;
    log: { filter: DeliveryLogFilter; page: LogPage };
    /** The reconciliation now, even of a run in flight; with `selection`, a page of one set, from `after` (a contact id). */
    reconcile?: { selection?: ReconcileSelection | undefined; after?: string | undefined } | undefined;
  },
) {
  const report = await runReport(db, actor, runId);
  const plan = await runPlan(db, runId);
  // Every recipient is in one of the states counted: at 1,000,000 recipients, counting them again costs a scan.
  const { messagesSent: _, ...states } = report.counts;
  const total = Object.values(states).reduce((n, c) => n + c, 0);
  const listed = await listRunRecipients(db, runId, { offset: pages.recipientsAt, limit: pages.limit, total });
  const recipients = { ...listed, items: listed.items.map((r) => ({ ...r, move: recipientMove(plan, r, Date.now()) })) };
  const attempts = await deliveryLogPage(db, runId, logQuery(plan, pages.log.filter), pages.log.page);
  const held =
    report.counts.held > 0 ? (await listRunRecipients(db, runId, { offset: 0, limit: 100, status: 'held', total: report.counts.held })).items : [];
  const nowMs = Date.now();
  // It reads every recipient against the ledger (seconds at 1,000,000): shown by itself for a finished run
  // up to RECONCILED_BY_ITSELF recipients, otherwise when asked, never on each refresh of a large run.
  const finished = report.run.status === 'completed' || report.run.status === 'cancelled';
  const reconciliation = pages.reconcile || (finished && total <= RECONCILED_BY_ITSELF) ? await reconcileCounts(db, runId, nowMs) : null;
  const shown = pages.reconcile?.selection;
  const reconciled = shown ? await reconcileList(db, runId, shown, { after: pages.reconcile?.after, limit: pages.limit }, nowMs) : null;
  // The version's own canvas, which the report draws its figures on.
  const graph = (await getFlowVersion(db, report.run.flowId, report.run.version))?.graph ?? null;
  return { report, recipients, attempts, held, plan, graph, reconciliation, reconciled, resends: await runsResending(db, runId) };
}

/**
 * The runs the actor may see, newest first, each with its recipient totals, and which running ones send
 * nothing because a sender of theirs is paused (reputation guard, refused login or certificate): the list says paused.
 */
export async function runsOverview(db: Db, actor: Actor) {
  const runs = await visibleRuns(db, actor);
  const failing = new Map<string, boolean>();
  const sendingPaused = new Set<string>();
  for (const run of runs.filter((r) => r.status === 'running')) {
    const plan = await runPlan(db, run.id);
    for (const step of Object.values(plan?.steps ?? {})) {
      if (step.type !== 'sendEmail') continue;
      if (!failing.has(step.profileId)) failing.set(step.profileId, Boolean((await getSmtpProfile(db, step.profileId))?.failingReason));
      if (failing.get(step.profileId)) sendingPaused.add(run.id);
    }
  }
  return {
    runs,
    sendingPaused,
    totals: await runTotals(
      db,
      runs.map((r) => r.id),
    ),
  };
}
