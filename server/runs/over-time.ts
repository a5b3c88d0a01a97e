/** The report of a run over time and per step (what the run page draws as a chart and on the flow's canvas). */
import type { Db } from '../db';
import { runMinuteCounts } from '../db/run-report';
import type { Plan } from '../../domain/flow/plan';
import { type OverTime, overTime, type Position, type StepReport, stepReport } from '../../domain/run-report';
import { classifySmtpError } from '../smtp/classify';

/** A retried attempt's reply asked to slow down, as the sending engine classified it when it came. */
export const isThrottleReply = (code: number | null, reply: string) =>
  classifySmtpError({ responseCode: code ?? undefined, response: reply }).kind === 'throttled';

export interface RunFigures {
  overTime: OverTime;
  /** Each step's figures and each connection's recipients; null without the run's plan. */
  steps: StepReport | null;
}

/**
 * A run's minute counts read in this process within the last FRESH_MS: a minute not settled yet is counted
 * from the delivery log at each read, a whole run's worth while it is young, so every page refresh and API
 * poll (`GET /api/runs/<id>`) of a run sending 2,000 messages a second would scan its log again; the chart's
 * minutes lose nothing by being a few seconds old.
 */
const FRESH_MS = 5_000;
type Counts = Awaited<ReturnType<typeof runMinuteCounts>>;
/** Per database (a process may hold several: the tests), per run. */
const read = new WeakMap<Db, Map<string, { at: number; counts: Counts }>>();

async function minuteCounts(db: Db, runId: string, nowMs: number, live: boolean): Promise<Counts> {
  const recent = read.get(db) ?? new Map<string, { at: number; counts: Counts }>();
  read.set(db, recent);
  const seen = recent.get(runId);
  if (live && seen && nowMs - seen.at < FRESH_MS && nowMs >= seen.at) return seen.counts;
  const counts = await runMinuteCounts(db, runId, nowMs, isThrottleReply);
  for (const [id, entry] of recent) if (nowMs - entry.at >= FRESH_MS) recent.delete(id);
  recent.set(runId, { at: nowMs, counts });
  return counts;
}

/**
 * `positions`: where the run's recipients are now (runPositions), which the report's counts read too. `live`:
 * the run is sending, so counts a few seconds old may serve; a run that has ended (its page's last refresh)
 * is always counted afresh.
 */
export async function runFigures(
  db: Db,
  runId: string,
  plan: Plan | undefined,
  nowMs: number,
  positions: readonly Position[],
  live = false,
): Promise<RunFigures> {
  const counts = await minuteCounts(db, runId, nowMs, live);
  return { overTime: overTime(counts), steps: plan ? stepReport(plan, positions, counts) : null };
}
