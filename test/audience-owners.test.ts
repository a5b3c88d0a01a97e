/**
 * Segments and lists have owners (issue 20, M4): an agent sees and changes only their own, admins all,
 * as with flows; one a published flow tests is not deleted (409 naming the flow); rows from before
 * owners go to the first admin. The contact export is an admin permission. Real SQLite, no Temporal.
 */
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowGraph } from '../domain/flow/schema';
import { migrateAuth } from '../server/auth';
import { exportContactsFor, visibleLists, visibleSegments } from '../server/access';
import type { Db } from '../server/db';
import { saveFlowDraft } from '../server/db/flows';
import { migrations } from '../server/db/migrations';
import { getList, insertList } from '../server/db/lists';
import { adoptOwnerless } from '../server/db/ownership';
import { getSegment } from '../server/db/segments';
import { insertContact } from '../server/db/contacts';
import { insertEventEntry } from '../server/db/event-entries';
import { sql } from '../server/db';
import { publishFlow } from '../server/flows';
import { changeListMembers, createList, deleteListAs } from '../server/lists';
import { createSegment, deleteSegmentAs, saveSegment } from '../server/segments';
import { conditionFlow } from './condition-flows';
import { tempInstall } from './helpers';

let db: Db;
beforeAll(async () => {
  const install = await tempInstall();
  db = install.db;
  await migrateAuth(db, install.config); // publishing names who published each version
});
afterAll(async () => db?.destroy());

const admin = { id: 'admin-1', role: 'admin' as const };
const agentA = { id: 'agent-a', role: 'agent' as const };
const agentB = { id: 'agent-b', role: 'agent' as const };
const everyone = { match: 'all' as const, rules: [{ field: 'email', op: 'exists' as const }] };

const testing = (test: { kind: 'inList'; listId: string } | { kind: 'inSegment'; segmentId: string }) =>
  conditionFlow({ profileId: 'sandbox', branches: [{ id: 'hit', label: 'Hit', test, subject: 'Hi' }] }) as FlowGraph;
const plain = () =>
  conditionFlow({ profileId: 'sandbox', branches: [{ id: 'hit', label: 'Hit', test: { kind: 'attributes', filter: everyone } }] }) as FlowGraph;

describe('segments and lists belong to their owner', () => {
  it("keeps agent B out of agent A's segment: not listed, not renamed, not rewritten, not deleted (404)", async () => {
    const segment = await createSegment(db, agentA, { name: "A's VIPs", filter: everyone });
    expect(segment.ownerId).toBe(agentA.id);
    expect((await visibleSegments(db, agentB)).map((s) => s.id)).not.toContain(segment.id);
    expect((await visibleSegments(db, agentA)).map((s) => s.id)).toContain(segment.id);
    expect((await visibleSegments(db, admin)).map((s) => s.id)).toContain(segment.id);
    await expect(saveSegment(db, agentB, segment.id, { name: 'Taken over', filter: everyone })).rejects.toMatchObject({
      status: 404,
      code: 'segment_not_found',
    });
    await expect(deleteSegmentAs(db, agentB, segment.id)).rejects.toMatchObject({ status: 404 });
    expect((await getSegment(db, segment.id))?.name).toBe("A's VIPs");
    // An admin manages everyone's.
    expect((await saveSegment(db, admin, segment.id, { name: "A's VIPs (checked)", filter: everyone })).name).toBe("A's VIPs (checked)");
  });

  it("keeps agent B out of agent A's list: not listed, no members changed, not deleted (404)", async () => {
    const list = await createList(db, agentA, "A's list");
    expect(list.ownerId).toBe(agentA.id);
    expect((await visibleLists(db, agentB)).map((l) => l.id)).not.toContain(list.id);
    await expect(changeListMembers(db, agentB, list.id, { add: ['ct_ada'], remove: [] })).rejects.toMatchObject({
      status: 404,
      code: 'list_not_found',
    });
    await expect(deleteListAs(db, agentB, list.id)).rejects.toMatchObject({ status: 404 });
    expect((await changeListMembers(db, agentA, list.id, { add: ['ct_ada'], remove: [] })).members).toBe(1);
    expect((await getList(db, list.id))?.members).toBe(1);
  });

  it("lets agent B publish no flow that tests agent A's list or segment: to B they do not exist", async () => {
    const list = await createList(db, agentA, 'Only for A');
    await saveFlowDraft(db, { id: 'b-flow', name: "B's flow", graph: testing({ kind: 'inList', listId: list.id }), ownerId: agentB.id });
    await expect(publishFlow(db, 'b-flow', agentB)).rejects.toMatchObject({ status: 422, code: 'unknown_list' });
  });

  it('refuses to delete a segment or list the current version of a published flow or a journey that may still run tests, naming the flow; allows it once none does', async () => {
    const segment = await createSegment(db, agentA, { name: 'Tested segment', filter: everyone });
    const list = await createList(db, agentA, 'Tested list');
    await saveFlowDraft(db, {
      id: 'a-seg',
      name: "A's segment flow",
      graph: testing({ kind: 'inSegment', segmentId: segment.id }),
      ownerId: agentA.id,
    });
    await saveFlowDraft(db, { id: 'a-list', name: "A's list flow", graph: testing({ kind: 'inList', listId: list.id }), ownerId: agentA.id });
    await publishFlow(db, 'a-seg', agentA);
    await publishFlow(db, 'a-list', agentA);

    for (const who of [agentA, admin]) {
      const refused = await deleteSegmentAs(db, who, segment.id).catch((e: unknown) => e);
      expect(refused).toMatchObject({ status: 409, code: 'in_use', details: { flows: [{ id: 'a-seg', name: "A's segment flow" }] } });
      expect((refused as Error).message).toContain('"A\'s segment flow"');
      await expect(deleteListAs(db, who, list.id)).rejects.toMatchObject({ status: 409, details: { flows: [{ id: 'a-list' }] } });
    }
    // Renaming is fine; the flow still tests the same segment.
    expect((await saveSegment(db, agentA, segment.id, { name: 'Renamed segment', filter: everyone })).name).toBe('Renamed segment');

    // A new version that no longer tests them: they may go.
    await saveFlowDraft(db, { id: 'a-seg', name: "A's segment flow", graph: plain(), ownerId: agentA.id });
    await saveFlowDraft(db, { id: 'a-list', name: "A's list flow", graph: plain(), ownerId: agentA.id });
    await publishFlow(db, 'a-seg', agentA);
    await publishFlow(db, 'a-list', agentA);
    await deleteListAs(db, agentA, list.id);
    // The segment's flow had a contact enter its first version: that journey may still run, so it stays.
    const ada = await insertContact(db, { email: 'ada-journey@example.test' });
    const entry = {
      id: 'ee-1',
      flowId: 'a-seg',
      version: 1,
      contactId: ada.id,
      event: 'signed_up',
      idempotencyKey: 'k1',
      workflowId: 'journey-1',
      apiKeyId: '',
    };
    await insertEventEntry(db, entry, { onlyIfFirst: false });
    await expect(deleteSegmentAs(db, agentA, segment.id)).rejects.toMatchObject({ status: 409, details: { flows: [{ id: 'a-seg' }] } });
    // Once that entry is older than the version's longest journey, no journey can still test it.
    await sql`UPDATE event_entries SET entered_at = '2020-01-01T00:00:00.000Z' WHERE id = 'ee-1'`.execute(db);
    await deleteSegmentAs(db, agentA, segment.id);
    expect(await getSegment(db, segment.id)).toBeUndefined();
    expect(await getList(db, list.id)).toBeUndefined();
  });

  it('gives lists and segments from before owners to the first admin', async () => {
    const old = await insertList(db, 'From before owners');
    expect((await getList(db, old))?.ownerId).toBeNull();
    expect((await visibleLists(db, agentA)).map((l) => l.id)).not.toContain(old);
    await adoptOwnerless(db, admin.id);
    expect((await getList(db, old))?.ownerId).toBe(admin.id);
  });
});

