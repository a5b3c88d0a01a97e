/**
 * The campaign's interpreter: moves its due recipients through the plan, each step by its type's
 * handler (COHORT_STEPS), and says what is left: Send steps with recipients due (for sendBatch), and
 * recipients due at a step nothing moved on, which the campaign workflow must not wait for forever.
 */
import type { Plan, Step } from '../../domain/flow/plan';
import type { Db } from '../db';
import { dueCounts } from '../db/recipients';
import type { CohortContext, CohortSteps } from './step';
import { COHORT_STEPS } from './steps';

/** The handler of a step type, or undefined for a type this worker does not know (a plan from a newer version). */
function handlerOf<T extends Step['type']>(type: T): CohortSteps[T] | undefined {
  return Object.hasOwn(COHORT_STEPS, type) ? COHORT_STEPS[type] : undefined;
}

/**
 * Moves every due recipient through the steps that need no SMTP, and lets a Send whose outcome a
 * Condition tests pass its failed and skipped recipients on. Repeats until nothing moves, so
 * Delay → Delay → Exit settles in one call. Returns how many moves it made.
 */
export async function advanceDueRecipients(db: Db, runId: string, plan: Plan, seed: number, nowMs: number): Promise<number> {
  let moved = 0;
  for (let pass = 0; pass <= Object.keys(plan.steps).length; pass++) {
    let movedThisPass = 0;
    for (const [nodeId, step] of Object.entries(plan.steps)) {
      const at: CohortContext = { db, runId, nodeId, seed, nowMs };
      movedThisPass += (await handlerOf(step.type)?.advance(at, step as never)) ?? 0;
    }
    moved += movedThisPass;
    if (movedThisPass === 0) break;
  }
  return moved;
}

/** Recipients due at one node that nothing moved on, and why: the node is not in the plan, its type has no handler here, or its handler left them. */
export interface StuckRecipients {
  nodeId: string;
  type: string | null;
  count: number;
  why: 'no such node' | 'no handler' | 'not moved';
}

export interface CohortState {
  /** Send steps with recipients due now, and how many: the campaign sends them in batches. */
  dueSends: { nodeId: string; count: number }[];
  /** Webhook steps with recipients due now, and how many: the campaign calls them a page at a time. */
  dueWebhooks: { nodeId: string; count: number }[];
  /**
   * Recipients due at a step that nothing moved on: a node the plan does not have, a step type this
   * worker does not know (a plan published by a newer version), or a handler that left them. Waiting would not move them.
   */
  stuck: StuckRecipients[];
  /** The earliest due time still in the future, if any (ms). */
  nextDueAt: number | null;
  /** Recipients not yet finished: pending, sending or retrying. */
  active: number;
}

/** What is due now (after `advanceDueRecipients`), when the next recipient is due, and how many remain. */
export async function cohortState(db: Db, runId: string, plan: Plan, nowMs: number): Promise<CohortState> {
  const { due, nextDueAt, active } = await dueCounts(db, runId, nowMs);
  const dueSends: CohortState['dueSends'] = [];
  const dueWebhooks: CohortState['dueWebhooks'] = [];
  const stuck: CohortState['stuck'] = [];
  for (const d of due) {
    const step = Object.hasOwn(plan.steps, d.nodeId) ? plan.steps[d.nodeId] : undefined;
    const handler = step && handlerOf(step.type);
    if (handler?.sentInBatches) dueSends.push(d);
    else if (handler?.calledInPages) dueWebhooks.push(d);
    else stuck.push({ ...d, type: step ? String(step.type) : null, why: !step ? 'no such node' : handler ? 'not moved' : 'no handler' });
  }
  return { dueSends, dueWebhooks, stuck, nextDueAt, active };
}
