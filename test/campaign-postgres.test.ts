/**
 * A campaign with the app database on PostgreSQL, on a real Temporal server and a real SMTP server,
 * sent by two workers at once (one in this process, one spawned as production runs it): batches of
 * both claim recipients and sends side by side, and every recipient gets exactly one message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectOf } from '../server/db';
import { recipientCounts } from '../server/db/recipients';
import { getRun } from '../server/db/runs';
import type { CampaignResult } from '../workflows/contracts';
import { campaignEnv, type CampaignEnv } from './campaign-env';
import { graphWithDelay } from './helpers';

let env: CampaignEnv;
beforeAll(async () => {
  env = await campaignEnv({ contacts: 2000, taskQueue: 'campaign-postgres-test', inProcessWorker: true, database: 'postgres' });
});
afterAll(async () => env?.close());

describe('a campaign on PostgreSQL', () => {
  it('sends everyone (2,003 contacts) exactly one message, with a second worker (spawned) on the same task queue', async () => {
    expect(dialectOf(env.db)).toBe('postgres');
    env.spawnWorker();
    const before = env.received.length;
    const { runId, handle } = await env.run('on-postgres', graphWithDelay({ mode: 'random', min: 1, max: 2, unit: 'seconds' }));
    const result: CampaignResult = await handle.result();
    expect(result).toMatchObject({ status: 'completed', sent: 2003, failed: 0, handedOff: 0 });
    const mine = env.received.slice(before);
    expect(mine).toHaveLength(2003);
    expect(new Set(mine.map((m) => m.messageId)).size).toBe(2003);
    expect(new Set(mine.map((m) => m.to)).size).toBe(2003);
    expect(await recipientCounts(env.db, runId, Date.now())).toMatchObject({ completed: 2003, messagesSent: 2003, sending: 0 });
    expect((await getRun(env.db, runId))?.status).toBe('completed');
  });
});
