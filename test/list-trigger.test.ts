/**
 * The list trigger on a real Temporal server, with the worker as production runs it (worker/main.ts in
 * a child process) and a real SMTP server: adding a contact to the list starts exactly one journey that
 * sends, and a journey whose start a crash interrupted (the member added, the web app gone before it
 * started the workflow) is started by the worker when it comes back, once. And an API event's
 * properties reach its journey's email ({{ event.<name> }}). An import into the list starts its new members' journeys.
 */
import type { ChildProcess } from 'node:child_process';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pendingListEntries } from '../server/db/list-entries';
import { addToList, insertList } from '../server/db/lists';
import { changeListMembers } from '../server/lists';
import { startImport, uploadImport } from '../server/imports';
import { importWorkflowId } from '../workflows/contracts';
import { Readable } from 'node:stream';
import { createApiKey } from '../server/api-keys';
import { acceptEvent } from '../server/events';
import type { FlowGraph } from '../domain/flow/schema';
import { admin, campaignEnv, type CampaignEnv, until } from './campaign-env';
import { installUsers, publishForTest } from './helpers';
import { listGraph } from './list-flows';

const TASK_QUEUE = 'list-trigger';
let env: CampaignEnv;
let listId: string;
beforeAll(async () => {
  env = await campaignEnv({ contacts: 2, taskQueue: TASK_QUEUE, inProcessWorker: false });
  // Journeys send as the flow's owner; a flow from before owners sends as the first admin.
  await installUsers(env, [['owner', 'admin']]);
  listId = await insertList(env.db, 'Newsletter');
  await publishForTest(env.db, 'welcome', listGraph(listId, 'once', 'Welcome {{ name }}'));
});
afterAll(async () => env?.close());

const entriesOf = (contactId: string) =>
  env.db.selectFrom('eventEntries').selectAll().where('flowId', '=', 'welcome').where('contactId', '=', contactId).execute();
const receivedBy = (email: string) => env.received.filter((m) => m.to === email);

async function killed(worker: ChildProcess) {
  worker.kill('SIGKILL');
  await new Promise((r) => worker.once('exit', r));
}

describe('a flow triggered by joining a list', () => {
  it('starts exactly one journey that sends when a contact is added, and none when they are added again', async () => {
    const worker = env.spawnWorker();
    const temporal = async () => ({ temporal: env.client, taskQueue: TASK_QUEUE });
    await changeListMembers(env.db, admin, listId, { add: ['ct_000000'], remove: [] }, temporal);
    // Started before the request answered: nothing is left for the worker.
    expect(await pendingListEntries(env.db, 10)).toEqual([]);
    const [entry] = await entriesOf('ct_000000');
    expect((await env.client.workflow.getHandle(entry!.workflowId).result()).status).toBe('completed');
    expect(receivedBy('person0@example.test').map((m) => m.text)).toEqual([expect.stringContaining('Hi Person 0')]);

    // Added again, and removed and added again: the flow lets a contact enter once ever.
    await changeListMembers(env.db, admin, listId, { add: ['ct_000000'], remove: [] }, temporal);
    await changeListMembers(env.db, admin, listId, { add: [], remove: ['ct_000000'] }, temporal);
    await changeListMembers(env.db, admin, listId, { add: ['ct_000000'], remove: [] }, temporal);
    expect(await entriesOf('ct_000000')).toHaveLength(1);
    expect(await pendingListEntries(env.db, 10)).toEqual([]);
    expect(receivedBy('person0@example.test')).toHaveLength(1);
    await killed(worker);
  });

  it('starts the journey a crash left unstarted when the worker comes back, once', async () => {
    // The member is added and the web app is gone before it starts the journey (no worker runs either).
    expect(await addToList(env.db, listId, ['ct_000001'])).toBe(1);
    const [entry] = await entriesOf('ct_000001');
    expect((await pendingListEntries(env.db, 10)).map((e) => e.id)).toEqual([entry!.id]);
    await expect(env.client.workflow.getHandle(entry!.workflowId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    const worker = env.spawnWorker();
    await until('the worker to start the journey', async () => (await pendingListEntries(env.db, 10)).length === 0);
    expect((await env.client.workflow.getHandle(entry!.workflowId).result()).status).toBe('completed');
    expect(receivedBy('person1@example.test')).toHaveLength(1);
    await killed(worker);
  });

  it("prints an API event's properties in the email of the journey it starts", async () => {
    const worker = env.spawnWorker();
    const orders = listGraph(listId, 'once', 'Order {{ event.order_id }}');
    orders.nodes[0] = { id: 't', type: 'trigger', position: { x: 0, y: 0 }, data: { source: 'event', event: 'order.paid' } };
    orders.nodes[1] = {
      ...orders.nodes[1]!,
      data: {
        profileId: 'sandbox',
        subject: 'Order {{ event.order_id }}',
        text: 'Order {{ event.order_id }}, total {{ event.total }}{{ event.missing }}.',
      },
    } as FlowGraph['nodes'][number];
    await publishForTest(env.db, 'orders', orders);
    const { apiKey } = await createApiKey(env.db, 'Shop', admin.id);
    const request = { event: 'order.paid', email: 'person1@example.test', properties: { order_id: 'A-1001', total: 42.5 }, idempotencyKey: 'paid-1' };
    const accepted = await acceptEvent(env.db, env.client, env.config, apiKey, request);
    expect(accepted.journeys).toMatchObject([{ flowId: 'orders', status: 'started' }]);
    expect((await env.client.workflow.getHandle(accepted.journeys[0]!.workflowId!).result()).status).toBe('completed');
    expect(receivedBy('person1@example.test').at(-1)?.text).toContain('Order A-1001, total 42.5.');
    await killed(worker);
  });

  it('starts a journey for each new member an import puts on the list', async () => {
    const worker = env.spawnWorker();
    const csv = Readable.from(['email,name\n', 'imported0@example.test,Ina\n', 'imported1@example.test,Ivo\n', 'person0@example.test,Person 0\n']);
    const uploaded = await uploadImport(env.db, env.config.DRIPLINE_DATA_DIR, admin, 'newcomers.csv', csv);
    await startImport(env.db, env.client, env.config, admin, uploaded.id, { mapping: [{ to: 'email' }, { to: 'name' }], listId });
    await env.client.workflow.getHandle(importWorkflowId(uploaded.id)).result();
    await until('both welcomes', async () => receivedBy('imported0@example.test').length + receivedBy('imported1@example.test').length === 2);
    expect(await pendingListEntries(env.db, 10)).toEqual([]);
    // person0 was on the list already (and entered once ever): nothing more for them.
    expect(receivedBy('person0@example.test')).toHaveLength(1);
    await killed(worker);
  });
});
