/**
 * Goal and exit, as people read it: how many of a flow's journeys reached its goal, per published
 * version and the step the contact was in, named as the canvas names it (`GET /api/flows/:id/conversions`).
 */
import { stepTitle } from '../domain/flow/step-title';
import { visibleFlow } from './access';
import type { Db } from './db';
import { conversionsByStep } from './db/conversions';
import { getFlowVersion } from './db/flows';
import type { Actor } from './profiles';

export interface FlowConversions {
  flowId: string;
  /** Journeys that converted, over every version. */
  converted: number;
  steps: { version: number; nodeId: string; step: string; converted: number }[];
}

/** The flow's conversions, for who may see the flow (404 otherwise). */
export async function flowConversions(db: Db, actor: Actor, flowId: string): Promise<FlowConversions> {
  const flow = await visibleFlow(db, actor, flowId);
  const rows = await conversionsByStep(db, flow.id);
  const plans = new Map<number, Awaited<ReturnType<typeof getFlowVersion>>>();
  const steps: FlowConversions['steps'] = [];
  for (const row of rows) {
    if (!plans.has(row.version)) plans.set(row.version, await getFlowVersion(db, flow.id, row.version));
    const plan = plans.get(row.version)?.plan;
    steps.push({ ...row, step: stepTitle(plan?.steps[row.nodeId], row.nodeId) });
  }
  return { flowId: flow.id, converted: steps.reduce((n, s) => n + s.converted, 0), steps };
}
