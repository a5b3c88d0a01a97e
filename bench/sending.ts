/**
 * Sending at the server's pace, measured at the sink (the sandbox's receivedAt of each message):
 * - throttle: the sandbox profile limited to L messages per second, a campaign of about 12 seconds'
 *   worth; the busiest 1-second window must stay ≤ L and the steady rate reach ≥ 95% of L.
 *   BENCH_THROTTLE_LIMITS=1,14,100,500   BENCH_THROTTLE_SECONDS=12
 * - adaptive: a sandbox that throttles at 50/s (SANDBOX_FAULTS=throttle=50/s, 454 over the rate) and a
 *   profile that does not know it (no limit, then 80/s); 5,000 recipients must take ≤ 1.25 × the
 *   ideal 100 s with fewer than 5% throttle replies.
 *   BENCH_ADAPTIVE_RECIPIENTS=5000   BENCH_ADAPTIVE_SERVER_RATE=50
 * Each run starts with what the profile learned forgotten (resetThrottle), so runs are independent.
 */
import path from 'node:path';
import { SANDBOX_PROFILE_ID } from '../domain/senders';
import { listContacts } from '../server/db/contacts';
import { resetThrottle, throttleState } from '../server/db/throttle';
import { ensureContacts } from './measure';
import { numbers, type PartContext, type PartResult, type Session, withSession } from './session';
import { awaitRun, errorText, MailboxWatch, maxWindow, round, steadyRate, table, tallyRun } from './sink';

const LIMITS = numbers(process.env.BENCH_THROTTLE_LIMITS, [1, 14, 100, 500]);
const THROTTLE_SECONDS = numbers(process.env.BENCH_THROTTLE_SECONDS, [12])[0] ?? 12;
const ADAPTIVE_RECIPIENTS = Math.round(numbers(process.env.BENCH_ADAPTIVE_RECIPIENTS, [5000])[0] ?? 5000);
const SERVER_RATE = numbers(process.env.BENCH_ADAPTIVE_SERVER_RATE, [50])[0] ?? 50;
const PROFILE_LIMITS: (number | null)[] = [null, 80];
/** Run each throttle campaign a second time, with the profile's connections already open (BENCH_THROTTLE_REPEAT=0: not). */
const REPEAT = process.env.BENCH_THROTTLE_REPEAT !== '0';

export interface Measured {
  runId: string;
  /** From the start request to the last message stored, and to the first. */
  seconds: number | null;
  firstSeconds: number | null;
  tally: Awaited<ReturnType<typeof tallyRun>>;
  status: string | null;
  problems: string[];
}

/** One campaign to these contacts with the sandbox profile at `limit`, from a forgotten pace; counted at the sink. */
export async function measuredRun(
  s: Session,
  ctx: PartContext,
  label: string,
  limit: number | null,
  contactIds: string[],
  timeoutMs: number,
): Promise<Measured> {
  await s.api.setRateLimit(SANDBOX_PROFILE_ID, limit);
  await resetThrottle(s.dbs.app, SANDBOX_PROFILE_ID);
  const watch = await MailboxWatch.start(s.dbs);
  const t0 = Date.now();
  const runId = await s.api.startRun(s.flow.flowId, s.flow.version, `bench-${label}-${t0}`, { kind: 'contacts', contactIds });
  const end = await awaitRun(watch, runId, { stack: s.stack, api: s.api, progress: ctx.progress, label, recipients: contactIds.length, timeoutMs });
  const tally = await tallyRun(s.dbs, runId, contactIds.length);
  const last = tally.times[tally.times.length - 1];
  const problems = [
    end.error,
    end.status !== 'completed' && !end.error ? `run ended ${end.status}` : null,
    tally.lost > 0 ? `${tally.lost} recipients got no message` : null,
    tally.duplicates + tally.uncertainDuplicates > 0 ? `${tally.duplicates + tally.uncertainDuplicates} duplicate messages` : null,
  ].filter((p): p is string => p !== null);
  const first = tally.times[0];
  return {
    runId,
    seconds: last === undefined ? null : (last - t0) / 1000,
    firstSeconds: first === undefined ? null : (first - t0) / 1000,
    tally,
    status: end.status,
    problems,
  };
}

export async function contactsFor(s: Session, ctx: PartContext, n: number): Promise<string[]> {
  await ensureContacts(s.dbs.app, n, ctx.progress);
  return (await listContacts(s.dbs.app, n)).map((c) => c.id);
}

