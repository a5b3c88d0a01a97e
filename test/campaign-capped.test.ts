/**
 * The forecast against a run: a campaign of 100 recipients whose sender may send 50 a day, started at
 * 23:00 UTC, finishes within a tenth of its run time of what the run page forecast when it started (50
 * that evening, the other 50 once the cap counts again at midnight). Started late in the day so that the
 * campaign, which looks every skipped minute while its recipients wait in their retries, has one hour to
 * go through rather than days. Real Java time-skipping test server, real activities, real SQLite, real SMTP server.
 *
 * The daily cap is counted on the activities' clock: here that clock follows Temporal's skipped time
 * (each activity starts at the test server's time), so a day the workflows sleep through is a new day
 * for the cap too, as it is in production.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createActivities } from '../activities';
import type { Config } from '../server/config';
import type { Db } from '../server/db';
import { insertContacts } from '../server/db/contacts';
import { updateSmtpProfile } from '../server/db/smtp-profiles';
import { runReport } from '../server/runs/report';
import { startRun } from '../server/runs/start';
import { startSandboxSmtp, type SandboxSmtp } from '../server/sandbox-smtp';
import { threadedTransports } from '../server/smtp/send-thread';
import { campaignWorkflowId } from '../workflows/contracts';
import { localSmtpPolicy, profileInput, publishForTest, sendGraph, tempInstall, timeSkippingTemporal, workflowOptions } from './helpers';

const taskQueue = 'campaign-capped';
const admin = { id: 'admin-test', role: 'admin' as const };

let env: TestWorkflowEnvironment;
let smtp: SandboxSmtp;
let db: Db;
let config: Config;
let worker: Worker;
let workerDone: Promise<void>;
/** The (skipped) Temporal time each message reached the SMTP server at. */
const received: number[] = [];
const transports = threadedTransports(() => '', localSmtpPolicy);

beforeAll(async () => {
  env = await timeSkippingTemporal();
  // Date follows real time, and jumps to Temporal's time whenever an activity starts.
  vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true, now: await env.currentTimeMs() });
  smtp = await startSandboxSmtp({
    port: 0,
    onMessage: async () => {
      received.push(await env.currentTimeMs());
    },
  });
  ({ db, config } = await tempInstall({ TEMPORAL_TASK_QUEUE: taskQueue }));
  await updateSmtpProfile(db, 'sandbox', profileInput({ name: 'Capped', port: smtp.port, dailyCap: 50 }), '');
  await publishForTest(db, 'capped', sendGraph('sandbox'));
  const activities = createActivities({ db, transports, messageIdSecret: Buffer.alloc(32, 7), temporal: env.client, taskQueue });
  const onTemporalTime = Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      async (...args: unknown[]) => {
        vi.setSystemTime(Math.max(Date.now(), await env.currentTimeMs()));
        return (fn as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  );
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue, ...workflowOptions(), activities: onTemporalTime });
  workerDone = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await workerDone;
  vi.useRealTimers();
  transports.close();
  await smtp?.close();
  await db?.destroy();
  await env?.teardown();
});

describe('a run under a daily cap', () => {
  it('finishes within a tenth of its run time of the forecast made when it started', async () => {
    const contacts = await insertContacts(
      db,
      Array.from({ length: 100 }, (_, i) => ({ id: `ct_cap${i}`, email: `cap${i}@example.test`, name: `Capped ${i}` })),
    );
    // 23:00 UTC on the test server's clock, and on the activities' clock.
    const day = 86_400_000;
    const now = await env.currentTimeMs();
    const elevenPm = Math.floor(now / day) * day + 23 * 3_600_000;
    await env.sleep(elevenPm > now ? elevenPm - now : elevenPm + day - now);
    vi.setSystemTime(await env.currentTimeMs());
    const startedAt = Date.now();
    const { runId } = await startRun(db, env.client, config, admin, {
      flowId: 'capped',
      version: 1,
      audience: { kind: 'contacts', contactIds: contacts.map((c) => c.id) },
    });
    const forecast = Date.parse((await runReport(db, admin, runId)).estimatedFinish ?? '');
    // 50 that evening, the other 50 from midnight.
    const midnight = (Math.floor(startedAt / day) + 1) * day;
    expect(forecast).toBeGreaterThanOrEqual(midnight);
    expect(forecast).toBeLessThan(midnight + 60_000);

    await env.client.workflow.getHandle(campaignWorkflowId(runId)).result();
    // The last ones may still be in their own retry workflows: a day at most.
    while (received.length < 100 && (await env.currentTimeMs()) < startedAt + day) await env.sleep('10 minutes');
    expect(received).toHaveLength(100);
    const last = Math.max(...received);
    expect(Math.abs(last - forecast)).toBeLessThanOrEqual(0.1 * (forecast - startedAt));
    // And the cap held: no UTC day had more than 50.
    const perDay = new Map<number, number>();
    for (const at of received) perDay.set(Math.floor(at / day), (perDay.get(Math.floor(at / day)) ?? 0) + 1);
    expect([...perDay.values()]).toEqual([50, 50]);
  });
});
