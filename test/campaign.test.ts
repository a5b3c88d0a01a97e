/**
 * Campaigns on a real Temporal server (the dev server) and a real SMTP server: one workflow walks the
 * plan for the whole audience, in batches, and every recipient gets exactly one message.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../activities';
import { keyedRandom, drawDelayMs } from '../domain/flow/draw';
import type { FlowGraph } from '../domain/flow/schema';
import type { Config } from '../server/config';
import type { Db } from '../server/db';
import { insertContacts, listContacts } from '../server/db/contacts';
import { recipientCounts } from '../server/db/recipients';
import { getRun, listRunRecipients } from '../server/db/runs';
import { updateSmtpProfile } from '../server/db/smtp-profiles';
import { startRun, type StartRunRequest } from '../server/runs';
import { startSandboxSmtp, type SandboxSmtp } from '../server/sandbox-smtp';
import { TransportPool } from '../server/smtp/transport';
import type { CampaignResult, CampaignState } from '../workflows/campaign';
import { graphWithDelay, profileInput, publishForTest, tempInstall, workflowsPath } from './helpers';
import { startTemporalDevServer, type DevServer } from './temporal-dev';

const TASK_QUEUE = 'campaign-test';
const admin = { id: 'admin-test', role: 'admin' as const };
let server: DevServer;
let db: Db;
let config: Config;
let client: Client;
let smtp: SandboxSmtp;
let worker: Worker;
let workerDone: Promise<void>;
const transports = new TransportPool(() => '');
/** What the SMTP server received: Message-ID and recipient of each message, and when. */
const received: { messageId: string; to: string; at: number }[] = [];

beforeAll(async () => {
  server = await startTemporalDevServer();
  ({ db, config } = await tempInstall({ TEMPORAL_ADDRESS: server.address, TEMPORAL_TASK_QUEUE: TASK_QUEUE }));
  smtp = await startSandboxSmtp({ port: 0, onMessage: async (m) => void received.push({ messageId: m.messageId, to: m.envelopeTo, at: Date.now() }) });
  await updateSmtpProfile(db, 'sandbox', profileInput({ name: 'Sandbox', port: smtp.port, maxConnections: 5 }), '');
  client = new Client({ connection: await Connection.connect({ address: server.address }) });
  worker = await Worker.create({
    connection: await NativeConnection.connect({ address: server.address }),
    taskQueue: TASK_QUEUE,
    workflowsPath,
    activities: createActivities({ db, transports, messageIdSecret: Buffer.alloc(32, 3), temporal: client, taskQueue: TASK_QUEUE }),
  });
  workerDone = worker.run();
  await insertContacts(db, Array.from({ length: 5000 }, (_, i) => ({ id: `ct_${String(i).padStart(5, '0')}`, email: `person${i}@example.test`, name: `Person ${i}` })));
});

afterAll(async () => {
  worker?.shutdown();
  await workerDone;
  transports.close();
  await smtp?.close();
  await db?.destroy();
  await server?.stop();
});

async function run(flowId: string, graph: FlowGraph, request: Partial<StartRunRequest> = {}) {
  const plan = await publishForTest(db, flowId, graph);
  const started = await startRun(db, client, config, admin, { flowId, version: plan.version, audience: { kind: 'all' }, ...request });
  return { ...started, plan, handle: client.workflow.getHandle(`campaign:${started.runId}`) };
}

describe('a campaign', () => {
  it('sends everyone (5,003 contacts) with a Randomize delay exactly one message each, every wait drawn inside [min, max]', async () => {
    const before = received.length;
    const { runId, handle } = await run('randomized', graphWithDelay({ mode: 'random', min: 1, max: 3, unit: 'seconds' }), { idempotencyKey: 'k-randomized' });
    const result: CampaignResult = await handle.result();
    expect(result).toMatchObject({ status: 'completed', sent: 5003, failed: 0, handedOff: 0 });

    const mine = received.slice(before);
    expect(mine).toHaveLength(5003);
    expect(new Set(mine.map((m) => m.messageId)).size).toBe(5003);
    expect(new Set(mine.map((m) => m.to)).size).toBe(5003);
    expect((await recipientCounts(db, runId, Date.now())).completed).toBe(5003);
    expect((await getRun(db, runId))?.status).toBe('completed');

    // Each contact's wait is drawn from the run's seed and its own id: inside [1 s, 3 s], and spread out.
    const state: CampaignState = await handle.query('state');
    const idByEmail = new Map((await listContacts(db)).map((c) => [c.email, c.id]));
    const draws = mine.map((m) => drawDelayMs(1000, 3000, () => keyedRandom(state.seed, `wait\n${idByEmail.get(m.to)}`)));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...draws)).toBeLessThanOrEqual(3000);
    expect(draws.filter((d) => d < 2000).length).toBeGreaterThan(1000);
    expect(draws.filter((d) => d >= 2000).length).toBeGreaterThan(1000);
    // No one was sent before their own wait was over.
    const early = mine.filter((m, i) => m.at < state.startedAt + draws[i]!);
    expect(early).toEqual([]);
  });

  it('starts one run for one idempotency key, however often it is asked', async () => {
    const plan = await publishForTest(db, 'twice', graphWithDelay({ mode: 'fixed', amount: 0, unit: 'seconds' }));
    const request: StartRunRequest = { flowId: 'twice', version: plan.version, audience: { kind: 'contacts', contactIds: ['ct_00001', 'ct_00002'] }, idempotencyKey: 'same-key' };
    const [a, b] = await Promise.all([startRun(db, client, config, admin, request), startRun(db, client, config, admin, request)]);
    const c = await startRun(db, client, config, admin, request);
    expect(new Set([a.runId, b.runId, c.runId]).size).toBe(1);
    await client.workflow.getHandle(`campaign:${a.runId}`).result();
    const recipients = await listRunRecipients(db, a.runId, { offset: 0, limit: 10 });
    expect(recipients.total).toBe(2);
    expect(recipients.items.map((r) => r.status)).toEqual(['completed', 'completed']);
  });
});
