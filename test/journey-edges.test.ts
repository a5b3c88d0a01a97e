/**
 * The journey workflow's edges, on Temporal's time-skipping test server with a test-double sendEmail
 * activity handed to the Worker (as Temporal's samples test workflows): a send that fails for good,
 * a plan from an unknown schema version, a Delay whose bounds are the wrong way round, and a Webhook
 * whose server never recovers (its retries spent, the journey takes Failed).
 */
import { ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activities } from '../activities';
import type { SendEmailInput, SendEmailResult } from '../activities/send-email';
import type { CallWebhookInput } from '../activities/webhook';
import { PLAN_SCHEMA_VERSION, type Plan, type Step } from '../domain/flow/plan';
import type { JourneyInput, JourneyResult } from '../workflows/contracts';
import { sleep, timeSkippingTemporal, workflowsPath } from './helpers';

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  env = await timeSkippingTemporal();
  // Bundled once: every test's worker runs the same workflow code.
  workflowBundle = await bundleWorkflowCode({ workflowsPath });
});

afterAll(async () => {
  await env?.teardown();
});

/** A test double for the sendEmail activity: answers each call with the next scripted outcome, and records its inputs. */
function scriptedSendEmail(outcomes: ((input: SendEmailInput) => SendEmailResult)[]) {
  const calls: SendEmailInput[] = [];
  const activities: Pick<Activities, 'sendEmail'> = {
    async sendEmail(input) {
      calls.push(input);
      const outcome = outcomes[calls.length - 1];
      if (!outcome) throw ApplicationFailure.nonRetryable(`sendEmail called ${calls.length} times; the test scripted ${outcomes.length}`);
      return outcome(input);
    },
  };
  return { activities, calls };
}

const delivered = (input: SendEmailInput): SendEmailResult => ({ messageId: `<${input.nodeId}@test>`, reply: '250 OK', alreadySent: false });

function plan(entry: string, steps: Record<string, Step>): Plan {
  return { schemaVersion: PLAN_SCHEMA_VERSION, flowId: 'edges', version: 1, entry, steps };
}

const send = (next: string): Step => ({ type: 'sendEmail', profileId: 'sandbox', subject: 'Hi {{name}}', text: 'Hello', next });

type Outcome = { kind: 'completed'; result: JourneyResult } | { kind: 'failed'; error: unknown } | { kind: 'task-retrying'; message: string };

/**
 * Resolves with the first workflow task failure in the workflow's history. Temporal retries a failed
 * workflow task forever, so a workflow that throws something other than a failure would never end.
 */
