/** Archiving and deleting flows, on a real app database (SQLite and PostgreSQL): who still listens to events, what is kept for runs' history. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../server/db';
import { latestPublishedVersions } from '../server/db/event-entries';
import { compile } from '../domain/flow/compile';
import { deleteFlow, getFlow, getFlowVersion, insertFlowVersion, listFlows, saveFlowDraft, setFlowArchived } from '../server/db/flows';
import { insertRun, setRunStatus } from '../server/db/runs';
import { databases, tempInstallOn } from './databases';
import { graphWithDelay, publishForTest } from './helpers';
import { campaignWorkflowId } from '../workflows/contracts';

let db: Db;

describe.each(databases)('on %s', (dialect) => {
  beforeAll(async () => {
    db = (await tempInstallOn(dialect)).db;
  });

  afterAll(async () => {
    await db?.destroy();
  });

  const graph = graphWithDelay({ mode: 'fixed', amount: 1, unit: 'hours' });
  const listening = async () => (await latestPublishedVersions(db)).map((v) => v.flowId);
  const listed = async (archived = false) => (await listFlows(db, { archived })).map((f) => f.id);

  describe('archiving a flow', () => {
    it('takes it out of the flows list and off the events API until it is restored', async () => {
      await publishForTest(db, 'archived-flow', graph);
      expect(await listening()).toContain('archived-flow');
      await setFlowArchived(db, 'archived-flow', true);
      expect(await listening()).not.toContain('archived-flow');
      expect(await listed()).not.toContain('archived-flow');
      expect(await listed(true)).toContain('archived-flow');
      // Still there to open, export and restore.
      expect((await getFlow(db, 'archived-flow'))?.archivedAt).not.toBeNull();
      await setFlowArchived(db, 'archived-flow', false);
      expect(await listening()).toContain('archived-flow');
      expect(await listed()).toContain('archived-flow');
    });
  });

  describe('publishing', () => {
    it('numbers versions published at once one after another', async () => {
      const plan = await publishForTest(db, 'busy-flow', graph);
      const compiled = compile(graph, { flowId: 'busy-flow', version: 1 });
      if (!compiled.ok) throw new Error('the test graph compiles');
      const versions = await Promise.all(
        Array.from({ length: 6 }, () => insertFlowVersion(db, 'busy-flow', compiled.graph, (v) => ({ ...compiled.plan, version: v }))),
      );
      expect(versions.sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7]);
      expect(plan.version).toBe(1);
    });
  });

  describe('deleting a flow', () => {
    it('removes a flow nothing refers to, with its versions', async () => {
      await publishForTest(db, 'unused-flow', graph);
      expect(await deleteFlow(db, 'unused-flow')).toEqual({ deleted: 'removed' });
      expect(await getFlow(db, 'unused-flow')).toBeUndefined();
      expect(await getFlowVersion(db, 'unused-flow', 1)).toBeUndefined();
    });

    it('refuses while a run is in flight, then hides a flow its past runs name, keeping its versions for them', async () => {
      const plan = await publishForTest(db, 'used-flow', graph);
      await insertRun(db, {
        id: 'run-of-used-flow',
        flowId: 'used-flow',
        version: 1,
        startedBy: null,
        idempotencyKey: null,
        audience: { kind: 'all' },
        workflowId: campaignWorkflowId('run-of-used-flow'),
        plan,
      });
      expect(await deleteFlow(db, 'used-flow')).toEqual({ inFlight: 1 });
      await setRunStatus(db, 'run-of-used-flow', 'paused');
      expect(await deleteFlow(db, 'used-flow')).toEqual({ inFlight: 1 });
      expect(await getFlow(db, 'used-flow')).toBeDefined();

      await setRunStatus(db, 'run-of-used-flow', 'completed');
      expect(await deleteFlow(db, 'used-flow')).toEqual({ deleted: 'hidden' });
      expect(await getFlow(db, 'used-flow')).toBeUndefined();
      expect(await listed()).not.toContain('used-flow');
      expect(await listed(true)).not.toContain('used-flow');
      expect(await listening()).not.toContain('used-flow');
      expect(await getFlowVersion(db, 'used-flow', 1)).toBeDefined();
      // Its id stays taken: a draft saved under it writes nothing.
      expect(await saveFlowDraft(db, { id: 'used-flow', name: 'Again', graph })).toBe(false);
    });
  });
});
