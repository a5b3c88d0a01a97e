/** Pausing, resuming, cancelling and rescheduling a campaign, and resending recipients held for review. */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { startAtProblem } from '../../domain/run-schedule';
import { type CampaignInput, rescheduleSignal, runControlSignals, wakeSignal } from '../../workflows/contracts';
import type { Config } from '../config';
import type { Db } from '../db';
import { releaseHeld } from '../db/recipients';
import { getRun, runPlan, setRunStartAt, setRunStatus, unfinishedRunsUsing } from '../db/runs';
import { UserError } from '../errors';
import { startOnce } from '../temporal/start-once';
import { campaignWorkflowId } from '../../workflows/contracts';

/**
 * Pause, resume or cancel a running campaign: a signal to its workflow, or for cancel Temporal's own
 * cancellation (so Temporal shows the run as cancelled); the workflow says so in the run's status.
 */
export async function controlRun(db: Db, temporal: Client, runId: string, action: keyof typeof runControlSignals): Promise<void> {
  const run = await getRun(db, runId);
  if (!run) throw new UserError(404, 'run_not_found', `run "${runId}" does not exist`);
  if (!run.workflowId || run.status === 'completed' || run.status === 'cancelled') {
    throw new UserError(409, 'run_finished', `run "${runId}" is ${run.status}; only a running or paused run can be paused, resumed or cancelled`);
  }
  try {
    const handle = temporal.workflow.getHandle(run.workflowId);
    await (action === 'cancel' ? handle.cancel() : handle.signal(runControlSignals[action]));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new UserError(409, 'run_finished', `run "${runId}" has already finished`);
    throw err;
  }
}

/** Moves a scheduled run's start (to a time in the future): the run's record, then its waiting campaign. 409 once it has started. */
export async function rescheduleRun(db: Db, temporal: Client, runId: string, startAt: string): Promise<void> {
  const at = new Date(startAt);
  const problem = startAtProblem(at, Date.now());
  if (problem) throw new UserError(422, 'invalid_start_at', problem, { field: 'startAt' });
  const run = await getRun(db, runId);
  if (!run) throw new UserError(404, 'run_not_found', `run "${runId}" does not exist`);
  if (!run.workflowId || !(await setRunStartAt(db, runId, at))) {
    throw new UserError(409, 'run_not_scheduled', `run "${runId}" is ${run.status}; only a scheduled run can be rescheduled`);
  }
  await temporal.workflow.getHandle(run.workflowId).signal(rescheduleSignal, at.getTime());
}

/**
 * A person resends recipients held for review (all of the run's, or these): their sends go out again
 * with the same Message-ID, and they go on through the flow. A finished run's campaign workflow is
 * started again for them (a new execution under the same id; nobody else is enrolled).
 */
export async function resendHeld(db: Db, temporal: Client, config: Config, runId: string, contactIds?: string[]): Promise<{ resent: number }> {
  const run = await getRun(db, runId);
  if (!run) throw new UserError(404, 'run_not_found', `run "${runId}" does not exist`);
  const plan = await runPlan(db, runId);
  if (!plan || !run.workflowId) throw new UserError(409, 'run_not_startable', `run "${runId}" was started before campaigns and has nothing held`);
  if (run.status === 'cancelled') throw new UserError(409, 'run_cancelled', `run "${runId}" was cancelled; nothing more is sent for it`);
  const resent = await releaseHeld(db, runId, contactIds);
  if (resent === 0)
    throw new UserError(409, 'nothing_held', `run "${runId}" has no recipient held for review${contactIds ? ' among those named' : ''}`);
  if (run.status === 'completed') {
    await setRunStatus(db, runId, 'running');
    const input: CampaignInput = { runId, plan, audience: 'contacts' };
    await startOnce(temporal, 'campaignWorkflow', { taskQueue: config.TEMPORAL_TASK_QUEUE, workflowId: run.workflowId, args: [input] });
  } else {
    try {
      await temporal.workflow.getHandle(run.workflowId).signal(wakeSignal);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return { resent };
}

/**
 * A profile was saved: the campaigns that send with it look again now instead of at their next
 * minute's check, so a paused profile (its login or certificate refused) resumes as soon as it is
 * fixed. Best effort: a campaign that misses the signal still looks within a minute.
 */
export async function wakeRunsUsing(db: Db, temporal: Client, profileId: string): Promise<number> {
  let woken = 0;
  for (const run of await unfinishedRunsUsing(db, profileId)) {
    try {
      await temporal.workflow.getHandle(campaignWorkflowId(run.id)).signal(wakeSignal);
      woken++;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return woken;
}
