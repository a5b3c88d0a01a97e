/**
 * The cohort's Wait until and Webhook in the app database, on SQLite and on PostgreSQL: recipients start
 * their wait, an event marks a wait met (only while it lasts, once), a condition is looked at again when
 * an event makes the recipient due, the wait ends down "timed out"; a webhook page's recipients go down
 * their branches, and whoever it still holds when its retries are spent takes "failure". The campaign
 * workflow around them: test/campaign-steps.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../domain/flow/plan';
import { type FlowGraph, SCHEMA_VERSION } from '../domain/flow/schema';
import { waitUntil } from '../server/cohort/steps/wait-until';
import { failWebhookPage } from '../server/cohort/webhook-page';
import type { Db } from '../server/db';
import { insertContacts, updateContact } from '../server/db/contacts';
import { recipientEvents } from '../server/db/recipient-events';
import { claimNextRecipients, insertRecipients } from '../server/db/recipients';
import { insertRun } from '../server/db/runs';
import { contactWaits, markWait } from '../server/db/waiting-recipients';
import { heldContactIds, settleWebhookRecipients } from '../server/db/webhook-recipients';
import { databases, tempInstallOn } from './databases';
import { publishForTest } from './helpers';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const MAX_MS = 60_000;
const IDS = ['cw_1', 'cw_2', 'cw_3'];
const at = { x: 0, y: 0 };

/** Campaign → `step` → Exit "yes" or Exit "no" (by the step's two outputs). */
function flow(step: Record<string, unknown>, yes: string, no: string): FlowGraph {
  return {
    schemaVersion: SCHEMA_VERSION,
    nodes: [
      { id: 'trigger', type: 'trigger', position: at, data: { source: 'audience' } },
      { id: 'step', position: at, ...step },
      { id: 'yes', type: 'exit', position: at, data: {} },
      { id: 'no', type: 'exit', position: at, data: {} },
    ],
    edges: [
      { id: 'e1', source: 'trigger', target: 'step' },
      { id: 'e-yes', source: 'step', target: 'yes', sourceHandle: yes },
      { id: 'e-no', source: 'step', target: 'no', sourceHandle: no },
    ],
  } as FlowGraph;
}
const wait = (until: unknown) => ({ type: 'waitUntil', data: { until, maxWait: MAX_MS / 1000, unit: 'seconds' } });

