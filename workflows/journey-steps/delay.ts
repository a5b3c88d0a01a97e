/** A journey's Delay: sleeps a fixed wait, or one drawn between min and max with the workflow's seeded random. */
import { ApplicationFailure } from '@temporalio/workflow';
import { drawDelayMs } from '../../domain/flow/draw';
import type { DelayStep } from '../../domain/flow/plan';
import { type JourneyStep, waitFor } from '../journey-step';

export const delay: JourneyStep<DelayStep> = async (journey, nodeId, step) => {
  // A thrown RangeError would fail the workflow task and retry it forever: fail the journey instead.
  if (!(step.minMs <= step.maxMs)) throw ApplicationFailure.nonRetryable(`plan step "${nodeId}": min ${step.minMs} ms is above max ${step.maxMs} ms`);
  await waitFor(journey, drawDelayMs(step.minMs, step.maxMs, Math.random));
  return { next: step.next };
};
