/**
 * What a journey does at one step type: a handler per type (workflows/journey-steps/*), in a registry
 * keyed by step type, so a step type without one does not type-check. Workflow code: deterministic.
 */
import type { EventProperties } from '../domain/events';
import type { SendOutcome } from '../domain/flow/nodes/condition';
import type { Step } from '../domain/flow/plan';
import type { JourneyResult } from './contracts';

/** One contact's journey so far, as its steps see and update it. */
export interface Journey {
  readonly runId: string;
  readonly contactId: string;
  /** The flow whose plan it walks (a Webhook signs with the flow's secret). */
  readonly flowId: string;
  /** The properties of the API event that started it, for its emails. */
  readonly event?: EventProperties | undefined;
  /** Messages sent so far. */
  sent: number;
  /** Each send's outcome so far, by node id, for a Condition that tests it. */
  readonly outcomes: Record<string, SendOutcome>;
}

/** Where the journey goes from a step: on to a node, or it ends with this result. */
export type JourneyMove = { next: string } | { end: JourneyResult };

export type JourneyStep<S> = (journey: Journey, nodeId: string, step: S) => Promise<JourneyMove>;

/** One handler per step type: leaving one out is a type error naming the missing type. */
export type JourneySteps = { [T in Step['type']]: JourneyStep<Extract<Step, { type: T }>> };

/** A failed activity ends the journey as failed, with its error (it is in the delivery log or the history). */
export const failedAt = (journey: Journey, nodeId: string, error: string): JourneyMove => ({
  end: { status: 'failed', nodeId, sent: journey.sent, error },
});
