/**
 * The report's counts of a run: its delivery attempts and its recipients' moves per step and minute, and
 * where its recipients are now. A minute settled (SETTLED_MS ago) is kept in run_report_minutes (migration
 * 460) the first time a report reads it; later reports read those rows and only the minutes since, so a
 * report of a run of 1,000,000 reads a few hundred rows, not its whole log, on every refresh.
 */
import type { Db } from '.';
import { sql } from '.';
import { type MinuteCount, minuteKey, type Position } from '../../domain/run-report';
import type { AttemptOutcome } from './tables';

/** Attempts and moves are written on the clock of the worker that made them: a minute this old gets no more rows. */
export const SETTLED_MS = 5 * 60_000;
const OUTCOMES: AttemptOutcome[] = ['sent', 'retrying', 'failed', 'uncertain', 'skipped', 'frequency_capped'];
const STORED_PER_STATEMENT = 1000;

/** Says whether a retried attempt's reply asked to slow down (the sending engine's own classification). */
export type IsThrottleReply = (code: number | null, reply: string) => boolean;

/** Every count of the run by minute, step and what happened; settled minutes are kept for the next report. */
export async function runMinuteCounts(db: Db, runId: string, nowMs: number, isThrottle: IsThrottleReply): Promise<MinuteCount[]> {
  const kept = (await db
    .selectFrom('runReportMinutes')
    .select(['minute', 'nodeId', 'what', 'n'])
    .where('runId', '=', runId)
    .execute()) as MinuteCount[];
  const last = kept.reduce<string | null>((m, r) => (m === null || r.minute > m ? r.minute : m), null);
  const fromMs = last === null ? 0 : Date.parse(`${last}:00Z`) + 60_000;
  const tail = await countsSince(db, runId, fromMs, isThrottle);
  const settledBefore = minuteKey(nowMs - SETTLED_MS);
  const settled = tail.filter((r) => r.minute < settledBefore && r.n > 0);
  for (let i = 0; i < settled.length; i += STORED_PER_STATEMENT) {
    // Two reports may keep the same minutes at once: they counted the same rows.
    await db
      .insertInto('runReportMinutes')
      .values(settled.slice(i, i + STORED_PER_STATEMENT).map((r) => ({ runId, ...r })))
      .onConflict((oc) => oc.columns(['runId', 'minute', 'nodeId', 'what']).doNothing())
      .execute();
  }
  return [...kept.map((r) => ({ ...r, n: Number(r.n) })), ...tail];
}

/** The run's counts from `fromMs` on, each a range of an index: attempts by outcome and time, moves by time. */
async function countsSince(db: Db, runId: string, fromMs: number, isThrottle: IsThrottleReply): Promise<MinuteCount[]> {
  const fromIso = new Date(fromMs).toISOString();
  const minute = sql<string>`substr(${sql.ref('at')}, 1, 16)`;
  const attempts = await db
    .selectFrom('deliveryAttempts')
    .select([minute.as('minute'), 'nodeId', 'outcome', (eb) => eb.fn.countAll<number>().as('n')])
    .where('runId', '=', runId)
    .where('outcome', 'in', OUTCOMES)
    .where('at', '>=', fromIso)
    .groupBy([minute, 'nodeId', 'outcome'])
    .execute();
  // Replies to retried attempts, to tell those asking to slow down (a few per minute, each reply once).
  const retried = await db
    .selectFrom('deliveryAttempts')
    .select([minute.as('minute'), 'nodeId', 'smtpCode', 'smtpReply', (eb) => eb.fn.countAll<number>().as('n')])
    .where('runId', '=', runId)
    .where('outcome', '=', 'retrying')
    .where('at', '>=', fromIso)
    .groupBy([minute, 'nodeId', 'smtpCode', 'smtpReply'])
    .execute();
  const eventMinute = sql<number>`${sql.ref('at')} / 60000`;
  const moves = await db
    .selectFrom('recipientEvents')
    .select([eventMinute.as('minute'), 'nodeId', 'nextNodeId', (eb) => eb.fn.countAll<number>().as('n')])
    .where('runId', '=', runId)
    .where('at', '>=', fromMs)
    .groupBy([eventMinute, 'nodeId', 'nextNodeId'])
    .execute();
  const throttled = new Map<string, MinuteCount>();
  for (const r of retried) {
    if (!isThrottle(r.smtpCode === null ? null : Number(r.smtpCode), r.smtpReply)) continue;
    const key = `${r.minute}|${r.nodeId}`;
    const c = throttled.get(key) ?? { minute: r.minute, nodeId: r.nodeId, what: 'throttled', n: 0 };
    c.n += Number(r.n);
    throttled.set(key, c);
  }
  return [
    ...attempts.map((r) => ({ minute: r.minute, nodeId: r.nodeId, what: r.outcome as string, n: Number(r.n) })),
    ...throttled.values(),
    ...moves.map((r) => ({ minute: minuteKey(Number(r.minute) * 60_000), nodeId: r.nodeId, what: `moved:${r.nextNodeId ?? ''}`, n: Number(r.n) })),
  ];
}

/**
 * Where the run's recipients are now, by step and state: one pass over the run_recipients_due index
 * (run_id, status, node_id, due_at), and the pending ones due later by step.
 */
export async function runPositions(db: Db, runId: string, nowMs: number): Promise<Position[]> {
  const rows = await db
    .selectFrom('runRecipients')
    .select(['status', 'nodeId', (eb) => eb.fn.countAll<number>().as('n')])
    .where('runId', '=', runId)
    .groupBy(['status', 'nodeId'])
    .execute();
  const later = rows.some((r) => r.status === 'pending')
    ? await db
        .selectFrom('runRecipients')
        .select(['nodeId', (eb) => eb.fn.countAll<number>().as('n')])
        .where('runId', '=', runId)
        .where('status', '=', 'pending')
        .where('dueAt', '>', nowMs)
        .groupBy('nodeId')
        .execute()
    : [];
  const waiting = new Map(later.map((r) => [r.nodeId, Number(r.n)]));
  return rows.flatMap((r): Position[] => {
    if (r.status !== 'pending') return [{ nodeId: r.nodeId, state: r.status, n: Number(r.n) }];
    const w = waiting.get(r.nodeId) ?? 0;
    return [
      { nodeId: r.nodeId, state: 'due', n: Number(r.n) - w },
      { nodeId: r.nodeId, state: 'waiting', n: w },
    ];
  });
}
