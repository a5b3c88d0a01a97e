/**
 * Contacts joining a list enter the flows whose Trigger is that list: an entry and its pending start
 * are written with the membership (by hand and by an import), once per the flow's re-entry rule, on
 * each database Dripline supports. Starting the journeys is test/list-trigger.test.ts's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../server/db';
import { insertContacts, setContactStatus } from '../server/db/contacts';
import { commitImportChunk, insertImport, markImportRunning } from '../server/db/imports';
import { dropListEntry, pendingListEntries, settleListEntries } from '../server/db/list-entries';
import { addToList, insertList, removeFromList } from '../server/db/lists';
import { databases, tempInstallOn } from './databases';
import { publishForTest } from './helpers';
import type { FlowGraph } from '../domain/flow/schema';
import { saveFlowDraft } from '../server/db/flows';
import { UserError } from '../server/errors';
import { publishFlow } from '../server/flows';
import { deleteListAs } from '../server/lists';
import { eraseContact } from '../server/db/contact-erasure';
import { listGraph } from './list-flows';

describe.each(databases)('list entries on %s', (dialect) => {
  let db: Db;
  let newsletter: string;
  let other: string;
  beforeAll(async () => {
    ({ db } = await tempInstallOn(dialect));
    await insertContacts(db, [
      { id: 'ct_la', email: 'la@example.test', name: 'Ada' },
      { id: 'ct_lb', email: 'lb@example.test', name: 'Bob' },
      { id: 'ct_le', email: 'le@example.test', name: 'Eve' },
    ]);
    await setContactStatus(db, 'ct_le', 'unsubscribed', 'test');
    newsletter = await insertList(db, 'Newsletter');
    other = await insertList(db, 'Other');
    await publishForTest(db, 'welcome-once', listGraph(newsletter, 'once'));
    await publishForTest(db, 'welcome-always', listGraph(newsletter, 'always'));
    await publishForTest(db, 'other-list', listGraph(other, 'once'));
  });
  afterAll(async () => db?.destroy());

  const entries = async (flowId: string) =>
    (await db.selectFrom('eventEntries').selectAll().where('flowId', '=', flowId).orderBy('enteredAt').execute()).map((e) => e.contactId);

  it('enters each subscribed new member once per flow on the list, with a pending start each', async () => {
    expect(await addToList(db, newsletter, ['ct_la', 'ct_le', 'ct_nobody'])).toBe(2);
    // Added again while a member: nothing new.
    expect(await addToList(db, newsletter, ['ct_la'])).toBe(0);
    expect(await entries('welcome-once')).toEqual(['ct_la']);
    expect(await entries('welcome-always')).toEqual(['ct_la']);
    expect(await entries('other-list')).toEqual([]);
    const pending = await pendingListEntries(db, 10);
    expect(pending.map((e) => [e.flowId, e.contactId]).sort()).toEqual([
      ['welcome-always', 'ct_la'],
      ['welcome-once', 'ct_la'],
    ]);
    expect(pending.every((e) => e.workflowId.startsWith(`list:${e.flowId}:ct_la:`) && e.id.startsWith('lst_'))).toBe(true);
    await settleListEntries(
      db,
      pending.map((e) => e.id),
    );
    expect(await pendingListEntries(db, 10)).toEqual([]);
  });

  it('enters again on joining again only where the flow lets a contact enter every time', async () => {
    await removeFromList(db, newsletter, ['ct_la']);
    // Another millisecond, so the joining is another one.
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await addToList(db, newsletter, ['ct_la'])).toBe(1);
    expect(await entries('welcome-once')).toEqual(['ct_la']);
    expect(await entries('welcome-always')).toEqual(['ct_la', 'ct_la']);
    const [again] = await pendingListEntries(db, 10);
    expect(again?.flowId).toBe('welcome-always');
    await dropListEntry(db, again!.id);
    expect(await entries('welcome-always')).toEqual(['ct_la']);
  });

  it('enters the contacts an import puts on the list', async () => {
    const importId = await insertImport(db, { ownerId: 'u', fileName: 'c.csv', filePath: '/nowhere', columns: ['email'], totalRows: 2 });
    await markImportRunning(db, importId, [] as never, other);
    const rows = [
      { line: 2, email: 'lb@example.test', name: '', attributes: {} },
      { line: 3, email: 'new@example.test', name: 'New', attributes: {} },
    ];
    await commitImportChunk(db, { importId, from: 0, to: 2, rows, problems: [] });
    expect((await pendingListEntries(db, 10)).map((e) => e.flowId)).toEqual(['other-list', 'other-list']);
    expect((await entries('other-list')).length).toBe(2);
    expect(await entries('other-list')).toContain('ct_lb');
  });

  it('publishes a list Trigger only on a list that exists, and refuses event properties where no event starts the flow, at the field', async () => {
    const admin = { id: 'admin-test', role: 'admin' as const };
    const refusal = (flowId: string) => publishFlow(db, flowId, admin).catch((err: unknown) => err);
    await saveFlowDraft(db, { id: 'gone-list', name: 'Gone list', graph: listGraph('list_gone', 'once') });
    expect(await refusal('gone-list')).toMatchObject({
      status: 422,
      code: 'unknown_list',
      details: [{ nodeId: 't', field: 'data.listId', message: 'the Trigger names a list that does not exist; choose a list' }],
    });
    await saveFlowDraft(db, { id: 'orders', name: 'Orders', graph: listGraph(newsletter, 'once', 'Order {{ event.order_id }}') });
    const refused = await refusal('orders');
    expect(refused).toBeInstanceOf(UserError);
    expect(refused).toMatchObject({ status: 422, details: [expect.objectContaining({ nodeId: 's', field: 'data.subject' })] });
    expect((refused as UserError).details).toEqual([
      expect.objectContaining({ message: expect.stringContaining("this flow's Trigger is no API event") }),
    ]);
    // The same email where an API event starts the flow: its properties are known when the event comes.
    const byEvent = listGraph(newsletter, 'once', 'Order {{ event.order_id }}');
    byEvent.nodes[0] = { ...byEvent.nodes[0]!, type: 'trigger', data: { source: 'event', event: 'order.paid' } } as FlowGraph['nodes'][number];
    await saveFlowDraft(db, { id: 'orders', name: 'Orders', graph: byEvent });
    await expect(publishFlow(db, 'orders', admin)).resolves.toMatchObject({ version: 1, warnings: [] });
  });

  it('refuses to delete a list a published flow starts on, naming the flow', async () => {
    const admin = { id: 'admin-test', role: 'admin' as const };
    const refused = await deleteListAs(db, admin, other).catch((err: unknown) => err);
    expect(refused).toMatchObject({ status: 409, code: 'in_use', details: { flows: [{ id: 'other-list', name: 'other-list' }] } });
    expect((refused as UserError).message).toContain('starts the flow "other-list" when contacts join it');
  });

  it('starts no journey for a contact erased before it started', async () => {
    await insertContacts(db, [{ id: 'ct_lgone', email: 'lgone@example.test', name: 'Gone' }]);
    await addToList(db, newsletter, ['ct_lgone']);
    expect((await pendingListEntries(db, 100)).filter((e) => e.contactId === 'ct_lgone')).toHaveLength(2);
    await eraseContact(db, 'ct_lgone');
    expect((await pendingListEntries(db, 100)).filter((e) => e.event === `list:${newsletter}`)).toEqual([]);
  });
});