describe.each(databases)('on %s', (dialect) => {
  let db: Db;
  beforeAll(async () => {
    db = (await tempInstallOn(dialect)).db;
    await insertContacts(
      db,
      IDS.map((id) => ({ id, email: `${id}@example.test` })),
    );
  });
  afterAll(async () => db?.destroy());

  /** A running campaign of `graph` with the three contacts at its step, due at NOW. */
  async function run(runId: string, graph: FlowGraph): Promise<Plan> {
    const plan = await publishForTest(db, runId, graph);
    const workflowId = `campaign:${runId}`;
    const audience = { kind: 'contacts' as const, contactIds: IDS };
    await insertRun(db, { id: runId, flowId: runId, version: plan.version, startedBy: null, idempotencyKey: null, audience, workflowId, plan });
    await insertRecipients(db, { runId, entry: 'step', workflowId, dueAt: NOW }, IDS);
    return plan;
  }
  const where = async (runId: string) =>
    Object.fromEntries(
      (await db.selectFrom('runRecipients').select(['contactId', 'nodeId', 'dueAt', 'waitDeadline']).where('runId', '=', runId).execute()).map(
        (r) => [r.contactId, [r.nodeId, r.dueAt, r.waitDeadline]],
      ),
    );
  const advance = (runId: string, plan: Plan, nowMs: number) => {
    const step = plan.steps.step;
    if (step?.type !== 'waitUntil') throw new Error('no Wait until');
    return waitUntil.advance({ db, runId, nodeId: 'step', seed: 1, nowMs }, step);
  };

  it('waits for the event: met once while the wait lasts, the others timed out when it ends', async () => {
    const plan = await run('run-event', flow(wait({ kind: 'event', match: { event: 'purchased', where: [] } }), 'met', 'timedOut'));
    // Each due recipient is handled (here: starts waiting, due again at the end of its wait).
    expect(await advance('run-event', plan, NOW)).toBe(3);
    const end = NOW + MAX_MS;
    expect(await where('run-event')).toEqual({ cw_1: ['step', end, end], cw_2: ['step', end, end], cw_3: ['step', end, end] });
    expect((await recipientEvents(db, 'run-event', 'cw_1')).map((e) => [e.kind, e.dueAt, e.waitedMs])).toEqual([['wait', end, MAX_MS]]);

    // The event path finds the contact's waits with their plan, and marks one once.
    expect(await contactWaits(db, 'cw_1')).toEqual([{ runId: 'run-event', nodeId: 'step', plan }]);
    expect(await markWait(db, { runId: 'run-event', nodeId: 'step', contactId: 'cw_1' }, NOW + 1000, true)).toBe(true);
    expect(await markWait(db, { runId: 'run-event', nodeId: 'step', contactId: 'cw_1' }, NOW + 1500, true)).toBe(false);
    expect(await contactWaits(db, 'cw_1')).toEqual([]);
    // After its wait ended, an event comes too late.
    expect(await markWait(db, { runId: 'run-event', nodeId: 'step', contactId: 'cw_2' }, end + 1, true)).toBe(false);

    expect(await advance('run-event', plan, NOW + 2000)).toBe(1);
    expect((await where('run-event')).cw_1).toEqual(['yes', NOW + 1000, null]);
    expect(await advance('run-event', plan, end)).toBe(2);
    expect(await where('run-event')).toMatchObject({ cw_2: ['no', end, null], cw_3: ['no', end, null] });
    const branches = async (id: string) => (await recipientEvents(db, 'run-event', id)).flatMap((e) => (e.kind === 'branch' ? [e.reason] : []));
    expect([await branches('cw_1'), await branches('cw_2')]).toEqual([['met'], ['timedOut']]);
  });

  it('waits for a condition: met on arrival, or when an event makes the recipient due and it matches', async () => {
    await updateContact(db, 'cw_1', { attributes: { tier: 'gold' } });
    const gold = { match: 'all', rules: [{ field: 'tier', op: 'equals', value: 'gold' }] };
    const plan = await run('run-gold', flow(wait({ kind: 'contact', filter: gold }), 'met', 'timedOut'));
    expect(await advance('run-gold', plan, NOW)).toBe(3);
    expect(await where('run-gold')).toMatchObject({ cw_1: ['yes', NOW, null], cw_2: ['step', NOW + MAX_MS, NOW + MAX_MS] });

    // An event for cw_2 changed its tier: due now for another look, not met by itself.
    await updateContact(db, 'cw_2', { attributes: { tier: 'gold' } });
    expect(await markWait(db, { runId: 'run-gold', nodeId: 'step', contactId: 'cw_2' }, NOW + 5000, false)).toBe(true);
    // cw_3 was woken by an event that changed nothing: it waits on till the same end.
    expect(await markWait(db, { runId: 'run-gold', nodeId: 'step', contactId: 'cw_3' }, NOW + 5000, false)).toBe(true);
    expect(await advance('run-gold', plan, NOW + 5000)).toBe(2);
    expect(await where('run-gold')).toMatchObject({ cw_2: ['yes', NOW + 5000, null], cw_3: ['step', NOW + MAX_MS, NOW + MAX_MS] });
  });

  it('moves a webhook page’s recipients down their branches, and whoever it still holds down "failure" once its retries are spent', async () => {
    const plan = await run('run-hook', flow({ type: 'webhook', data: { url: 'https://hooks.example.com/in', body: '{}' } }, 'success', 'failure'));
    const claimed = await claimNextRecipients(db, 'run-hook', 'step', 'page-1', NOW, 10);
    expect(claimed.map((r) => r.contactId).sort()).toEqual(IDS);
    const page = { runId: 'run-hook', nodeId: 'step', claim: 'page-1', nowMs: NOW + 1 };
    await settleWebhookRecipients(db, page, 'success', 'yes', ['cw_1']);
    // Settling again (a retried attempt) moves no one twice.
    await settleWebhookRecipients(db, page, 'success', 'yes', ['cw_1']);
    expect((await heldContactIds(db, 'run-hook', 'page-1')).sort()).toEqual(['cw_2', 'cw_3']);
    expect(plan.steps.step).toMatchObject({ type: 'webhook', failure: 'no' });
    expect(await failWebhookPage(db, { runId: 'run-hook', nodeId: 'step', claim: 'page-1', next: 'no' })).toBe(2);
    expect(await heldContactIds(db, 'run-hook', 'page-1')).toEqual([]);
    const rows = await db
      .selectFrom('runRecipients')
      .select(['contactId', 'nodeId', 'status', 'claim'])
      .where('runId', '=', 'run-hook')
      .orderBy('contactId')
      .execute();
    expect(rows.map((r) => [r.contactId, r.nodeId, r.status, r.claim])).toEqual([
      ['cw_1', 'yes', 'pending', null],
      ['cw_2', 'no', 'pending', null],
      ['cw_3', 'no', 'pending', null],
    ]);
    expect((await recipientEvents(db, 'run-hook', 'cw_1')).map((e) => [e.kind, e.reason, e.nextNodeId])).toEqual([['branch', 'success', 'yes']]);
  });
});
