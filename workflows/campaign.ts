/**
 * One campaign workflow per run: walks the plan for the whole audience at once. The cohort's state
 * (each recipient's step and due time) lives in the app database; this workflow pages the audience
 * in, moves everyone through delays and exits, sends due recipients in batches, and sleeps until
 * the next one is due. It continues as new before its history grows large. Deterministic code only.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { StuckRecipients } from '../server/cohort/advance';
import { PLAN_SCHEMA_VERSION } from '../domain/flow/plan';
import { batchesToSend, startSpread, untilNextTick, waitForStart } from './campaign-start';
import { WebhookPages } from './campaign-webhooks';
import {
  type CampaignInput,
  type CampaignResult,
  type CampaignState,
  cancelSignal,
  pauseSignal,
  rescheduleSignal,
  resumeSignal,
  stateQuery,
  wakeSignal,
} from './contracts';

/**
 * Recipients per sendBatch activity, and batches in flight at once (they share the worker's pool).
 * Runs started before batches grew (no 'batch-2500' marker in their history) keep 1,000.
 */
export const BATCH_SIZE = 2500;
const LEGACY_BATCH_SIZE = 1000;
export const PARALLEL_BATCHES = 2;
const ENROLL_PAGE = 10_000;
/** While recipients are only retrying (on their own workflows), look again at least this often. */
const IDLE_CHECK_MS = 60_000;

const cohort = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
const { sendBatch } = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  // A dead worker is noticed by the missing heartbeat; the batch is retried and finishes its own claim.
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export async function campaignWorkflow(input: CampaignInput): Promise<CampaignResult> {
  const { plan } = input;
  if (plan.schemaVersion !== PLAN_SCHEMA_VERSION) {
    throw ApplicationFailure.nonRetryable(`plan schemaVersion ${String(plan.schemaVersion)} is not supported by this worker`);
  }
  const state: CampaignState = input.carried ?? {
    seed: Math.floor(Math.random() * 0x1_0000_0000),
    startedAt: Date.now(),
    ...(input.startAt === undefined ? {} : { startAt: input.startAt }),
    cursor: input.audience === 'all' ? '' : null,
    batches: 0,
    paused: false,
    cancelled: false,
    sent: 0,
    failed: 0,
    handedOff: 0,
    uncertain: 0,
  };
  setHandler(pauseSignal, () => {
    state.paused = true;
  });
  setHandler(resumeSignal, () => {
    state.paused = false;
  });
  setHandler(cancelSignal, () => {
    state.cancelled = true;
  });
  // Cancelling a run asks Temporal to cancel this workflow (controlRun). Nothing in flight is cut off: the
  // loop below runs in a non-cancellable scope, notices, lets in-flight batches finish, cancels the cohort,
  // and then ends as cancelled in Temporal too. (The cancel signal of runs cancelled before ends it as completed.)
  let cancelRequest: unknown;
  CancellationScope.current().cancelRequested.catch((err: unknown) => {
    cancelRequest = err;
    state.cancelled = true;
  });
  return CancellationScope.nonCancellable(() => runCampaign(input, state, () => cancelRequest));
}

