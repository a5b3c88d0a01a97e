/**
 * A campaign under a warm-up, in Temporal's skipped time: a ramp of 2, 4, 8 a day sends 2 of 6 recipients
 * on its first day and the other 4 the next (they wait durably for the next day, as a daily cap's do), and
 * the forecast says so. Real Java time-skipping test server, real activities, real SQLite, real SMTP
 * server; the profile page's numbers (today's allowance, the day in the ramp) too. A second day boundary is
 * left out: the test server stamps a retried attempt with its previous attempt's time, so the activity's
 * clock would lag a full day behind the skipped one there (production reads the machine's clock).
 */
import { tsToMs } from '@temporalio/common/lib/time';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createActivities } from '../activities';
import { addDays, localDay } from '../domain/send-limits';
import type { Config } from '../server/config';
import type { Db } from '../server/db';
import { insertContacts } from '../server/db/contacts';
import { getSmtpProfile, updateSmtpProfile } from '../server/db/smtp-profiles';
import { throttleState } from '../server/db/throttle';
import { runReport } from '../server/runs/report';
import { startRun } from '../server/runs/start';
import { startSandboxSmtp, type SandboxSmtp } from '../server/sandbox-smtp';
import { threadedTransports } from '../server/smtp/send-thread';
import { campaignWorkflowId, retryWorkflowId } from '../workflows/contracts';
import { localSmtpPolicy, profileInput, publishForTest, sendGraph, tempInstall, timeSkippingTemporal, workflowOptions } from './helpers';

const taskQueue = 'campaign-warmup';
const admin = { id: 'admin-test', role: 'admin' as const };

let env: TestWorkflowEnvironment;
let smtp: SandboxSmtp;
let db: Db;
let config: Config;
let worker: Worker;
let workerDone: Promise<void>;
/** The (skipped) Temporal time each message reached the SMTP server. */
const received: number[] = [];
const transports = threadedTransports(() => '', localSmtpPolicy);

beforeAll(async () => {
  env = await timeSkippingTemporal();
  smtp = await startSandboxSmtp({ port: 0, onMessage: async () => void received.push(await env.currentTimeMs()) });
  ({ db, config } = await tempInstall({ TEMPORAL_TASK_QUEUE: taskQueue }));
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    ...workflowOptions(),
    activities: createActivities({ db, transports, messageIdSecret: Buffer.alloc(32, 7), temporal: env.client, taskQueue }),
  });
  workerDone = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await workerDone;
  transports.close();
  await smtp?.close();
  await db?.destroy();
  await env?.teardown();
});

it('sends no more than each day’s warm-up volume in that day, and the rest on the next days', async () => {
  // The profile's time zone is one where it is 22:00 or later now: its first day ends within two hours of
  // skipped time, not up to a day (each skipped hour costs the test real seconds).
  const now = await env.currentTimeMs();
  const ahead = (22 - new Date(now).getUTCHours() + 24) % 24;
  const offset = ahead > 14 ? ahead - 24 : ahead;
  const zone = offset >= 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`;
  const today = localDay(zone, now);
  const day = (n: number) => addDays(today, n);
  const warmup = { timeZone: zone, warmupStart: today, warmupFirst: 2, warmupFactor: 2, warmupTarget: 8, warmupDays: '1234567' };
  await updateSmtpProfile(db, 'sandbox', profileInput({ name: 'Sandbox', port: smtp.port, ...warmup }), '');
  const profile = await getSmtpProfile(db, 'sandbox');
  if (!profile) throw new Error('no sandbox profile');
  expect(await throttleState(db, profile)).toMatchObject({ allowanceToday: 2, warmup: { state: 'ramp', dayOfRamp: 1, rampDays: 3 } });

  await publishForTest(db, 'warming', sendGraph('sandbox'));
  const made = await insertContacts(
    db,
    Array.from({ length: 6 }, (_, i) => ({ id: `ct_warm${i}`, email: `warm${i}@example.test`, name: `Warm ${i}` })),
  );
  const { runId } = await startRun(db, env.client, config, admin, {
    flowId: 'warming',
    version: 1,
    audience: { kind: 'contacts', contactIds: made.map((c) => c.id) },
  });
  // The forecast knows the ramp: the last goes out on the second day.
  const forecast = (await runReport(db, admin, runId)).estimatedFinish;
  expect(forecast && localDay(zone, Date.parse(forecast))).toBe(day(1));

  expect(await env.client.workflow.getHandle(campaignWorkflowId(runId)).result()).toMatchObject({ status: 'completed' });
  // Those over the first day's volume wait in their retry workflows. When each went out: its last attempt's
  // start in Temporal's clock (what the activity counts its day by; an arrival at the SMTP server can be
  // stamped later, the test server skipping time while the message crosses).
  const retriedAt: number[] = [];
  for (const c of made) {
    const retry = env.client.workflow.getHandle(retryWorkflowId(runId, 's', c.id));
    if (
      !(await retry.result().then(
        () => true,
        () => false,
      ))
    )
      continue;
    const started = (await retry.fetchHistory()).events?.filter((e) => e.activityTaskStartedEventAttributes).at(-1);
    retriedAt.push(tsToMs(started?.eventTime));
  }
  const perDay = (times: number[]) => {
    const days: Record<string, number> = {};
    for (const t of times) days[localDay(zone, t)] = (days[localDay(zone, t)] ?? 0) + 1;
    return days;
  };
  expect(received).toHaveLength(6);
  // Two on the first day, sent by the campaign's batch; the other four the next day.
  expect(retriedAt).toHaveLength(4);
  expect(perDay(received.filter((t) => localDay(zone, t) === day(0)))).toEqual({ [day(0)]: 2 });
  expect(perDay(retriedAt)).toEqual({ [day(1)]: 4 });
});
