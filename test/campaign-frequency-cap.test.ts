/**
 * The frequency cap across two flows on a real Temporal server and a real SMTP server: with a cap of
 * one marketing email a day, a second campaign to the same contacts sends nothing. A Send step that
 * skips logs each contact `frequency_capped` and lets them leave the flow; one that waits leaves them
 * due at that step when the first email leaves the day.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowGraph } from '../domain/flow/schema';
import { setFrequencyCap } from '../server/db/frequency-cap';
import { reconcileCounts } from '../server/db/reconciliation';
import { campaignEnv, type CampaignEnv, until } from './campaign-env';
import { sendGraph } from './helpers';

let env: CampaignEnv;
beforeAll(async () => {
  env = await campaignEnv({ contacts: 3, taskQueue: 'campaign-frequency-cap', inProcessWorker: true });
  await setFrequencyCap(env.db, { maxEmails: 1, periodHours: 24 });
});
afterAll(async () => env?.close());

const capped = (whenCapped: 'skip' | 'wait'): FlowGraph => {
  const graph = sendGraph('sandbox', 'Another offer');
  return { ...graph, nodes: graph.nodes.map((n) => (n.type === 'sendEmail' ? { ...n, data: { ...n.data, whenCapped } } : n)) };
};

const log = (runId: string) =>
  env.db.selectFrom('deliveryAttempts').select(['contactId', 'outcome', 'smtpReply', 'at']).where('runId', '=', runId).orderBy('contactId').execute();
const recipients = (runId: string) =>
  env.db.selectFrom('runRecipients').select(['contactId', 'status', 'nodeId', 'dueAt']).where('runId', '=', runId).orderBy('contactId').execute();

describe('the frequency cap', () => {
  let firstSentAt: Map<string, number>;
  /** The test's contacts and the install's sample ones. */
  let everyone: number;

  it('lets the first campaign send and skips the second one for every contact, logged frequency_capped', async () => {
    const first = await env.run('cap-first', sendGraph('sandbox', 'Our news'));
    everyone = Number(
      (
        await env.db
          .selectFrom('contacts')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    expect(await first.handle.result()).toMatchObject({ status: 'completed', sent: everyone });
    expect(env.received).toHaveLength(everyone);
    firstSentAt = new Map((await log(first.runId)).map((r) => [r.contactId, Date.parse(r.at)]));

    const second = await env.run('cap-skip', capped('skip'));
    expect(await second.handle.result()).toMatchObject({ status: 'completed', sent: 0 });
    expect(env.received).toHaveLength(everyone);
    expect((await log(second.runId)).map((r) => [r.contactId, r.outcome, r.smtpReply])).toEqual(
      [...firstSentAt.keys()].sort().map((id) => [id, 'frequency_capped', 'frequency capped: 1 marketing email per day reached; skipped']),
    );
    expect((await recipients(second.runId)).map((r) => r.status)).toEqual(Array(everyone).fill('skipped'));
    // Reconciliation says why they were skipped: the cap, not their subscription.
    expect(await reconcileCounts(env.db, second.runId, Date.now())).toEqual([{ set: 'skipped', reason: 'frequency_capped', count: everyone }]);
  });

  it('puts the waiting flow off until the first email leaves the day', async () => {
    const third = await env.run('cap-wait', capped('wait'));
    await until('the capped recipients are put off', async () => (await log(third.runId)).length === everyone);
    const due = await recipients(third.runId);
    expect(due).toHaveLength(everyone);
    for (const r of due) {
      const windowEnd = (firstSentAt.get(r.contactId) ?? 0) + 24 * 3_600_000;
      expect({ status: r.status, nodeId: r.nodeId, dueAt: Number(r.dueAt) }).toEqual({ status: 'pending', nodeId: 's', dueAt: windowEnd });
    }
    expect((await log(third.runId))[0]?.smtpReply).toMatch(/^frequency capped: 1 marketing email per day reached; waits until 20\d\d-/);
    expect(env.received).toHaveLength(everyone);
    await third.handle.terminate('the test is done');
  });
});