async function runCampaign(input: CampaignInput, state: CampaignState, cancelRequest: () => unknown): Promise<CampaignResult> {
  const { runId, plan } = input;
  const workflowId = workflowInfo().workflowId;
  const batchSize = patched('batch-2500') ? BATCH_SIZE : LEGACY_BATCH_SIZE;
  let woken = false;
  let stuckBefore = false;
  setHandler(wakeSignal, () => {
    woken = true;
  });
  setHandler(rescheduleSignal, (startAt) => {
    if (state.startAt !== undefined) state.startAt = startAt;
  });
  setHandler(stateQuery, () => state);
  const webhooks = new WebhookPages({ runId, plan }, () => {
    woken = true;
  });

  // A scheduled run waits here, in Temporal, before anyone is enrolled; then it says it is running.
  if (state.startAt !== undefined) {
    await waitForStart(state);
    if (!state.cancelled) await cohort.setRunStatus({ runId, status: 'running' });
  }

  const longHistory = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > 8_000;

  while (state.cursor !== null && !state.cancelled) {
    const page = await cohort.enrollPage({ runId, entry: plan.entry, workflowId, dueAt: state.startedAt, after: state.cursor, limit: ENROLL_PAGE });
    state.cursor = page.next;
    if (longHistory()) await continueAsNew<typeof campaignWorkflow>({ ...input, carried: state });
  }

  for (;;) {
    if (state.cancelled) {
      await webhooks.drain();
      await cohort.cancelCohort({ runId });
      await cohort.setRunStatus({ runId, status: 'cancelled' });
      if (cancelRequest()) throw cancelRequest();
      return { status: 'cancelled', sent: state.sent, failed: state.failed, handedOff: state.handedOff };
    }
    if (state.paused) {
      await cohort.setRunStatus({ runId, status: 'paused' });
      await condition(() => !state.paused || state.cancelled);
      if (!state.cancelled) await cohort.setRunStatus({ runId, status: 'running' });
      continue;
    }
    if (longHistory()) {
      await webhooks.drain();
      await continueAsNew<typeof campaignWorkflow>({ ...input, carried: state });
    }

    woken = false;
    const cohortNow = await cohort.advanceCohort({ runId, plan, seed: state.seed });
    // Recipients due at a step nothing moved on would keep this loop from ever sleeping: fail, naming it.
    // Once is not enough to tell: a retry workflow may have settled one onto a step just as the cohort moved.
    const [stuck] = cohortNow.stuck ?? []; // absent from results recorded before it was reported
    if (stuck && stuckBefore) throw stuckFailure(stuck);
    stuckBefore = stuck !== undefined;
    if (stuck) continue;
    // Webhook calls go on beside the sends, a page per step at a time (absent from results recorded before).
    webhooks.start(cohortNow.dueWebhooks ?? [], () => `${workflowId}:${++state.batches}`);
    if (cohortNow.active === 0) {
      await webhooks.drain();
      await cohort.setRunStatus({ runId, status: 'completed' });
      return { status: 'completed', sent: state.sent, failed: state.failed, handedOff: state.handedOff };
    }
    // A spread start caps its first sends from the moment the audience is in and counted.
    if (input.spreadHours !== undefined && !state.spread) state.spread = startSpread(plan, cohortNow.active, input.spreadHours, Date.now());
    const batches = batchesToSend(plan, cohortNow.dueSends, { batchSize, parallel: PARALLEL_BATCHES, spread: state.spread, now: Date.now() });
    if (batches.length > 0) {
      const results = await Promise.all(
        batches.map(({ nodeId, step, limit }) =>
          sendBatch({ runId, nodeId, step, claim: `${workflowId}:${++state.batches}`, limit, campaignWorkflowId: workflowId }),
        ),
      );
      for (const r of results) {
        state.sent += r.sent + r.alreadySent;
        state.failed += r.failed;
        state.handedOff += r.handedOff;
        state.uncertain += r.uncertain;
      }
      // A sender the server refuses (login, certificate) is paused until someone saves it again: look once a
      // minute, or at once when it is saved (wakeRunsUsing signals wake). Histories from before did not wake here.
      if (results.some((r) => r.profileFailing)) {
        const wakes = patched('wake-paused-profile');
        await condition(() => (wakes && woken) || state.paused || state.cancelled, IDLE_CHECK_MS);
      }
      continue;
    }
    // Nothing due now: sleep until the next recipient is due, or a retry settles one, or a signal comes.
    // (Sends due but held back by a spread start's cap: until its next tick.)
    const capped = cohortNow.dueSends.length > 0 && state.spread ? untilNextTick(state.spread, Date.now()) : undefined;
    if (cohortNow.nextDueAt === null && capped === undefined) await cohort.ensureRetryWorkflows({ runId, plan, campaignWorkflowId: workflowId });
    const sleepMs = cohortNow.nextDueAt === null ? (capped ?? IDLE_CHECK_MS) : Math.max(10, cohortNow.nextDueAt - cohortNow.now);
    await condition(() => woken || state.paused || state.cancelled, Math.min(sleepMs, capped ?? sleepMs, IDLE_CHECK_MS * 60));
  }
}

/** Recipients due at a step this worker cannot move them through: the run stops here, and says why. */
function stuckFailure(stuck: StuckRecipients): ApplicationFailure {
  const at = `${stuck.count} recipient(s) are due at node "${stuck.nodeId}"`;
  const why =
    stuck.why === 'no such node'
      ? 'which is not in the plan'
      : stuck.why === 'no handler'
        ? `a "${stuck.type}" step, which this worker has no campaign handler for: deploy workers before the web app, then start the run again`
        : `a "${stuck.type}" step, whose campaign handler did not move them on`;
  return ApplicationFailure.nonRetryable(`${at}, ${why}`, 'StepNotAdvanced');
}
