/**
 * What a journey does at one step type: a handler per type (workflows/journey-steps/*), in a registry
 * keyed by step type, so a step type without one does not type-check. Workflow code: deterministic.
 */
import { condition, sleep } from '@temporalio/workflow';
import type { EventProperties } from '../domain/events';
import type { EventProperties as EventValues, JourneyEvent } from '../domain/flow/event-match';
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
  /** The properties of the event that started the journey (for `sameAsEntry` filters). */
  readonly entryEvent?: EventValues;
  /** The flow has a goal: its waits end early when it is reached. */
  readonly hasGoal: boolean;
  /** Set when the goal event came: the node the contact was in. The journey ends there, converted. */
  convertedAt?: string;
  /** While a step waits for events (Wait until): hears each API event the journey is signalled. */
  listen?: (event: JourneyEvent) => void;
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

/**
 * Sleeps `ms`, or less if `until()` becomes true or the flow's goal is reached (a signal); true when
 * woken early. Without a goal and `until` it is the plain timer journeys have always slept on.
 */
export async function waitFor(journey: Journey, ms: number, until?: () => boolean): Promise<boolean> {
  if (!journey.hasGoal && !until) {
    await sleep(ms);
    return false;
  }
  // At least 1 ms, as sleep's timer is: condition(fn, 0) would take the SDK's own patch marker.
  return condition(() => journey.convertedAt !== undefined || (until?.() ?? false), Math.max(1, ms));
}
