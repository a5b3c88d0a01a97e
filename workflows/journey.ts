/**
 * One journey per contact: walks the compiled plan of a published flow version, each step by its
 * type's handler (workflows/journey-steps/*). Deterministic code only (test/architecture.test.ts checks the imports).
 */
import { ApplicationFailure, patched, upsertSearchAttributes } from '@temporalio/workflow';
import { PLAN_SCHEMA_VERSION, type Step } from '../domain/flow/plan';
import { type JourneyInput, type JourneyResult, outcomeAttribute } from './contracts';
import type { Journey, JourneySteps } from './journey-step';
import { JOURNEY_STEPS } from './journey-steps';

/** The handler of a step type, or undefined for a type this worker does not know (a plan from a newer version). */
function handlerOf<T extends Step['type']>(type: T): JourneySteps[T] | undefined {
  return Object.hasOwn(JOURNEY_STEPS, type) ? JOURNEY_STEPS[type] : undefined;
}

export async function journeyWorkflow({ plan, runId, contactId }: JourneyInput): Promise<JourneyResult> {
  if (plan.schemaVersion !== PLAN_SCHEMA_VERSION) {
    throw ApplicationFailure.nonRetryable(`plan schemaVersion ${String(plan.schemaVersion)} is not supported by this worker`);
  }
  const journey: Journey = { runId, contactId, flowId: plan.flowId, sent: 0, outcomes: {} };
  let nodeId = plan.entry;
  for (;;) {
    const step = Object.hasOwn(plan.steps, nodeId) ? plan.steps[nodeId] : undefined;
    if (!step) throw ApplicationFailure.nonRetryable(`plan has no step "${nodeId}"`);
    const handler = handlerOf(step.type);
    if (!handler) {
      throw ApplicationFailure.nonRetryable(
        `unknown step type "${String(step.type)}" in plan at "${nodeId}": this worker has no journey handler for it (deploy workers before the web app)`,
      );
    }
    const move = await handler(journey, nodeId, step as never);
    if ('end' in move) {
      // Listed by outcome in the Web UI. Journeys that ended before this was recorded did not.
      if (patched('outcome-search-attribute')) upsertSearchAttributes([{ key: outcomeAttribute, value: move.end.status }]);
      return move.end;
    }
    nodeId = move.next;
  }
}
