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

/** `positions`: where the run's recipients are now (runPositions), which the report's counts read too. */
export async function runFigures(db: Db, runId: string, plan: Plan | undefined, nowMs: number, positions: readonly Position[]): Promise<RunFigures> {
  const counts = await runMinuteCounts(db, runId, nowMs, isThrottleReply);
  return { overTime: overTime(counts), steps: plan ? stepReport(plan, positions, counts) : null };
}
