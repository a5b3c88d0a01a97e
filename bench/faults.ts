/**
 * Exactly once under faults: four campaigns of 2,000 recipients (BENCH_FAULT_RECIPIENTS), each on a
 * stack of its own, counted at the sink. Target: every recipient gets the message (lost = 0) and none
 * gets it twice (duplicates = 0), where a recipient with an attempt logged 'uncertain' (the
 * connection was lost after DATA: the server may have it, and policy resends with the same
 * Message-ID) is counted apart (uncertain, uncertain_duplicates).
 *   BENCH_FAULTS=454_30pct,worker_sigkill,drop_after_data,overlapping_attempts   (default: all four)
 *   BENCH_FAULT_TIMEOUT_S=600   the longest a scenario's run may take
 */
import path from 'node:path';
import { SANDBOX_PROFILE_ID } from '../domain/senders';
import { listContacts } from '../server/db/contacts';
import { resetThrottle, throttleState } from '../server/db/throttle';
import { ensureContacts } from './measure';
import { numbers, type PartContext, type PartResult, type Session, withSession } from './session';
import { awaitRun, errorText, MailboxWatch, round, table, tallyRun } from './sink';
import { ExtraWorker, signal, smtpConnections, stackWorkerPids } from './workers';

const RECIPIENTS = Math.round(numbers(process.env.BENCH_FAULT_RECIPIENTS, [2000])[0] ?? 2000);
const TIMEOUT_MS = (numbers(process.env.BENCH_FAULT_TIMEOUT_S, [600])[0] ?? 600) * 1000;
/** The stopped worker resumes this long after the retried batch began to send from the other worker (or after MAX_STOP_MS). */
const RESUME_AFTER_RETRY_MS = 2_000;
const MAX_STOP_MS = 90_000;
/** The pace of the overlapping scenario: slow enough that the retried batch is still sending when the first worker resumes. */
const OVERLAP_RATE = 100;

type Events = Record<string, number | string | null>;

/** What a scenario does to the stack while its run goes on. */
interface Injector {
  afterStart?(): void;
  during?(stored: number): Promise<void>;
  /** The run is not over before this says so. */
  settled?(): boolean;
  /** Undoes what it did (never leaves a process stopped) and says what happened. */
  finish(t0: number): Promise<Events>;
}

interface Scenario {
  name: string;
  faults?: string;
  limit: number | null;
  pollMs: number;
  note: string;
  injector(s: Session, ctx: PartContext): Injector;
}

const since = (t0: number, t: number | null) => (t === null ? null : round((t - t0) / 1000, 2));

