/** Reading runs as the people who may see them: a run's live report, its page, and the runs list. */
import type { Db } from '../db';
import { type RecipientCounts, pace, recipientCounts } from '../db/recipients';
import type { DeliveryLogFilter, LogPage, ReconcileSelection } from '../../domain/delivery-log';
import type { Plan } from '../../domain/flow/plan';
import { stepTitle } from '../../domain/flow/step-title';
import { SANDBOX_PROFILE_ID } from '../../domain/senders';
import { forecastFinish } from '../../domain/run-schedule';
import { finishUnderLimits, limitsOf, type SendLimits } from '../../domain/send-limits';
import { deliveryLogPage } from '../db/delivery-log';
import { reconcileCounts, reconcileList } from '../db/reconciliation';
import { listRunRecipients, type Run, type RunRecipient, runPlan, runsResending, runTotals } from '../db/runs';
import { getSmtpProfile } from '../db/smtp-profiles';
import { type ThrottleState, throttleState } from '../db/throttle';
import { visibleRun, visibleRuns } from '../access';
import type { Actor } from '../profiles';
import { logQuery } from './log';

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
}

/** A run with its live counts and an honest estimate of when it finishes; 404 unless the actor may see it. */
export async function runReport(db: Db, actor: Actor, runId: string): Promise<RunReport> {
  const run = await visibleRun(db, actor, runId);
  const now = Date.now();
  const counts = await recipientCounts(db, runId, now);
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
  const profileIds = [...new Set(Object.values(plan?.steps ?? {}).flatMap((s) => (s.type === 'sendEmail' ? [s.profileId] : [])))];
  const senders: SenderPace[] = [];
  const dailyCaps: number[] = [];
  const limits: { limits: SendLimits; sentToday: number }[] = [];
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
    if (profile.dailyCap) dailyCaps.push(profile.dailyCap);
    limits.push({ limits: { ...limitsOf(profile), ratePerSecond: pace.effectiveRate }, sentToday: pace.sentToday });
  }
  // Not started yet, or spreading its first send: the forecast from its start (the slowest sender, the smallest daily cap, the spread).
  const startMs = Date.parse(run.startAt ?? run.createdAt);
  if (left > 0 && (run.status === 'scheduled' || (run.status === 'running' && run.spreadHours))) {
    const rates = senders.flatMap((p) => (p.effectiveRate ? [p.effectiveRate] : []));
    const forecast = forecastFinish({
      audience: run.status === 'scheduled' ? left : left + counts.held + counts.completed + counts.failed + counts.cancelled + counts.skipped,
      startMs,
      ratePerSecond: rates.length > 0 ? Math.min(...rates) : null,
      dailyCap: dailyCaps.length > 0 ? Math.min(...dailyCaps) : null,
      // One sender: its own limits (minute, hour, its time zone's days, its warm-up); several: the above.
      ...(limits.length === 1 ? { limits: limits[0]?.limits } : {}),
      spreadHours: run.spreadHours,
    });
    estimatedFinish = new Date(Math.max(forecast, estimatedFinish ? Date.parse(estimatedFinish) : 0)).toISOString();
  } else if (left > 0 && run.status === 'running' && limits.length === 1 && limits[0]) {
    // Running: no sooner than the sender's limits let the rest go, today's sends counted.
    const until = finishUnderLimits(left, now, limits[0].limits, limits[0].sentToday);
    estimatedFinish = new Date(Math.max(until, estimatedFinish ? Date.parse(estimatedFinish) : 0)).toISOString();
  }
  const lateBouncesUnseen = senders.filter((s) => s.profileId !== SANDBOX_PROFILE_ID).map((s) => s.name);
  return { run, senders, counts, recentRate, estimatedFinish, lateBouncesUnseen };
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
  return { report, recipients, attempts, held, plan, reconciliation, reconciled, resends: await runsResending(db, runId) };
}

/** The runs the actor may see, newest first, each with its recipient totals. */
export async function runsOverview(db: Db, actor: Actor) {
  const runs = await visibleRuns(db, actor);
  return {
    runs,
    totals: await runTotals(
      db,
      runs.map((r) => r.id),
    ),
  };
}
