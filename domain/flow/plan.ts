/** The compiled form of a published flow: what a workflow receives as input. Only `compile` makes one. */
import type { EventMatch } from './event-match';
import type { Step } from './nodes';

export type { DelayStep } from './nodes/delay';
export type { SendEmailStep } from './nodes/send-email';
export type { ExitStep } from './nodes/exit';
export type { SendWindowStep } from './nodes/send-window';
export type { ConditionStep } from './nodes/condition';
export type { SplitStep } from './nodes/split';
export type { WebhookStep } from './nodes/webhook';
export type { WaitUntilStep } from './nodes/wait-until';
export type { Step };

/** Bumped when a plan's shape changes; workflows refuse versions they do not know. */
export const PLAN_SCHEMA_VERSION = 1 as const;

export interface Plan {
  schemaVersion: typeof PLAN_SCHEMA_VERSION;
  flowId: string;
  version: number;
  /** The node the journey starts at (the one after the trigger). */
  entry: string;
  steps: Record<string, Step>;
  /** Goal and exit (journeys): this event ends a contact's journey at once, counted as converted. Absent: no goal. */
  goal?: EventMatch;
  /** Goal and exit (journeys): entering this segment (its id) ends a contact's journey at once, counted as converted. */
  goalSegment?: string;
}

/** Every node a step may go on to (exhaustive: a new step type that forgets its outputs does not compile). */
export function nextsOf(step: Step): string[] {
  switch (step.type) {
    case 'delay':
    case 'sendEmail':
    case 'sendWindow':
      return [step.next];
    case 'condition':
      return [...step.branches.map((b) => b.next), step.otherwise];
    case 'split':
      return step.branches.map((b) => b.next);
    case 'webhook':
      return [step.success, step.failure];
    case 'waitUntil':
      return [step.met, step.timedOut];
    case 'exit':
      return [];
    default:
      return step satisfies never;
  }
}
