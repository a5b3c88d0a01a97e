/**
 * Deleting a contact on a real Temporal server and a real SMTP server: a contact waiting in a delay of
 * an event journey and of a campaign run is deleted; the journey is cancelled, nothing reaches them
 * after, the campaign goes on for the others, the contact and their personal data leave every table of
 * the app database, and the delivery log keeps their rows under an anonymised id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowGraph } from '../domain/flow/schema';
import { sql } from '../server/db';
import { anonymisedContactId, DELETED_CONTACT } from '../server/db/contact-erasure';
import { getContact, setContactStatus } from '../server/db/contacts';
import { insertEventEntry } from '../server/db/event-entries';
import { addToList, insertList } from '../server/db/lists';
import { recipientCounts } from '../server/db/recipients';
import { listRunRecipients } from '../server/db/runs';
import { deleteContact } from '../server/contact-deletion';
import { sendOneOff } from '../server/one-off';
import { eventWorkflowId } from '../workflows/contracts';
import { journeyWorkflow } from '../workflows/journey';
import { admin, campaignEnv, type CampaignEnv, until } from './campaign-env';
import { attemptsOf, graphWithDelay, publishForTest, sleep } from './helpers';

let env: CampaignEnv;
beforeAll(async () => {
  env = await campaignEnv({ contacts: 2, taskQueue: 'contact-delete-test', inProcessWorker: true });
});
afterAll(async () => env?.close());

/** An event journey: a welcome now, a follow-up 6 seconds later. */
const journeyGraph: FlowGraph = {
  schemaVersion: 1,
  nodes: [
    { id: 'start', type: 'trigger', position: { x: 0, y: 0 }, data: { source: 'event', event: 'signup' } },
    { id: 'welcome', type: 'sendEmail', position: { x: 0, y: 100 }, data: { profileId: 'sandbox', subject: 'Welcome', text: 'Hi' } },
    { id: 'wait', type: 'delay', position: { x: 0, y: 200 }, data: { mode: 'fixed', amount: 6, unit: 'seconds' } },
    { id: 'followUp', type: 'sendEmail', position: { x: 0, y: 300 }, data: { profileId: 'sandbox', subject: 'Follow-up', text: 'Still there?' } },
    { id: 'end', type: 'exit', position: { x: 0, y: 400 }, data: {} },
  ],
  edges: [
    { id: 'e1', source: 'start', target: 'welcome' },
    { id: 'e2', source: 'welcome', target: 'wait' },
    { id: 'e3', source: 'wait', target: 'followUp' },
    { id: 'e4', source: 'followUp', target: 'end' },
  ],
};