const SCENARIOS: Scenario[] = [
  {
    name: '454_30pct',
    faults: 'fail454=30%',
    limit: null,
    pollMs: 200,
    note: 'SANDBOX_FAULTS=fail454=30%: 3 messages in 10 (deterministically) get "454 4.7.0 Throttling failure: Maximum sending rate exceeded." after DATA and is not kept, whatever the pace; the profile has no limit, so each refusal is a throttle reply the pace learns from',
    injector: () => ({ finish: async () => ({}) }),
  },
  {
    name: 'worker_sigkill',
    limit: null,
    pollMs: 20,
    note: 'a campaign with no faults and no limit; the stack worker process is SIGKILLed once about 25% of the messages are stored; the supervisor of npm start starts it again, and Temporal retries the batch once its heartbeat (20 s) is missed',
    injector: (s) => {
      let killedAt: number | null = null;
      let killedAtStored: number | null = null;
      let pids: number[] = [];
      let back: Promise<number | null> | undefined;
      return {
        async during(stored) {
          if (killedAt !== null || stored < RECIPIENTS * 0.25) return;
          pids = stackWorkerPids(s.stack);
          if (pids.length === 0) throw new Error('found no worker process below the stack');
          back = s.stack.waitForLine(/\[worker\].*polling task queue/, 120_000).then(
            () => Date.now(),
            () => null,
          );
          signal(pids, 'SIGKILL');
          killedAt = Date.now();
          killedAtStored = stored;
        },
        async finish(t0) {
          const backAt = back ? await back : null;
          return {
            killed_pids: pids.join(','),
            killed_at_stored: killedAtStored,
            killed_at_s: since(t0, killedAt),
            worker_polling_again_at_s: since(t0, backAt),
          };
        },
      };
    },
  },
  {
    name: 'drop_after_data',
    faults: 'drop-after-data=5%',
    limit: null,
    pollMs: 200,
    note: 'SANDBOX_FAULTS=drop-after-data=5%: every 20th message is stored, then the connection is destroyed before the 250: the sender cannot know it arrived (uncertain) and resends with the same Message-ID',
    injector: () => ({ finish: async () => ({}) }),
  },
  {
    name: 'overlapping_attempts',
    limit: OVERLAP_RATE,
    pollMs: 20,
    note: `two attempts of one sendBatch at once: a campaign paced at ${OVERLAP_RATE}/s (one batch, on the stack's worker); right after the start request a second worker process (node --import tsx worker/main.ts, the stack's environment) starts; once about 25% is stored and it polls, the stack's worker is SIGSTOPped (its heartbeats stop), until Temporal has retried the batch (20 s heartbeat timeout) and the retry sends from the second worker (it holds connections to the sandbox), then ${RESUME_AFTER_RETRY_MS / 1000} s more (at most ${MAX_STOP_MS / 1000} s in all), then SIGCONTed: it resumes mid-batch while the retry still sends. The ledger's lease and the attempt number decide who sends what`,
    injector: (s, ctx) => {
      const second = new ExtraWorker(s.stack, path.join(ctx.resultsDir, 'worker-2.log'));
      let stoppedAt: number | null = null;
      let retryAt: number | null = null;
      let resumedAt: number | null = null;
      let lastLook = 0;
      let pids: number[] = [];
      const events: Events = {};
      const secondConnections = () => (second.pid ? smtpConnections(second.pid, s.stack.ports.smtp) : 0);
      const resume = () => {
        if (stoppedAt === null || resumedAt !== null) return;
        events.second_worker_smtp_connections_at_resume = secondConnections();
        signal(pids, 'SIGCONT');
        resumedAt = Date.now();
      };
      return {
        afterStart: () => second.start(),
        async during(stored) {
          if (resumedAt !== null) return;
          if (stoppedAt !== null) {
            // Stopped: watch for the retried batch on the second worker, then let the first one go on.
            if (Date.now() - lastLook < 200) return;
            lastLook = Date.now();
            if (retryAt === null && secondConnections() > 0) retryAt = Date.now();
            if ((retryAt !== null && Date.now() - retryAt >= RESUME_AFTER_RETRY_MS) || Date.now() - stoppedAt >= MAX_STOP_MS) resume();
            return;
          }
          if (stored < RECIPIENTS * 0.25) return;
          if (!second.polling) {
            if (stored >= RECIPIENTS * 0.6)
              throw new Error(`the second worker did not poll before 60% of the run was stored; log: ${second.logFile}`);
            return;
          }
          pids = stackWorkerPids(s.stack);
          if (pids.length === 0) throw new Error('found no worker process below the stack');
          events.first_worker_smtp_connections_at_stop = pids.reduce((n, pid) => n + smtpConnections(pid, s.stack.ports.smtp), 0);
          events.second_worker_smtp_connections_at_stop = secondConnections();
          events.stopped_at_stored = stored;
          signal(pids, 'SIGSTOP');
          stoppedAt = Date.now();
        },
        settled: () => resumedAt !== null && Date.now() - resumedAt > 5000,
        async finish(t0) {
          resume();
          const stopError = await second.stop();
          return {
            ...events,
            first_worker_pids: pids.join(','),
            second_worker_pid: second.pid ?? null,
            stopped_at_s: since(t0, stoppedAt),
            retry_sending_at_s: since(t0, retryAt),
            resumed_at_s: since(t0, resumedAt),
            second_worker_stop_error: stopError,
          };
        },
      };
    },
  },
];

export interface FaultRow {
  scenario: string;
  recipients: number;
  delivered: number;
  duplicates: number;
  lost: number;
  uncertain: number;
  uncertain_recipients: number;
  uncertain_duplicates: number;
  /** Recipients that two attempts both logged as sent. */
  sent_logged_twice: number;
  messages: number;
  attempts: number;
  throttle_replies: number;
  outcomes: Record<string, number>;
  seconds: number | null;
  /** Messages of the run stored by so many seconds after the start request. */
  stored_by_s: Record<string, number>;
  /** The profile's pace when the run ended (learned from the server's replies; null: none). */
  pace_at_end_per_s: number | null;
  meets_target: boolean;
  events: Events;
  note: string;
  run_id: string | null;
  status: string | null;
  error: string | null;
}