/** A throttled run's figures at the sink. */
interface PaceFigures {
  max_1s_window: number;
  /** The same, leaving out the first second of the run (its start). */
  max_1s_window_after_first_second: number;
  utilization: number | null;
  steady_per_s: number | null;
  seconds: number | null;
  first_stored_s: number | null;
  delivered: number;
  duplicates: number;
  meets_target: boolean;
  run_id: string | null;
  status: string | null;
  error: string | null;
}

export interface ThrottleRow extends PaceFigures {
  limit_per_s: number;
  recipients: number;
  /**
   * The same campaign again straight after, nothing changed: the profile's pool already has its
   * connections open (saving a profile replaces its pool, so the first run opens new ones).
   */
  repeat: PaceFigures | null;
}

function paceFigures(m: Measured, limit: number): PaceFigures {
  const times = m.tally.times;
  const steady = steadyRate(times);
  const max = maxWindow(times);
  const utilization = steady === null ? null : steady / limit;
  return {
    max_1s_window: max,
    max_1s_window_after_first_second: times.length > 0 ? maxWindow(times.filter((t) => t >= times[0]! + 1000)) : 0,
    utilization: utilization === null ? null : round(utilization, 3),
    steady_per_s: steady === null ? null : round(steady, 2),
    seconds: m.seconds === null ? null : round(m.seconds, 2),
    first_stored_s: m.firstSeconds === null ? null : round(m.firstSeconds, 3),
    delivered: m.tally.delivered,
    duplicates: m.tally.duplicates + m.tally.uncertainDuplicates,
    meets_target: m.problems.length === 0 && max <= limit && utilization !== null && utilization >= 0.95,
    run_id: m.runId,
    status: m.status,
    error: m.problems.join('; ') || null,
  };
}

const failedFigures = (err: unknown): PaceFigures => ({
  max_1s_window: 0,
  max_1s_window_after_first_second: 0,
  utilization: null,
  steady_per_s: null,
  seconds: null,
  first_stored_s: null,
  delivered: 0,
  duplicates: 0,
  meets_target: false,
  run_id: null,
  status: null,
  error: errorText(err),
});

export async function throttlePart(ctx: PartContext): Promise<PartResult> {
  const rows: ThrottleRow[] = [];
  const errors: string[] = [];
  try {
    await withSession(
      { root: ctx.root, logFile: path.join(ctx.resultsDir, 'stack-throttle.log'), progress: ctx.progress, waitForWorker: true },
      async (s) => {
        const sizes = LIMITS.map((limit) => Math.max(12, Math.round(limit * THROTTLE_SECONDS)));
        const contacts = await contactsFor(s, ctx, Math.max(...sizes));
        for (const [i, limit] of LIMITS.entries()) {
          const n = sizes[i]!;
          const timeoutMs = (n / limit) * 1500 + 60_000;
          const measure = (label: string) =>
            measuredRun(s, ctx, label, limit, contacts.slice(0, n), timeoutMs).then(
              (m) => paceFigures(m, limit),
              (err: unknown) => failedFigures(err),
            );
          const first = await measure(`throttle ${limit}/s × ${n}`);
          const repeat = REPEAT ? await measure(`  again, pool warm`) : null;
          rows.push({ limit_per_s: limit, recipients: n, ...first, repeat });
        }
        await s.api.setRateLimit(SANDBOX_PROFILE_ID, null);
      },
      (e) => errors.push(e),
    );
  } catch (err) {
    errors.push(errorText(err));
  }
  const cells = (run: string, limit: number, n: number, f: PaceFigures) => [
    String(limit),
    String(n),
    run,
    f.first_stored_s === null ? '-' : f.first_stored_s.toFixed(2),
    String(f.max_1s_window),
    String(f.max_1s_window_after_first_second),
    f.steady_per_s === null ? '-' : f.steady_per_s.toFixed(2),
    f.utilization === null ? '-' : f.utilization.toFixed(3),
    f.seconds === null ? '-' : f.seconds.toFixed(1),
    String(f.duplicates),
    f.meets_target ? 'met' : 'MISSED',
  ];
  const summary = table(
    ['limit/s', 'recipients', 'run', 'first s', 'max 1s', 'after 1st s', 'steady/s', 'utilization', 'seconds', 'dups', 'target'],
    rows.flatMap((r) => [
      cells('first', r.limit_per_s, r.recipients, r),
      ...(r.repeat ? [cells('repeat', r.limit_per_s, r.recipients, r.repeat)] : []),
    ]),
  );
  const notes = rows.flatMap((r) => [r.error, r.repeat?.error].filter(Boolean).map((e) => `ERROR at ${r.limit_per_s}/s: ${e}`));
  return {
    keys: { throttle: rows },
    errors,
    summary: [
      'throttle: busiest 1-second window ≤ limit, steady rate ≥ 0.95 × limit (at the sink); first: just after the limit was saved; repeat: the same again',
      summary,
      ...notes,
    ].join('\n'),
  };
}