/** The two tables as migrations 041 and 150 made them (snake_case: migrations run without the camelCase plugin). */
interface OldTables {
  segments: { id: string; name: string; filter: string; created_by: string; created_at: string; updated_at: string; owner_id?: string | null };
  lists: { id: string; name: string; created_at: string; owner_id?: string | null };
}

describe('migrations 220 and 221 on an install from before owners', () => {
  it('gives each segment to who created it and leaves lists to setup; sets the Sandbox pace and cap unless an admin set them', async () => {
    const old = new Kysely<OldTables>({ dialect: new SqliteDialect({ database: new SQLite(':memory:') }) });
    await migrations['041_lists']?.up(old);
    await migrations['150_segments']?.up(old);
    await old
      .insertInto('segments')
      .values({ id: 'seg_old', name: 'Old', filter: '{}', created_by: 'agent-a', created_at: 'x', updated_at: 'x' })
      .execute();
    await old.insertInto('lists').values({ id: 'list_old', name: 'Old', created_at: 'x' }).execute();
    await migrations['220_segment_and_list_owners']?.up(old);
    expect(await old.selectFrom('segments').select('owner_id').executeTakeFirst()).toEqual({ owner_id: 'agent-a' });
    expect(await old.selectFrom('lists').select('owner_id').executeTakeFirst()).toEqual({ owner_id: null });
    await old.destroy();

    // The Sandbox profile: set when unset, an admin's own values kept.
    await db.updateTable('smtpProfiles').set({ ratePerSecond: null, dailyCap: 500 }).where('id', '=', 'sandbox').execute();
    await migrations['221_sandbox_profile_pace']?.up(db.withoutPlugins());
    expect(await db.selectFrom('smtpProfiles').select(['ratePerSecond', 'dailyCap']).where('id', '=', 'sandbox').executeTakeFirst()).toEqual({
      ratePerSecond: 50,
      dailyCap: 500,
    });
  });
});

describe('exporting contacts', () => {
  it('is an admin permission: 403 for an agent', async () => {
    await expect(exportContactsFor(db, agentA, {})).rejects.toMatchObject({ status: 403, code: 'admin_only' });
    const csv = await exportContactsFor(db, admin, {});
    let text = '';
    for await (const chunk of csv) text += String(chunk);
    expect(text).toContain('ada@example.test');
  });
});
