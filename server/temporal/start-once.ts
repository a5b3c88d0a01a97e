/**
 * Starts a workflow under its deterministic id, once: "already started" (a double click, a retried
 * request, a racing worker) is success, not an error. The workflow is named as workflows/index.ts
 * exports it, so its name and its arguments are checked by the compiler, and only its type is imported.
 */
import { type Client, WorkflowExecutionAlreadyStartedError, type WorkflowStartOptions } from '@temporalio/client';
import type { WorkflowName, Workflows } from '../../workflows/contracts';

/** True when this call started it; false when a workflow with this id was already there (or, by the reuse policy, had been). */
export async function startOnce<N extends WorkflowName>(
  temporal: Client,
  workflow: N,
  options: WorkflowStartOptions<Workflows[N]>,
): Promise<boolean> {
  try {
    await temporal.workflow.start<Workflows[N]>(workflow, options);
    return true;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
    throw err;
  }
}
