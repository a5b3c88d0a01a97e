/**
 * How a campaign starts, beyond "now": a scheduled start waits on a durable timer (a reschedule
 * signal moves it, cancel ends it), and a spread start caps its first sends so they go out evenly
 * over N hours. Deterministic code only: time is the workflow's clock.
 */
import { condition } from '@temporalio/workflow';
import { nextsOf, type Plan, type SendEmailStep } from '../domain/flow/plan';
import { spreadTicks } from '../domain/run-schedule';
import type { CampaignState } from './contracts';

/** Waits until `state.startAt` (which a reschedule may move) or a cancel; then the run starts now. */
export async function waitForStart(state: CampaignState): Promise<void> {
  for (let at = state.startAt; at !== undefined && !state.cancelled && Date.now() < at; at = state.startAt) {
    const waitingFor = at;
    await condition(() => state.cancelled || state.startAt !== waitingFor, Math.max(1, waitingFor - Date.now()));
  }
  delete state.startAt;
  state.startedAt = Date.now();
}

/** The cap on a spread start's first sends: `perTick` more recipients each tick, from `startsAt` until `endsAt`. */
export interface Spread {
  /** The first Send steps (no other Send before them on any path): the ones capped. */
  nodeIds: string[];
  startsAt: number;
  endsAt: number;
  tickMs: number;
  perTick: number;
  /** Recipients given to the capped steps' batches so far. */
  given: number;
}

export function startSpread(plan: Plan, audience: number, hours: number, now: number): Spread {
  const { tickMs, perTick } = spreadTicks(audience, hours);
  return { nodeIds: firstSends(plan), startsAt: now, endsAt: now + hours * 3_600_000, tickMs, perTick, given: 0 };
}

/** The Send steps reached from the entry with no Send before them. */
export function firstSends(plan: Plan): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  const visit = (nodeId: string) => {
    const step = plan.steps[nodeId];
    if (!step || seen.has(nodeId)) return;
    seen.add(nodeId);
    if (step.type === 'sendEmail') {
      found.push(nodeId);
      return;
    }
    for (const next of nextsOf(step)) visit(next);
  };
  visit(plan.entry);
  return found;
}

/** How many more recipients the capped steps may send now (all of them once the window has passed). */
function allowance(spread: Spread | undefined, now: number): number {
  if (!spread || now >= spread.endsAt) return Number.POSITIVE_INFINITY;
  return spread.perTick * (Math.floor((now - spread.startsAt) / spread.tickMs) + 1) - spread.given;
}

/** When a capped step may send again: the next tick. */
export function untilNextTick(spread: Spread, now: number): number {
  return spread.startsAt + (Math.floor((now - spread.startsAt) / spread.tickMs) + 1) * spread.tickMs - now;
}

export interface BatchToSend {
  nodeId: string;
  step: SendEmailStep;
  limit: number;
}

/**
 * The batches to send for the Send steps with recipients due: up to `parallel` of `batchSize` a step,
 * and for a spread start's first sends no more than its cap allows now (counted as given).
 */
export function batchesToSend(
  plan: Plan,
  dueSends: { nodeId: string; count: number }[],
  options: { batchSize: number; parallel: number; spread: Spread | undefined; now: number },
): BatchToSend[] {
  const { batchSize, parallel, spread, now } = options;
  let left = allowance(spread, now);
  return dueSends.flatMap(({ nodeId, count }) => {
    const step = plan.steps[nodeId];
    if (step?.type !== 'sendEmail') return [];
    const capped = spread?.nodeIds.includes(nodeId) && Number.isFinite(left) ? spread : undefined;
    const take = capped ? Math.max(0, Math.min(count, left, batchSize * parallel)) : count;
    if (capped) {
      left -= take;
      capped.given += take;
    }
    const batches = Math.min(parallel, Math.ceil(take / batchSize));
    return Array.from({ length: batches }, (_, i) => ({ nodeId, step, limit: capped ? Math.min(batchSize, take - i * batchSize) : batchSize }));
  });
}