export interface AdaptiveRow {
  server_rate_per_s: number;
  profile_limit_per_s: number | null;
  recipients: number;
  seconds: number | null;
  ideal_seconds: number;
  throttle_replies: number;
  delivered: number;
  duplicates: number;
  steady_per_s: number | null;
  max_1s_window: number;
  /** The profile's pace when the run ended (learned, capped by its limit). */
  pace_at_end_per_s: number | null;
  attempts: number;
  meets_target: boolean;
  run_id: string | null;
  status: string | null;
  error: string | null;
}

export async function adaptivePart(ctx: PartContext): Promise<PartResult> {
  const rows: AdaptiveRow[] = [];
  const errors: string[] = [];
  const ideal = ADAPTIVE_RECIPIENTS / SERVER_RATE;
  const base = { server_rate_per_s: SERVER_RATE, recipients: ADAPTIVE_RECIPIENTS, ideal_seconds: round(ideal, 1) };
  try {
    await withSession(
      {
        root: ctx.root,
        logFile: path.join(ctx.resultsDir, 'stack-adaptive.log'),
        progress: ctx.progress,
        env: { SANDBOX_FAULTS: `throttle=${SERVER_RATE}/s` },
        waitForWorker: true,
      },
      async (s) => {
        const contacts = await contactsFor(s, ctx, ADAPTIVE_RECIPIENTS);
        for (const limit of PROFILE_LIMITS) {
          try {
            const label = `adaptive ${limit ?? 'no limit'} vs ${SERVER_RATE}/s`;
            const m = await measuredRun(s, ctx, label, limit, contacts, ideal * 2500 + 60_000);
            const pace = await throttleState(s.dbs.app, { id: SANDBOX_PROFILE_ID, ratePerSecond: limit, dailyCap: null });
            const steady = steadyRate(m.tally.times);
            rows.push({
              ...base,
              profile_limit_per_s: limit,
              seconds: m.seconds === null ? null : round(m.seconds, 1),
              throttle_replies: m.tally.throttleReplies,
              delivered: m.tally.delivered,
              duplicates: m.tally.messages - m.tally.delivered,
              steady_per_s: steady === null ? null : round(steady, 2),
              max_1s_window: maxWindow(m.tally.times),
              pace_at_end_per_s: pace.effectiveRate === null ? null : round(pace.effectiveRate, 2),
              attempts: m.tally.attempts,
              meets_target:
                m.problems.length === 0 && m.seconds !== null && m.seconds <= 1.25 * ideal && m.tally.throttleReplies < 0.05 * ADAPTIVE_RECIPIENTS,
              run_id: m.runId,
              status: m.status,
              error: m.problems.join('; ') || null,
            });
          } catch (err) {
            rows.push({
              ...base,
              profile_limit_per_s: limit,
              seconds: null,
              throttle_replies: 0,
              delivered: 0,
              duplicates: 0,
              steady_per_s: null,
              max_1s_window: 0,
              pace_at_end_per_s: null,
              attempts: 0,
              meets_target: false,
              run_id: null,
              status: null,
              error: errorText(err),
            });
          }
        }
      },
      (e) => errors.push(e),
    );
  } catch (err) {
    errors.push(errorText(err));
  }
  const summary = table(
    ['server/s', 'profile/s', 'recipients', 'seconds', 'ideal', 'ratio', '454s', 'replies %', 'delivered', 'dups', 'pace end', 'target'],
    rows.map((r) => [
      String(r.server_rate_per_s),
      r.profile_limit_per_s === null ? 'none' : String(r.profile_limit_per_s),
      String(r.recipients),
      r.seconds === null ? '-' : r.seconds.toFixed(1),
      String(r.ideal_seconds),
      r.seconds === null ? '-' : (r.seconds / r.ideal_seconds).toFixed(2),
      String(r.throttle_replies),
      ((100 * r.throttle_replies) / r.recipients).toFixed(1),
      String(r.delivered),
      String(r.duplicates),
      r.pace_at_end_per_s === null ? '-' : String(r.pace_at_end_per_s),
      r.meets_target ? 'met' : 'MISSED',
    ]),
  );
  const notes = rows.filter((r) => r.error).map((r) => `ERROR with profile limit ${r.profile_limit_per_s ?? 'none'}: ${r.error}`);
  return {
    keys: { adaptive: rows },
    errors,
    summary: ['adaptive: a server throttling at a rate the profile does not know; ≤ 1.25 × ideal, < 5% throttle replies', summary, ...notes].join(
      '\n',
    ),
  };
}
