/**
 * A run's audience from a list or a filter, and contacts entering a flow by an API event, on a real
 * SQLite database and a real PostgreSQL one: enrolment takes the subscribed members once, and two
 * events at once for a "once ever" flow let the contact in once; erasing a contact takes their email out
 * of the delivery log whatever its case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContactFilter } from '../domain/contact-filter';
import type { Db } from '../server/db';
import { anonymisedContactId, DELETED_CONTACT, eraseContact } from '../server/db/contact-erasure';
import { enrollFilterRecipients } from '../server/db/contact-filter';
import { insertContacts, setContactStatus } from '../server/db/contacts';
import { recordDeliveryAttempt } from '../server/db/deliveries';
import { insertEventEntry } from '../server/db/event-entries';
import { addToList, enrollListRecipients, insertList, listLists, removeFromList } from '../server/db/lists';
import { insertRun, listRunRecipients } from '../server/db/runs';
import { visibleListMembers, visibleRunPlans } from '../server/access';
import { stepTitle } from '../domain/flow/step-title';
import { databases, tempInstallOn } from './databases';
import { graphWithDelay, publishForTest } from './helpers';

describe.each(databases)('on %s', (dialect) => {
  let db: Db;
  let version: number;
  beforeAll(async () => {
    db = (await tempInstallOn(dialect)).db;
    await insertContacts(
      db,
      ['a', 'b', 'c', 'd'].map((n, i) => ({ id: `ct_${n}`, email: `${n}@example.test`, attributes: { plan: i % 2 === 0 ? 'pro' : 'free' } })),
    );
    await setContactStatus(db, 'ct_c', 'unsubscribed', 'test');
    const plan = await publishForTest(db, 'audience', graphWithDelay({ mode: 'fixed', amount: 1, unit: 'hours' }));
    version = plan.version;
    for (const id of ['run-list', 'run-filter'])
      await insertRun(db, {
        id,
        flowId: 'audience',
        version,
        startedBy: null,
        idempotencyKey: null,
        audience: { kind: 'all' },
        workflowId: `campaign:${id}`,
        plan,
      });
  });
  afterAll(async () => db?.destroy());

  const recipients = async (runId: string) =>
    (await listRunRecipients(db, runId, { offset: 0, limit: 10 })).items.map((r) => [r.id, r.status, r.dueAt]);

  it("enrols a list's subscribed members once", async () => {
    const listId = await insertList(db, 'Newsletter');
    expect(await addToList(db, listId, ['ct_a', 'ct_b', 'ct_c', 'ct_nobody'])).toBe(3);
    expect(await addToList(db, listId, ['ct_a', 'ct_d'])).toBe(1);
    expect(await removeFromList(db, listId, ['ct_d'])).toBe(1);
    // ct_c is a member, unsubscribed.
    expect(await listLists(db)).toEqual([expect.objectContaining({ id: listId, name: 'Newsletter', members: 3, subscribed: 2 })]);
    const run = { runId: 'run-list', entry: 'wait', workflowId: 'campaign:run-list', dueAt: 1_000_000_000_000 };
    expect(await enrollListRecipients(db, run, listId)).toBe(2);
    expect(await enrollListRecipients(db, run, listId)).toBe(0);
    expect((await recipients('run-list')).sort()).toEqual([
      ['ct_a', 'pending', 1_000_000_000_000],
      ['ct_b', 'pending', 1_000_000_000_000],
    ]);
  });

  it("enrols a filter's subscribed matches", async () => {
    const filter = ContactFilter.parse({ match: 'all', rules: [{ field: 'plan', op: 'equals', value: 'pro' }] });
    const run = { runId: 'run-filter', entry: 'wait', workflowId: 'campaign:run-filter', dueAt: 1_000_000_000_000 };
    expect(await enrollFilterRecipients(db, run, filter)).toBe(1);
    expect(await recipients('run-filter')).toEqual([['ct_a', 'pending', 1_000_000_000_000]]);
  });

  it('lets a contact into a "once ever" flow once, whatever events arrive at once', async () => {
    const entry = (key: string, contactId = 'ct_a') => ({
      id: `evt_${contactId}_${key}`,
      flowId: 'audience',
      version,
      contactId,
      event: 'signup',
      idempotencyKey: key,
      workflowId: `event:${key}`,
      apiKeyId: 'key_1',
    });
    // Many rounds of eight events at once, each round for another contact: each contact enters once.
    for (let round = 0; round < 40; round++) {
      const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
      const written = await Promise.all(keys.map((k) => insertEventEntry(db, entry(k, `ct_race_${round}`), { onlyIfFirst: true })));
      expect(written.filter(Boolean), `round ${round}`).toHaveLength(1);
    }
    expect(await insertEventEntry(db, entry('k1'), { onlyIfFirst: true })).toBe(true);
    expect(await insertEventEntry(db, entry('k2'), { onlyIfFirst: true })).toBe(false);
    // Without "once ever" every new key enters; the same key twice enters once.
    expect(await insertEventEntry(db, entry('k5'), { onlyIfFirst: false })).toBe(true);
    expect(await insertEventEntry(db, { ...entry('k5'), id: 'evt_again' }, { onlyIfFirst: false })).toBe(false);
  });

  it('finds the plan of a journey an API event started, for its steps’ names, only for who may see its flow', async () => {
    // The entry of the test above: its runId is the entry's id, and no run row exists for it.
    const plans = await visibleRunPlans(db, { id: 'u_admin', role: 'admin' }, ['evt_ct_a_k1', 'run-list', 'evt_nobody']);
    expect([...plans.keys()].sort()).toEqual(['evt_ct_a_k1', 'run-list']);
    expect(stepTitle(plans.get('evt_ct_a_k1')?.steps.send, 'send')).toBe('Send Email “Hi {{name}}”');
    // An agent who neither owns the flow nor started the run sees neither.
    expect((await visibleRunPlans(db, { id: 'u_agent', role: 'agent' }, ['evt_ct_a_k1', 'run-list'])).size).toBe(0);
  });

  it("takes an erased contact's email out of the delivery log's replies, whatever its case", async () => {
    await recordDeliveryAttempt(db, {
      runId: 'run-list',
      nodeId: 'send',
      contactId: 'ct_d',
      workflowId: 'campaign:run-list',
      attempt: 1,
      outcome: 'failed',
      smtpCode: 550,
      smtpReply: '550 5.1.1 <D@EXAMPLE.TEST>: no such user',
      messageId: '<d@test>',
    });
    expect(await eraseContact(db, 'ct_d')).toMatchObject({ email: 'd@example.test' });
    const log = await db.selectFrom('deliveryAttempts').select(['contactId', 'smtpReply']).where('messageId', '=', '<d@test>').execute();
    expect(log).toEqual([{ contactId: anonymisedContactId('ct_d'), smtpReply: `550 5.1.1 <${DELETED_CONTACT}>: no such user` }]);
  });

  it("pages a list's members on the server, searched by email or name, and shows them only to who may see the list", async () => {
    const ids = Array.from({ length: 7 }, (_, i) => `ct_member_${i}`);
    await insertContacts(
      db,
      ids.map((id, i) => ({ id, email: `member${i}@list.test`, name: i === 3 ? 'Grace 100%_Hopper' : `Member ${i}` })),
    );
    const owner = { id: 'agent-1', role: 'agent' as const };
    const listId = await insertList(db, 'Members page', owner.id);
    await addToList(db, listId, ids);
    const page = (q: string, offset = 0, limit = 3) => visibleListMembers(db, owner, listId, { q, offset, limit });
    const all = await page('');
    expect(all.list).toMatchObject({ name: 'Members page', members: 7 });
    expect(all.total).toBe(7);
    expect(all.members).toHaveLength(3);
    const rest = [...(await page('', 3)).members, ...(await page('', 6)).members];
    expect(new Set([...all.members, ...rest].map((m) => m.id))).toEqual(new Set(ids));
    // Case-insensitive text in the email or the name; % and _ are letters, not wildcards.
    expect((await page('MEMBER5@')).members.map((m) => m.email)).toEqual(['member5@list.test']);
    expect((await page('100%_hop')).members.map((m) => m.id)).toEqual(['ct_member_3']);
    expect((await page('0%')).total).toBe(1);
    expect(await page('nobody')).toMatchObject({ members: [], total: 0 });
    await expect(visibleListMembers(db, { id: 'agent-2', role: 'agent' }, listId, { offset: 0, limit: 3 })).rejects.toMatchObject({ status: 404 });
    expect((await visibleListMembers(db, { id: 'admin-1', role: 'admin' }, listId, { offset: 0, limit: 50 })).total).toBe(7);
  });
});