async function firstWorkflowTaskFailure(handle: WorkflowHandle, stop: AbortSignal): Promise<string | undefined> {
  while (!stop.aborted) {
    const events = (await handle.fetchHistory()).events ?? [];
    const failed = events.find((e) => e.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes;
    if (failed) return failed.failure?.message ?? 'workflow task failed';
    await sleep(200);
  }
  return undefined;
}

/**
 * Runs the journey by its registered name with an input the test controls entirely (it may be one the
 * type would not allow, as a plan from another version of the app), on a worker with these activities.
 */
async function runJourney(name: string, input: unknown, activities: Partial<Activities>) {
  const taskQueue = `edges-${name}`;
  const workflowId = `journey-edges-${name}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities });
  const handle = await env.client.workflow.start('journeyWorkflow', { taskQueue, workflowId, args: [input] });
  const stop = new AbortController();
  const outcome = await worker.runUntil(
    Promise.race<Outcome>([
      handle.result().then(
        (result: JourneyResult) => ({ kind: 'completed', result }),
        (error: unknown) => ({ kind: 'failed', error }),
      ),
      firstWorkflowTaskFailure(handle, stop.signal).then((message) => ({ kind: 'task-retrying', message: message ?? '' })),
    ]),
  );
  stop.abort();
  if (outcome.kind === 'task-retrying') await handle.terminate('the workflow task kept failing');
  const history = await handle.fetchHistory();
  return { outcome, history, events: history.events ?? [] };
}

function expectCompleted(outcome: Outcome): JourneyResult {
  if (outcome.kind === 'completed') return outcome.result;
  throw outcome.kind === 'failed' ? outcome.error : new Error(`the workflow task failed and would be retried forever: ${outcome.message}`);
}

/** The workflow failed (its task did not fail and retry forever), with a non-retryable ApplicationFailure whose message matches. */
function expectFailedWorkflow(outcome: Outcome, message: RegExp): ApplicationFailure {
  if (outcome.kind === 'completed') throw new Error(`the journey completed: ${JSON.stringify(outcome.result)}`);
  if (outcome.kind === 'task-retrying') throw new Error(`the workflow task failed and would be retried forever: ${outcome.message}`);
  expect(outcome.error).toBeInstanceOf(WorkflowFailedError);
  const cause = (outcome.error as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  const failure = cause as ApplicationFailure;
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toMatch(message);
  return failure;
}

describe('journey workflow edges (test-double activities, time-skipping server)', () => {
  it('ends the journey as failed, with the error, when a send fails non-retryably', async () => {
    const { activities, calls } = scriptedSendEmail([
      delivered,
      () => {
        throw ApplicationFailure.nonRetryable('550 5.1.1 mailbox unavailable', 'SmtpPermanentError');
      },
    ]);
    const input: JourneyInput = {
      plan: plan('first', { first: send('second'), second: send('end'), end: { type: 'exit' } }),
      runId: 'run-fail',
      contactId: 'ct_ada',
    };
    const { outcome, events } = await runJourney('permanent-failure', input, activities);

    expect(expectCompleted(outcome)).toEqual({ status: 'failed', nodeId: 'second', sent: 1, error: '550 5.1.1 mailbox unavailable' });
    // A non-retryable failure is not retried: one call per Send node, with the ids the ledger keys on.
    expect(calls.map((c) => c.nodeId)).toEqual(['first', 'second']);
    expect(calls[1]).toMatchObject({ runId: 'run-fail', contactId: 'ct_ada', profileId: 'sandbox', workflowId: 'journey-edges-permanent-failure' });
    // The journey ends normally with its result: the workflow itself completed.
    expect(events.filter((e) => e.activityTaskFailedEventAttributes)).toHaveLength(1);
    expect(events.at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();
  });

  it('retries a send that fails transiently, and completes once it goes through', async () => {
    const transient = () => {
      throw ApplicationFailure.retryable('454 4.7.0 try again later', 'SmtpTransientError');
    };
    const { activities, calls } = scriptedSendEmail([transient, transient, delivered]);
    const input: JourneyInput = { plan: plan('only', { only: send('end'), end: { type: 'exit' } }), runId: 'run-retry', contactId: 'ct_ada' };
    const { outcome } = await runJourney('transient-failure', input, activities);

    expect(expectCompleted(outcome)).toEqual({ status: 'completed', nodeId: 'end', sent: 1 });
    expect(calls).toHaveLength(3);
  });

  it('fails the workflow with a non-retryable ApplicationFailure for a plan of an unknown schemaVersion', async () => {
    const { activities, calls } = scriptedSendEmail([delivered]);
    const input = { plan: { ...plan('only', { only: send('end'), end: { type: 'exit' } }), schemaVersion: 2 }, runId: 'run-v2', contactId: 'ct_ada' };
    const { outcome, events } = await runJourney('unknown-schema', input, activities);

    expectFailedWorkflow(outcome, /plan schemaVersion 2 is not supported/);
    expect(calls).toHaveLength(0);
    expect(events.at(-1)?.workflowExecutionFailedEventAttributes).toBeTruthy();
  });

  it('fails the workflow, instead of retrying its task forever, for a Delay whose min is above its max', async () => {
    const { activities, calls } = scriptedSendEmail([delivered]);
    const steps: Record<string, Step> = {
      wait: { type: 'delay', minMs: 5_000, maxMs: 1_000, next: 'only' },
      only: send('end'),
      end: { type: 'exit' },
    };
    const { outcome, events, history } = await runJourney(
      'inverted-delay',
      { plan: plan('wait', steps), runId: 'run-delay', contactId: 'ct_ada' },
      activities,
    );

    expectFailedWorkflow(outcome, /plan step "wait": min 5000 ms is above max 1000 ms/);
    expect(calls).toHaveLength(0);
    // A thrown RangeError would have failed the workflow task (and been retried); here the first task failed the workflow.
    expect(events.filter((e) => e.workflowTaskFailedEventAttributes)).toHaveLength(0);
    expect(events.filter((e) => e.timerStartedEventAttributes)).toHaveLength(0);
    expect(events.at(-1)?.workflowExecutionFailedEventAttributes).toBeTruthy();
    expect(historyToJSON(history)).toContain('is above max');
  });

  it('fails the workflow, naming the type and the node, for a step type this worker has no journey handler for', async () => {
    const { activities, calls } = scriptedSendEmail([delivered]);
    // A plan published by a newer version of the app, with a step type this worker does not know.
    const steps = { first: send('hook'), hook: { type: 'push', title: 'Your order shipped', next: 'end' }, end: { type: 'exit' } };
    const { outcome, events } = await runJourney(
      'unknown-step',
      { plan: plan('first', steps as Record<string, Step>), runId: 'run-hook', contactId: 'ct_ada' },
      activities,
    );

    expectFailedWorkflow(outcome, /unknown step type "push" in plan at "hook": this worker has no journey handler for it/);
    // The steps before it ran; the unknown one failed the workflow at once, not its task over and over.
    expect(calls.map((c) => c.nodeId)).toEqual(['first']);
    expect(events.filter((e) => e.workflowTaskFailedEventAttributes)).toHaveLength(0);
    expect(events.at(-1)?.workflowExecutionFailedEventAttributes).toBeTruthy();
  });

  it('takes a Webhook’s Failed branch once its retries are spent (14 attempts, about an hour, skipped)', async () => {
    const calls: CallWebhookInput[] = [];
    const activities: Pick<Activities, 'callWebhook'> = {
      async callWebhook(input) {
        calls.push(input);
        throw ApplicationFailure.retryable('POST https://example.test/hook: 503 Service Unavailable', 'WebhookRetry');
      },
    };
    const steps: Record<string, Step> = {
      hook: { type: 'webhook', url: 'https://example.test/hook', body: '{}', success: 'sent', failure: 'not-sent' },
      sent: { type: 'exit' },
      'not-sent': { type: 'exit' },
    };
    const { outcome } = await runJourney('webhook-down', { plan: plan('hook', steps), runId: 'run-hook', contactId: 'ct_ada' }, activities);

    expect(expectCompleted(outcome)).toEqual({ status: 'completed', nodeId: 'not-sent', sent: 0 });
    expect(calls).toHaveLength(14);
    expect(calls[0]).toEqual({
      runId: 'run-hook',
      flowId: 'edges',
      nodeId: 'hook',
      contactId: 'ct_ada',
      url: 'https://example.test/hook',
      body: '{}',
    });
  });
});
