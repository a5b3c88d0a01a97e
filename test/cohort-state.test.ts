/**
 * The campaign's interpreter over a real SQLite database and a real PostgreSQL one: each step type's handler moves the due
 * recipients, and what no handler moves is reported as stuck (with why) rather than left for the
 * campaign workflow to wait on, while recipients due at a Send are left for its batches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan, Step } from '../domain/flow/plan';
import { advanceDueRecipients, cohortState } from '../server/cohort/advance';
import type { Db } from '../server/db';
import { insertContacts } from '../server/db/contacts';
import { insertRecipients } from '../server/db/recipients';
import { insertRun, listRunRecipients } from '../server/db/runs';
import { recipientStory, when } from '../server/runs/story';
import { databases, tempInstallOn } from './databases';
import { graphWithDelay, publishForTest } from './helpers';

let db: Db;
let plan: Plan;

async function startRun(runId: string, runPlan: Plan, at: Record<string, string[]>, dueAt: number) {
  await insertRun(db, {
    id: runId,
    flowId: 'cohort',
    version: runPlan.version,
    startedBy: null,
    idempotencyKey: null,
    audience: { kind: 'all' },
    workflowId: `campaign:${runId}`,
    plan: runPlan,
  });
  for (const [nodeId, contactIds] of Object.entries(at)) {
    await insertRecipients(db, { runId, entry: nodeId, workflowId: `campaign:${runId}`, dueAt }, contactIds);
  }
}

const where = async (runId: string) =>
  Object.fromEntries((await listRunRecipients(db, runId, { offset: 0, limit: 10 })).items.map((r) => [r.id, [r.status, r.nodeId, r.dueAt]]));

describe.each(databases)('on %s', (dialect) => {
  beforeAll(async () => {
    db = (await tempInstallOn(dialect)).db;
    await insertContacts(
      db,
      ['a', 'b', 'c', 'd'].map((n) => ({ id: `ct_${n}`, email: `${n}@example.test`, name: n })),
    );
    plan = await publishForTest(db, 'cohort', graphWithDelay({ mode: 'fixed', amount: 1, unit: 'hours' }));
  });
  afterAll(async () => db?.destroy());

  describe('the campaign interpreter', () => {
    it('moves due recipients through the Delay by its handler, and leaves those due at the Send for its batches', async () => {
      const now = 1_000_000_000_000;
      await startRun('run-walk', plan, { wait: ['ct_a', 'ct_b'], send: ['ct_c'], end: ['ct_d'] }, now - 2 * 3_600_000);
      // The Delay moves its recipients to the Send, due an hour after they were due (an hour ago): due now too; the Exit completes its one.
      expect(await advanceDueRecipients(db, 'run-walk', plan, 1, now)).toBe(3);
      expect(await where('run-walk')).toEqual({
        ct_a: ['pending', 'send', now - 3_600_000],
        ct_b: ['pending', 'send', now - 3_600_000],
        ct_c: ['pending', 'send', now - 2 * 3_600_000],
        ct_d: ['completed', null, now - 2 * 3_600_000],
      });
      expect(await cohortState(db, 'run-walk', plan, now)).toEqual({
        dueSends: [{ nodeId: 'send', count: 3 }],
        dueWebhooks: [],
        stuck: [],
        nextDueAt: null,
        active: 3,
      });
    });

    it('records the wait each recipient was given, which their story tells with the Delay by its title', async () => {
      const story = await recipientStory(db, { id: 'admin-test', role: 'admin' }, 'run-walk', 'ct_a');
      expect(story.entries.map((e) => [e.kind, e.step])).toEqual([
        ['entered', null],
        ['delay', 'Delay “Wait 1 hour”'],
      ]);
      expect(story.entries[1]?.text).toBe(`Waited 1 h, due ${when(1_000_000_000_000 - 3_600_000)}.`);
      expect(when(1_000_000_000_000)).toBe('2001-09-09 01:46:40 UTC');
      // Those the Delay did not hold (already at the Send) have nothing recorded.
      expect((await recipientStory(db, { id: 'admin-test', role: 'admin' }, 'run-walk', 'ct_c')).entries.map((e) => e.kind)).toEqual(['entered']);
      await expect(recipientStory(db, { id: 'someone-else', role: 'agent' }, 'run-walk', 'ct_a')).rejects.toMatchObject({ status: 404 });
    });

    it('reports recipients due at a step type it has no handler for, or at a node the plan lacks, as stuck', async () => {
      const now = 1_000_000_000_000;
      // A plan from a newer version of the app: a "push" step between the Send and the Exit.
      const push = { type: 'push', title: 'Your order shipped', next: 'end' } as unknown as Step;
      const newer: Plan = { ...plan, steps: { ...plan.steps, hook: push } };
      await startRun('run-stuck', newer, { hook: ['ct_a', 'ct_b'], gone: ['ct_c'], wait: ['ct_d'] }, now);
      expect(await advanceDueRecipients(db, 'run-stuck', newer, 1, now)).toBe(1);
      const state = await cohortState(db, 'run-stuck', newer, now);
      expect(state.stuck.sort((x, y) => x.nodeId.localeCompare(y.nodeId))).toEqual([
        { nodeId: 'gone', type: null, count: 1, why: 'no such node' },
        { nodeId: 'hook', type: 'push', count: 2, why: 'no handler' },
      ]);
      // The Delay's one is not stuck: it waits for its hour.
      expect(state).toMatchObject({ dueSends: [], nextDueAt: now + 3_600_000, active: 4 });
    });
  });
});
