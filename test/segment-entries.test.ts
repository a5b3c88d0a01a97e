/**
 * Contacts entering a segment enter the flows whose Trigger is that segment, on each database Dripline
 * supports: the first look remembers who is in it already (they do not enter), a contact who comes into
 * it enters once per the flow's re-entry rule, subscribed ones only, and changes are noted while a flow
 * watches. Starting the journeys (and the workflow that looks) is test/segment-trigger.test.ts's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContactFilter } from '../domain/contact-filter';
import { compile } from '../domain/flow/compile';
import type { Db } from '../server/db';
import { insertContacts, setContactStatus, updateContact } from '../server/db/contacts';
import { pendingListEntries, settleListEntries } from '../server/db/list-entries';
import {
  changedContacts,
  lookAndEnter,
  markWatchReady,
  noteContactChanges,
  type SegmentFlow,
  segmentFlows,
  settleChangedContacts,
  syncWatches,
  watchesReady,
} from '../server/db/segment-entries';
import { insertSegment } from '../server/db/segments';
import { eraseContact } from '../server/db/contact-erasure';
import { deleteSegmentAs } from '../server/segments';
import { databases, tempInstallOn } from './databases';
import { publishForTest } from './helpers';
import { segmentGraph } from './segment-flows';

const pro: ContactFilter = { match: 'all', rules: [{ field: 'plan', op: 'equals', value: 'pro' }] };

describe('the segment trigger in the flow language', () => {
  const meta = { flowId: 'f', version: 1 };
  it('puts a goal on a segment into the plan, and refuses a segment Trigger without a segment or a segment goal in a campaign', () => {
    const goal = compile(segmentGraph('seg_a', 'once', { goalSegmentId: 'seg_b' }), meta);
    expect(goal.ok && goal.plan.goalSegment).toBe('seg_b');
    const none = segmentGraph('', 'once');
    expect(compile(none, meta)).toMatchObject({
      ok: false,
      errors: [{ nodeId: 't', field: 'data.segmentId', message: expect.stringMatching(/choose the segment/) }],
    });
    const campaign = segmentGraph('seg_a', 'once', { goalSegmentId: 'seg_b' });
    campaign.nodes[0]!.data = { source: 'audience', goalSegmentId: 'seg_b' };
    expect(compile(campaign, meta)).toMatchObject({ ok: false, errors: [{ nodeId: 't', field: 'data.goalSegmentId' }] });
  });
});

describe.each(databases)('segment entries on %s', (dialect) => {
  let db: Db;
  let segmentId: string;
  let flows: (SegmentFlow & { segmentId: string })[];
  beforeAll(async () => {
    ({ db } = await tempInstallOn(dialect));
    await insertContacts(db, [
      { id: 'ct_sa', email: 'sa@example.test', name: 'Ada', attributes: { plan: 'pro' } },
      { id: 'ct_sb', email: 'sb@example.test', name: 'Bob', attributes: { plan: 'free' } },
      { id: 'ct_sc', email: 'sc@example.test', name: 'Cy', attributes: { plan: 'free' } },
    ]);
    await setContactStatus(db, 'ct_sc', 'unsubscribed', 'test');
    segmentId = await insertSegment(db, { name: 'Pro', filter: pro, createdBy: 'u' });
    await publishForTest(db, 'pro-once', segmentGraph(segmentId, 'once'));
    await publishForTest(db, 'pro-always', segmentGraph(segmentId, 'always'));
    flows = (await segmentFlows(db)).map((f) => ({ ...f, segmentId: f.segmentId! }));
  });
  afterAll(async () => db?.destroy());

  const entries = async (flowId: string) =>
    (await db.selectFrom('eventEntries').selectAll().where('flowId', '=', flowId).orderBy('enteredAt').execute()).map((e) => e.contactId);
  const members = async (flowId: string) =>
    (await db.selectFrom('segmentWatchMembers').select('contactId').where('flowId', '=', flowId).orderBy('contactId').execute()).map(
      (m) => m.contactId,
    );
  /** What the segment check does with the changed contacts, for each flow. */
  async function checkChanged() {
    const changed = await changedContacts(db, 100);
    for (const flow of flows) await lookAndEnter(db, flow, pro, { ids: changed.map((c) => c.contactId) }, { firstLook: false });
    await settleChangedContacts(db, changed);
    return changed.map((c) => c.contactId);
  }

  it('finds the flows that start on a segment, and notes no change while none watches', async () => {
    expect(flows.map((f) => [f.flowId, f.segmentId, f.reentry])).toEqual([
      ['pro-always', segmentId, 'always'],
      ['pro-once', segmentId, 'once'],
    ]);
    await noteContactChanges(db, ['ct_sa']);
    expect(await changedContacts(db, 10)).toEqual([]);
  });

  it('remembers who is in the segment at the first look, a page at a time, without entering them', async () => {
    await syncWatches(db, flows);
    expect([...(await watchesReady(db)).entries()].sort()).toEqual([
      ['pro-always', false],
      ['pro-once', false],
    ]);
    for (const flow of flows) {
      let after = '';
      for (;;) {
        const { looked, entered } = await lookAndEnter(db, flow, pro, { after, limit: 1 }, { firstLook: true });
        expect(entered).toBe(0);
        if (looked.length < 1) break;
        after = looked.at(-1)!;
      }
      await markWatchReady(db, flow.flowId);
    }
    expect(await members('pro-once')).toEqual(['ct_sa']);
    expect(await entries('pro-once')).toEqual([]);
    expect([...(await watchesReady(db)).values()]).toEqual([true, true]);
  });

  it('enters a contact who comes into the segment, with a pending start per flow', async () => {
    await updateContact(db, 'ct_sb', { attributes: { plan: 'pro' } });
    expect(await checkChanged()).toEqual(['ct_sb']);
    expect(await entries('pro-once')).toEqual(['ct_sb']);
    expect(await entries('pro-always')).toEqual(['ct_sb']);
    const pending = await pendingListEntries(db, 10);
    expect(pending.map((e) => [e.flowId, e.contactId]).sort()).toEqual([
      ['pro-always', 'ct_sb'],
      ['pro-once', 'ct_sb'],
    ]);
    expect(pending.every((e) => e.workflowId.startsWith(`segment:${e.flowId}:ct_sb:`) && e.id.startsWith('seg_'))).toBe(true);
    await settleListEntries(
      db,
      pending.map((e) => e.id),
    );
    // Looked at again while still in it: nothing new.
    await noteContactChanges(db, ['ct_sb']);
    await checkChanged();
    expect(await entries('pro-always')).toEqual(['ct_sb']);
  });

  it('enters again after leaving only where the flow lets a contact enter every time', async () => {
    await updateContact(db, 'ct_sb', { attributes: { plan: 'free' } });
    await checkChanged();
    expect(await members('pro-always')).toEqual(['ct_sa']);
    await updateContact(db, 'ct_sb', { attributes: { plan: 'pro' } });
    await checkChanged();
    expect(await entries('pro-once')).toEqual(['ct_sb']);
    expect(await entries('pro-always')).toEqual(['ct_sb', 'ct_sb']);
  });

  it('remembers an unsubscribed contact in the segment without entering them', async () => {
    await updateContact(db, 'ct_sc', { attributes: { plan: 'pro' } });
    await checkChanged();
    expect(await members('pro-once')).toEqual(['ct_sa', 'ct_sb', 'ct_sc']);
    expect(await entries('pro-once')).toEqual(['ct_sb']);
  });

  it('forgets an erased contact: whom the flows saw in their segment and their changes waiting', async () => {
    await noteContactChanges(db, ['ct_sc']);
    await eraseContact(db, 'ct_sc');
    expect(await members('pro-once')).toEqual(['ct_sa', 'ct_sb']);
    expect(await changedContacts(db, 10)).toEqual([]);
  });

  it('refuses to delete a segment a published flow starts on, naming the flow', async () => {
    await expect(deleteSegmentAs(db, { id: 'admin', role: 'admin' }, segmentId)).rejects.toMatchObject({
      status: 409,
      code: 'in_use',
      message: expect.stringMatching(/starts or ends the journeys of "pro-always", "pro-once"/),
    });
  });

  it('starts over when the flow watches another segment, and forgets a flow that no longer watches one', async () => {
    const other = await insertSegment(db, { name: 'Other', filter: pro, createdBy: 'u' });
    await syncWatches(db, [{ ...flows[0]!, segmentId: other }]);
    expect([...(await watchesReady(db)).entries()]).toEqual([['pro-always', false]]);
    expect(await members('pro-always')).toEqual([]);
    expect(await members('pro-once')).toEqual([]);
  });
});
