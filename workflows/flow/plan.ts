/** The compiled form of a published flow: what a journey workflow receives as input. */
export interface DelayStep {
  type: 'delay';
  /** Inclusive bounds in milliseconds; equal for a fixed delay. */
  minMs: number;
  maxMs: number;
  next: string;
}

export interface SendEmailStep {
  type: 'sendEmail';
  profileId: string;
  subject: string;
  text: string;
  next: string;
}

export interface ExitStep {
  type: 'exit';
}

export type Step = DelayStep | SendEmailStep | ExitStep;

export interface Plan {
  schemaVersion: 1;
  flowId: string;
  version: number;
  /** The node the journey starts at (the one after the trigger). */
  entry: string;
  steps: Record<string, Step>;
}
