/**
 * One journey per contact: walks the compiled plan of a published flow version.
 * Deterministic code only (test/architecture.test.ts checks the imports).
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { drawDelayMs } from '../domain/flow/draw';
import type { SendOutcome } from '../domain/flow/nodes/condition';
import { PLAN_SCHEMA_VERSION } from '../domain/flow/plan';
import type { JourneyInput, JourneyResult } from './contracts';
import { sendStep } from './send-step';

const { sendWindowDueAt } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const { chooseBranch } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export async function journeyWorkflow({ plan, runId, contactId }: JourneyInput): Promise<JourneyResult> {
  if (plan.schemaVersion !== PLAN_SCHEMA_VERSION) {
    throw ApplicationFailure.nonRetryable(`plan schemaVersion ${String(plan.schemaVersion)} is not supported by this worker`);
  }
  let nodeId = plan.entry;
  let sent = 0;
  /** Each send's outcome so far, for a Condition that tests it. */
  const outcomes: Record<string, SendOutcome> = {};
  for (;;) {
    const step = plan.steps[nodeId];
    if (!step) throw ApplicationFailure.nonRetryable(`plan has no step "${nodeId}"`);
    switch (step.type) {
      case 'delay':
        // A thrown RangeError would fail the workflow task and retry it forever: fail the journey instead.
        if (!(step.minMs <= step.maxMs))
          throw ApplicationFailure.nonRetryable(`plan step "${nodeId}": min ${step.minMs} ms is above max ${step.maxMs} ms`);
        await sleep(drawDelayMs(step.minMs, step.maxMs, Math.random));
        nodeId = step.next;
        break;
      case 'sendEmail':
        try {
          outcomes[nodeId] = (await sendStep(runId, nodeId, contactId, step)).skipped ? 'skipped' : 'sent';
        } catch (err) {
          if (!(err instanceof ActivityFailure)) throw err;
          // A permanent failure ends this contact's journey (it is in the delivery log), unless a later
          // Condition tests this send's outcome: then the journey goes on, to take its "failed" branch.
          if (!step.continueOnFailure) return { status: 'failed', nodeId, sent, error: err.cause?.message ?? err.message };
          outcomes[nodeId] = 'failed';
          nodeId = step.next;
          break;
        }
        sent += 1;
        nodeId = step.next;
        break;
      case 'sendWindow': {
        // A new step type: histories recorded before it never reach this case, so it needs no patched().
        const { dueAt } = await sendWindowDueAt({ contactId, step, now: Date.now(), rand: Math.random() });
        await sleep(Math.max(0, dueAt - Date.now()));
        nodeId = step.next;
        break;
      }
      case 'condition':
        try {
          // An activity reads the contact and its lists; its result in history makes a replay take the same branch.
          nodeId = (await chooseBranch({ runId, contactId, step: { branches: step.branches, otherwise: step.otherwise }, sends: { ...outcomes } }))
            .next;
        } catch (err) {
          if (err instanceof ActivityFailure) return { status: 'failed', nodeId, sent, error: err.cause?.message ?? err.message };
          throw err;
        }
        break;
      case 'exit':
        return { status: 'completed', nodeId, sent };
      default:
        step satisfies never;
        throw ApplicationFailure.nonRetryable(`unknown step type in plan at "${nodeId}"`);
    }
  }
}
