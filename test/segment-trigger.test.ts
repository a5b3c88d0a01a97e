/**
 * The segment trigger on a real Temporal server, with the worker as production runs it (worker/main.ts
 * in a child process) and a real SMTP server: a change that puts a contact in the segment starts exactly
 * one journey that sends, also with the worker killed between the change and the look; the scheduled
 * look catches a contact whose change no one noted (as a rule on time would); contacts in the segment
 * when the flow was published do not enter; entering the goal's segment ends a journey, converted.
 * The goal journey's and the segment check's histories are committed for test/replay.test.ts. Re-record
 * after an intended change behind patched(): DRIPLINE_RECORD_HISTORY=1 npx vitest run test/segment-trigger.test.ts
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContactFilter } from '../domain/contact-filter';
import { conversionsByStep } from '../server/db/conversions';
import { insertContacts, updateContact } from '../server/db/contacts';
import { pendingListEntries } from '../server/db/list-entries';
import { changedContacts, watchesReady } from '../server/db/segment-entries';
import { insertSegment } from '../server/db/segments';
import { isRunning } from '../server/events';
import { startOnce } from '../server/temporal/start-once';
import { segmentCheckWorkflowId } from '../workflows/contracts';
import { campaignEnv, type CampaignEnv, until } from './campaign-env';
import { installUsers, publishForTest, root } from './helpers';
import { segmentGraph } from './segment-flows';

const TASK_QUEUE = 'segment-trigger';
const is = (plan: string): ContactFilter => ({ match: 'all', rules: [{ field: 'plan', op: 'equals', value: plan }] });
let env: CampaignEnv;
let worker: ChildProcess;
beforeAll(async () => {
  env = await campaignEnv({ contacts: 3, taskQueue: TASK_QUEUE, inProcessWorker: false });
  await installUsers(env, [['owner', 'admin']]);
  // In the segment before the flow is published: remembered, never entered.
  await updateContact(env.db, 'ct_000002', { attributes: { plan: 'pro' } });
  const pro = await insertSegment(env.db, { name: 'Pro', filter: is('pro'), createdBy: 'owner' });
  const trial = await insertSegment(env.db, { name: 'Trial', filter: is('trial'), createdBy: 'owner' });
  await publishForTest(env.db, 'welcome-pro', segmentGraph(pro, 'once', { subject: 'Welcome to Pro {{ name }}' }));
  await publishForTest(env.db, 'trial', segmentGraph(trial, 'once', { subject: 'Your trial', goalSegmentId: pro, delayMinutes: 60 }));
  // Looks often, so the test waits seconds (the worker's own start of it is then a no-op).
  await startOnce(env.client, 'segmentCheckWorkflow', {
    taskQueue: TASK_QUEUE,
    workflowId: segmentCheckWorkflowId(TASK_QUEUE),
    args: [{ checkEverySeconds: 1, scanEverySeconds: 3 }],
  });
  worker = env.spawnWorker();
  await until('the first look at both segments', async () => [...(await watchesReady(env.db)).values()].join() === 'true,true');
});
afterAll(async () => env?.close());

const entriesOf = (flowId: string, contactId: string) =>
  env.db.selectFrom('eventEntries').selectAll().where('flowId', '=', flowId).where('contactId', '=', contactId).execute();
const receivedBy = (email: string) => env.received.filter((m) => m.to === email);

async function killed(child: ChildProcess) {
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
}

describe('a flow triggered by entering a segment', () => {
  it('starts exactly one journey that sends when a change puts a contact in the segment, with the worker killed in between', async () => {
    await killed(worker);
    await updateContact(env.db, 'ct_000000', { attributes: { plan: 'pro' } });
    expect((await changedContacts(env.db, 10)).map((c) => c.contactId)).toEqual(['ct_000000']);

    worker = env.spawnWorker();
    // The entry is written first, its workflow started after (the outbox): wait for both.
    await until(
      'the journey',
      async () => (await entriesOf('welcome-pro', 'ct_000000')).length === 1 && (await pendingListEntries(env.db, 10)).length === 0,
    );
    const [entry] = await entriesOf('welcome-pro', 'ct_000000');
    expect((await env.client.workflow.getHandle(entry!.workflowId).result()).status).toBe('completed');
    expect(receivedBy('person0@example.test').map((m) => m.text)).toEqual([expect.stringContaining('Hi Person 0')]);

    // Changed again while in the segment: looked at, and nothing new.
    await updateContact(env.db, 'ct_000000', { attributes: { plan: 'pro', seats: 3 } });
    await until('the look at the change', async () => (await changedContacts(env.db, 10)).length === 0);
    expect(await entriesOf('welcome-pro', 'ct_000000')).toHaveLength(1);
    // In the segment when the flow was published: not entered.
    expect(await entriesOf('welcome-pro', 'ct_000002')).toEqual([]);
  });

  it('catches on its schedule a contact whose change no one noted, as a rule on time would', async () => {
    await env.db
      .updateTable('contacts')
      .set({ attributes: JSON.stringify({ plan: 'pro' }) })
      .where('id', '=', 'ct_000001')
      .execute();
    expect(await changedContacts(env.db, 10)).toEqual([]);
    await until('the scheduled look to send', async () => receivedBy('person1@example.test').length === 1);
    expect(await entriesOf('welcome-pro', 'ct_000001')).toHaveLength(1);
    expect(receivedBy('person2@example.test')).toEqual([]);
  });

  it("ends a journey at once, converted at the step the contact was in, when they enter the goal's segment", async () => {
    await insertContacts(env.db, [{ id: 'ct_trial', email: 'trial@example.test', name: 'Tia', attributes: { plan: 'trial' } }]);
    await until('the trial journey', async () => {
      const [entry] = await entriesOf('trial', 'ct_trial');
      return entry !== undefined && (await isRunning(env.client, entry.workflowId));
    });
    const [entry] = await entriesOf('trial', 'ct_trial');
    await updateContact(env.db, 'ct_trial', { attributes: { plan: 'pro' } });
    expect(await env.client.workflow.getHandle(entry!.workflowId).result()).toEqual({ status: 'converted', nodeId: 'd', sent: 0 });
    expect(await conversionsByStep(env.db, 'trial')).toEqual([{ version: 1, nodeId: 'd', converted: 1 }]);
    if (process.env.DRIPLINE_RECORD_HISTORY === '1') {
      const write = async (workflowId: string, name: string) =>
        fs.writeFileSync(path.join(root, 'test', 'histories', name), historyToJSON(await env.client.workflow.getHandle(workflowId).fetchHistory()));
      await write(entry!.workflowId, 'journey-goal-segment.json');
      await write(segmentCheckWorkflowId(TASK_QUEUE), 'segment-check.json');
    }
    // Entering Pro also entered the flow that starts on it: its welcome, and never the trial's email.
    await until('the welcome to Pro', async () => receivedBy('trial@example.test').length === 1);
    expect(receivedBy('trial@example.test')[0]?.text).toContain('Hi Tia');
    await killed(worker);
  });
});
