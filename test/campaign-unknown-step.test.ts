/**
 * A campaign whose plan has a step this worker cannot move recipients through (a step type published
 * by a newer version of the app) fails, naming the step, instead of looping on advanceCohort without
 * sleeping: on a real Temporal server, with a real SMTP server, from a published version and startRun.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../domain/flow/compile';
import type { Plan, Step } from '../domain/flow/plan';
import { insertFlowVersion, saveFlowDraft } from '../server/db/flows';
import { listRunRecipients } from '../server/db/runs';
import { startRun } from '../server/runs/start';
import { admin, campaignEnv, type CampaignEnv } from './campaign-env';
import { graphWithDelay } from './helpers';

let env: CampaignEnv;
beforeAll(async () => {
  env = await campaignEnv({ contacts: 3, taskQueue: 'campaign-unknown-step', inProcessWorker: true });
});
afterAll(async () => env?.close());

describe('a campaign at a step no handler moves', () => {
  it('fails with a non-retryable StepNotAdvanced naming the step type and node, after the steps before it ran', async () => {
    const graph = graphWithDelay({ mode: 'fixed', amount: 0, unit: 'seconds' });
    const compiled = compile(graph, { flowId: 'newer', version: 1 });
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
    // As a newer web app would publish it: after the send, a "push" step this worker has no handler for.
    const send = compiled.plan.steps.send;
    if (send?.type !== 'sendEmail') throw new Error('the graph has no Send step "send"');
    const push = { type: 'push', title: 'Your order shipped', next: 'end' } as unknown as Step;
    const steps: Plan['steps'] = { ...compiled.plan.steps, send: { ...send, next: 'hook' }, hook: push };
    await saveFlowDraft(env.db, { id: 'newer', name: 'newer', graph });
    const version = await insertFlowVersion(env.db, 'newer', compiled.graph, (v) => ({ ...compiled.plan, version: v, steps }));
    const contactIds = ['ct_000000', 'ct_000001', 'ct_000002'];
    const { runId } = await startRun(env.db, env.client, env.config, admin, { flowId: 'newer', version, audience: { kind: 'contacts', contactIds } });
    const handle = env.client.workflow.getHandle(`campaign:${runId}`);

    const error = await handle.result().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const failure = (error as WorkflowFailedError).cause;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'StepNotAdvanced', nonRetryable: true });
    expect((failure as ApplicationFailure).message).toMatch(
      /3 recipient\(s\) are due at node "hook", a "push" step, which this worker has no campaign handler for/,
    );

    // The steps before it ran: everyone got the email, and waits at the step it could not move them through.
    expect(env.received.map((m) => m.to).sort()).toEqual(['person0@example.test', 'person1@example.test', 'person2@example.test']);
    const recipients = await listRunRecipients(env.db, runId, { offset: 0, limit: 10 });
    expect(recipients.items.map((r) => [r.status, r.nodeId])).toEqual([
      ['pending', 'hook'],
      ['pending', 'hook'],
      ['pending', 'hook'],
    ]);
    // It did not spin: one advance that moved them to the send, then one look and a second look at the stuck step.
    const history = await handle.fetchHistory();
    const advances = history.events?.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'advanceCohort') ?? [];
    expect(advances.length).toBeGreaterThanOrEqual(3);
    expect(advances.length).toBeLessThanOrEqual(4);
    expect(history.events?.at(-1)?.workflowExecutionFailedEventAttributes).toBeTruthy();
  });
});