describe('deleting a contact', () => {
  it('cancels their journey in a delay, sends them nothing more, removes their data and keeps the log anonymised', async () => {
    const gone = 'ct_000000';
    const email = 'person0@example.test';
    const anon = anonymisedContactId(gone);
    const listId = await insertList(env.db, 'Newsletter');
    await addToList(env.db, listId, [gone, 'ct_000001']);

    // An event journey, started as acceptEvent starts one: its entry, then the workflow.
    const plan = await publishForTest(env.db, 'welcome-journey', journeyGraph);
    const entryId = 'evt_delete_test';
    const journeyId = eventWorkflowId('welcome-journey', gone, 'key-1');
    await insertEventEntry(
      env.db,
      {
        id: entryId,
        flowId: 'welcome-journey',
        version: plan.version,
        contactId: gone,
        event: 'signup',
        idempotencyKey: `signup-${email}`,
        workflowId: journeyId,
        apiKeyId: 'key_test',
      },
      { onlyIfFirst: false },
    );
    const journey = await env.client.workflow.start(journeyWorkflow, {
      taskQueue: 'contact-delete-test',
      workflowId: journeyId,
      args: [{ plan, runId: entryId, contactId: gone }],
    });
    // A campaign run for the list's two contacts, waiting 8 seconds before its send.
    const { runId, handle } = await env.run('delete-campaign', graphWithDelay({ mode: 'fixed', amount: 8, unit: 'seconds' }), {
      audience: { kind: 'list', listId },
    });
    await until('both enrolled in the campaign', async () => (await recipientCounts(env.db, runId, Date.now())).waiting === 2);
    await until('the welcome sent and the journey waiting', async () => {
      const history = await journey.fetchHistory();
      return history.events?.some((e) => e.timerStartedEventAttributes) ?? false;
    });
    expect(env.received.filter((m) => m.to === email)).toHaveLength(1);

    // A one-off message the server refused with the address in its reply (the bounce suppresses; lifted again).
    env.answers.set(email, () => ({ code: 550, text: `5.1.1 <${email}>: Recipient address rejected` }));
    const oneOff = await sendOneOff(env.db, env.client, env.config, admin, { contactId: gone, subject: 'Receipt', text: 'Thanks' });
    await env.client.workflow.getHandle(oneOff.workflowId).result();
    env.answers.delete(email);
    expect((await attemptsOf(env.db, oneOff.runId)).at(-1)?.smtpReply).toContain(email);
    await setContactStatus(env.db, gone, 'subscribed', 'lifted for the test');

    const deleted = await deleteContact(env.db, env.client, admin, gone);
    expect(deleted).toMatchObject({ contactId: gone, anonymisedId: anon, cancelledWorkflows: 1 });
    await until('the journey to end cancelled', async () => (await journey.describe()).status.name === 'CANCELLED');
    expect(await getContact(env.db, gone)).toBeUndefined();

    // The campaign goes on for the other contact; after the journey's delay would have ended, nothing more reached them.
    expect(await handle.result()).toMatchObject({ status: 'completed', sent: 1 });
    await sleep(2_000);
    expect(env.received.filter((m) => m.to === email)).toHaveLength(1);
    expect(env.received.filter((m) => m.to === 'person1@example.test')).toHaveLength(1);

    const recipients = (await listRunRecipients(env.db, runId, { offset: 0, limit: 10 })).items;
    expect(recipients.map((r) => [r.id, r.email, r.status])).toEqual([
      ['ct_000001', 'person1@example.test', 'completed'],
      [anon, DELETED_CONTACT, 'cancelled'],
    ]);
    // The delivery log keeps the welcome and the refusal, anonymised.
    const welcome = await attemptsOf(env.db, entryId);
    expect(welcome.map((a) => [a.contactId, a.nodeId, a.outcome])).toEqual([[anon, 'welcome', 'sent']]);
    const refused = (await attemptsOf(env.db, oneOff.runId)).at(-1);
    expect(refused).toMatchObject({ contactId: anon, outcome: 'failed' });
    expect(refused?.smtpReply).toBe(`550 5.1.1 <${DELETED_CONTACT}>: Recipient address rejected`);

    // Their email and name are nowhere in the app database; their id only inside workflow ids (Temporal's links).
    const tables = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`.execute(env.db);
    for (const { name } of tables.rows) {
      const rows = await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(name)}`.execute(env.db);
      for (const row of rows.rows) {
        const text = JSON.stringify(row);
        expect(text.toLowerCase().includes(email), `${name}: ${text}`).toBe(false);
        expect(text.includes('Person 0'), `${name}: ${text}`).toBe(false);
        const { workflowId: _w, workflow_id: _w2, ...rest } = row;
        expect(JSON.stringify(rest).includes(gone), `${name}: ${text}`).toBe(false);
      }
    }
    // Deleting again: 404.
    await expect(deleteContact(env.db, env.client, admin, gone)).rejects.toMatchObject({ status: 404 });
    // Agents may not.
    await expect(deleteContact(env.db, env.client, { role: 'agent' }, 'ct_000001')).rejects.toMatchObject({ status: 403 });
  });
});
