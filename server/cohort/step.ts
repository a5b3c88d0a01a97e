/**
 * What the campaign does with its cohort at one step type: a handler per type (server/cohort/steps/*),
 * in a registry keyed by step type, so a step type without one does not type-check.
 */
import type { Step } from '../../domain/flow/plan';
import type { Db } from '../db';

/** Where the handler works: one node of one run, at the cohort's clock and with the run's seed. */
export interface CohortContext {
  db: Db;
  runId: string;
  nodeId: string;
  /** For Randomize: each contact's draw derives from this and its id (replay- and retry-safe). */
  seed: number;
  nowMs: number;
}

export interface CohortStep<S> {
  /** Moves every recipient due at this step on (all of its pages); returns how many moved. */
  advance(at: CohortContext, step: S): Promise<number>;
  /** Its due recipients are sent by the campaign workflow's sendBatch activity, not moved by `advance`. */
  sentInBatches: boolean;
  /** Its due recipients are called by the campaign workflow's callWebhooks activity, a page at a time (Webhook). */
  calledInPages?: true;
}

/** One handler per step type: leaving one out is a type error naming the missing type. */
export type CohortSteps = { [T in Step['type']]: CohortStep<Extract<Step, { type: T }>> };

/** Reads a page of due recipients and moves it, until a read comes back empty; returns how many moved. */
export async function byPages<R>(read: () => Promise<R[]>, move: (page: R[]) => Promise<void>): Promise<number> {
  let moved = 0;
  for (;;) {
    const page = await read();
    if (page.length === 0) return moved;
    await move(page);
    moved += page.length;
  }
}