async function runScenario(ctx: PartContext, sc: Scenario): Promise<FaultRow> {
  const row: FaultRow = {
    scenario: sc.name,
    recipients: RECIPIENTS,
    delivered: 0,
    duplicates: 0,
    lost: RECIPIENTS,
    uncertain: 0,
    uncertain_recipients: 0,
    uncertain_duplicates: 0,
    sent_logged_twice: 0,
    messages: 0,
    attempts: 0,
    throttle_replies: 0,
    outcomes: {},
    seconds: null,
    stored_by_s: {},
    pace_at_end_per_s: null,
    meets_target: false,
    events: {},
    note: sc.note,
    run_id: null,
    status: null,
    error: null,
  };
  const problems: string[] = [];
  try {
    await withSession(
      {
        root: ctx.root,
        logFile: path.join(ctx.resultsDir, `stack-faults-${sc.name}.log`),
        progress: ctx.progress,
        ...(sc.faults ? { env: { SANDBOX_FAULTS: sc.faults } } : {}),
        waitForWorker: true,
      },
      async (s) => {
        await ensureContacts(s.dbs.app, RECIPIENTS, ctx.progress);
        const contactIds = (await listContacts(s.dbs.app, RECIPIENTS)).map((c) => c.id);
        await s.api.setRateLimit(SANDBOX_PROFILE_ID, sc.limit);
        await resetThrottle(s.dbs.app, SANDBOX_PROFILE_ID);
        const injector = sc.injector(s, ctx);
        const watch = await MailboxWatch.start(s.dbs);
        const t0 = Date.now();
        try {
          const runId = await s.api.startRun(s.flow.flowId, s.flow.version, `bench-fault-${sc.name}-${t0}`, { kind: 'contacts', contactIds });
          row.run_id = runId;
          injector.afterStart?.();
          const end = await awaitRun(watch, runId, {
            stack: s.stack,
            api: s.api,
            progress: ctx.progress,
            label: `fault ${sc.name}`,
            recipients: RECIPIENTS,
            timeoutMs: TIMEOUT_MS,
            pollMs: sc.pollMs,
            ...(injector.during ? { during: injector.during } : {}),
            ...(injector.settled ? { settled: injector.settled } : {}),
          });
          row.status = end.status;
          if (end.error) problems.push(end.error);
          else if (end.status !== 'completed') problems.push(`run ended ${end.status}`);
        } finally {
          // Whatever happened: no process left stopped, no second worker left running.
          row.events = await injector.finish(t0);
        }
        if (!row.run_id) return;
        const t = await tallyRun(s.dbs, row.run_id, RECIPIENTS);
        const times = t.times;
        const pace = await throttleState(s.dbs.app, { id: SANDBOX_PROFILE_ID, ratePerSecond: sc.limit, dailyCap: null });
        row.pace_at_end_per_s = pace.effectiveRate === null ? null : round(pace.effectiveRate, 2);
        const end = times.length > 0 ? (times[times.length - 1]! - t0) / 1000 : 0;
        for (const at of [5, 10, 30, 60, 120, 300, 600].filter((x) => x < end + 5))
          row.stored_by_s[String(at)] = times.filter((x) => x - t0 <= at * 1000).length;
        Object.assign(row, {
          delivered: t.delivered,
          duplicates: t.duplicates,
          lost: t.lost,
          uncertain: t.uncertainAttempts,
          uncertain_recipients: t.uncertainRecipients,
          uncertain_duplicates: t.uncertainDuplicates,
          sent_logged_twice: t.sentTwice,
          messages: t.messages,
          attempts: t.attempts,
          throttle_replies: t.throttleReplies,
          outcomes: t.outcomes,
          seconds: times.length > 0 ? round((times[times.length - 1]! - t0) / 1000, 1) : null,
        });
        if (sc.name === 'overlapping_attempts') Object.assign(row.events, overlapCounts(row.events, t0, times));
      },
      (e) => problems.push(e),
    );
  } catch (err) {
    problems.push(errorText(err));
  }
  row.error = problems.join('; ') || null;
  row.meets_target = row.error === null && row.lost === 0 && row.duplicates === 0;
  return row;
}

/** Messages stored while the first worker was stopped, and after it resumed (the timestamps come after finish()). */
function overlapCounts(events: Events, t0: number, times: number[]): Events {
  const at = (s: number | string | null | undefined) => (typeof s === 'number' ? t0 + s * 1000 : null);
  const stopped = at(events.stopped_at_s);
  const resumed = at(events.resumed_at_s);
  const between = (a: number | null, b: number | null) => (a === null ? null : times.filter((t) => t >= a && (b === null || t < b)).length);
  return { stored_while_stopped: between(stopped, resumed), stored_after_resume: between(resumed, null) };
}

export async function faultsPart(ctx: PartContext): Promise<PartResult> {
  const wanted = process.env.BENCH_FAULTS?.split(',').map((s) => s.trim());
  const rows: FaultRow[] = [];
  for (const sc of SCENARIOS) if (!wanted || wanted.includes(sc.name)) rows.push(await runScenario(ctx, sc));
  // Only some scenarios run (BENCH_FAULTS): the others keep the rows latest.json has for them.
  const earlier = Array.isArray(ctx.previous.faults) ? (ctx.previous.faults as FaultRow[]) : [];
  const kept = SCENARIOS.flatMap((sc) => rows.find((r) => r.scenario === sc.name) ?? earlier.filter((r) => r.scenario === sc.name));
  const summary = table(
    ['scenario', 'recipients', 'delivered', 'lost', 'dups', 'uncertain', 'unc. dups', 'sent twice', 'messages', 'attempts', 'seconds', 'target'],
    rows.map((r) => [
      r.scenario,
      String(r.recipients),
      String(r.delivered),
      String(r.lost),
      String(r.duplicates),
      `${r.uncertain} (${r.uncertain_recipients} rcpt)`,
      String(r.uncertain_duplicates),
      String(r.sent_logged_twice),
      String(r.messages),
      String(r.attempts),
      r.seconds === null ? '-' : r.seconds.toFixed(1),
      r.meets_target ? 'met' : 'MISSED',
    ]),
  );
  const notes = rows.filter((r) => r.error).map((r) => `ERROR in ${r.scenario}: ${r.error}`);
  return {
    keys: { faults: kept },
    errors: [],
    summary: ['faults: 100% delivered, 0 duplicates (uncertain counted apart)', summary, ...notes].join('\n'),
  };
}
