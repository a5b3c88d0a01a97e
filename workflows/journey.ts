/**
 * One journey per contact: walks the compiled plan of a published flow version, each step by its
 * type's handler (workflows/journey-steps/*). API events for the contact come as the `event` signal: the
 * flow's goal event ends the journey at once, converted, at the step the contact was in; a Wait until
 * hears them too. Entering the goal's segment (the `segmentEntered` signal) ends it the same way. Deterministic code only (test/architecture.test.ts checks the imports).
 */
import { ApplicationFailure, patched, proxyActivities, setHandler, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { eventMatches } from '../domain/flow/event-match';
import { PLAN_SCHEMA_VERSION, type Step } from '../domain/flow/plan';
import { type JourneyInput, type JourneyResult, journeyEventSignal, journeySegmentSignal, outcomeAttribute } from './contracts';
import type { Journey, JourneySteps } from './journey-step';
import { JOURNEY_STEPS } from './journey-steps';

const { recordConversion } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** The handler of a step type, or undefined for a type this worker does not know (a plan from a newer version). */
function handlerOf<T extends Step['type']>(type: T): JourneySteps[T] | undefined {
  return Object.hasOwn(JOURNEY_STEPS, type) ? JOURNEY_STEPS[type] : undefined;
}

export async function journeyWorkflow({ plan, runId, contactId, entryEvent, event: properties, startAt }: JourneyInput): Promise<JourneyResult> {
  if (plan.schemaVersion !== PLAN_SCHEMA_VERSION) {
    throw ApplicationFailure.nonRetryable(`plan schemaVersion ${String(plan.schemaVersion)} is not supported by this worker`);
  }
  const { goal, goalSegment } = plan;
  const journey: Journey = {
    runId,
    contactId,
    flowId: plan.flowId,
    event: properties,
    sent: 0,
    outcomes: {},
    entryEvent,
    hasGoal: goal !== undefined || goalSegment !== undefined,
  };
  let nodeId = plan.entry;
  setHandler(journeyEventSignal, (event) => {
    if (goal && journey.convertedAt === undefined && eventMatches(goal, event, entryEvent)) journey.convertedAt = nodeId;
    journey.listen?.(event);
  });
  // Goal and exit on a segment: the segment check (server/segment-entries.ts) says the contact entered it.
  setHandler(journeySegmentSignal, (segmentId) => {
    if (goalSegment === segmentId && journey.convertedAt === undefined) journey.convertedAt = nodeId;
  });
  // A date Trigger starts journeys ahead of their moment (journeys of older histories have no startAt: no timer).
  if (startAt !== undefined && startAt > Date.now()) await sleep(startAt - Date.now());
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
    if (journey.convertedAt !== undefined) {
      // The goal came while the contact was at this step: counted there, and the journey ends.
      const at = journey.convertedAt;
      await recordConversion({ runId, flowId: plan.flowId, version: plan.version, nodeId: at, contactId });
      if (patched('outcome-search-attribute')) upsertSearchAttributes([{ key: outcomeAttribute, value: 'converted' }]);
      return { status: 'converted', nodeId: at, sent: journey.sent };
    }
    if ('end' in move) {
      // Listed by outcome in the Web UI. Journeys that ended before this was recorded did not.
      if (patched('outcome-search-attribute')) upsertSearchAttributes([{ key: outcomeAttribute, value: move.end.status }]);
      return move.end;
    }
    nodeId = move.next;
  }
}
