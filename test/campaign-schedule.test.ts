/**
 * Scheduled and spread starts, in Temporal's skipped time: a run scheduled for tomorrow waits in its
 * campaign workflow (nothing is sent before, everyone after), a reschedule moves it, a cancel before
 * it starts sends nothing; a spread start's first sends land across its window, not all at once.
 * Real Java time-skipping test server, real activities, real SQLite, real SMTP server.
 *
 * The audiences are explicit contacts: they are written due at the (real) moment of the start, as a
 * list's or a segment's are, so the campaign's activities, which read the real clock, find them due
 * whatever time the skipped workflow clock says. The reschedule's history is test/histories/campaign-scheduled-spread.json;
 * re-record it after an intended change behind patched(): DRIPLINE_RECORD_HISTORY=1 npx vitest run test/campaign-schedule.test.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../activities';
import type { Config } from '../server/config';
import type { Db } from '../server/db';
import { insertContacts } from '../server/db/contacts';
import { getRun } from '../server/db/runs';
import { updateSmtpProfile } from '../server/db/smtp-profiles';
import { controlRun, rescheduleRun } from '../server/runs/control';
import { runReport } from '../server/runs/report';
import { startRun } from '../server/runs/start';
import { startSandboxSmtp, type SandboxSmtp } from '../server/sandbox-smtp';
import { threadedTransports } from '../server/smtp/send-thread';
import { campaignWorkflowId } from '../workflows/contracts';
import { localSmtpPolicy, profileInput, publishForTest, root, sendGraph, tempInstall, timeSkippingTemporal, workflowOptions } from './helpers';

const HOUR = 3_600_000;
const taskQueue = 'campaign-schedule';
const admin = { id: 'admin-test', role: 'admin' as const };

let env: TestWorkflowEnvironment;
let smtp: SandboxSmtp;
let db: Db;
let config: Config;
let worker: Worker;
let workerDone: Promise<void>;
/** What the SMTP server accepted, with the (skipped) Temporal time it arrived at. */
const received: { to: string; at: number }[] = [];
const transports = threadedTransports(() => '', localSmtpPolicy);

beforeAll(async () => {
  env = await timeSkippingTemporal();
  smtp = await startSandboxSmtp({
    port: 0,
    onMessage: async (m) => {
      received.push({ to: m.envelopeTo, at: await env.currentTimeMs() });
    },
  });
  ({ db, config } = await tempInstall({ TEMPORAL_TASK_QUEUE: taskQueue }));
  await updateSmtpProfile(db, 'sandbox', profileInput({ name: 'Sandbox', port: smtp.port }), '');
  await publishForTest(db, 'scheduled', sendGraph('sandbox'));
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    ...workflowOptions(),
    activities: createActivities({ db, transports, messageIdSecret: Buffer.alloc(32, 5), temporal: env.client, taskQueue }),
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

/** `count` new contacts named for the test; their addresses. */
async function contacts(prefix: string, count: number): Promise<{ ids: string[]; emails: string[] }> {
  const made = await insertContacts(
    db,
    Array.from({ length: count }, (_, i) => ({ id: `ct_${prefix}${i}`, email: `${prefix}${i}@example.test`, name: `${prefix} ${i}` })),
  );
  return { ids: made.map((c) => c.id), emails: made.map((c) => c.email) };
}

async function start(contactIds: string[], schedule: { startAt?: string; spreadHours?: number }) {
  const { runId } = await startRun(db, env.client, config, admin, {
    flowId: 'scheduled',
    version: 1,
    audience: { kind: 'contacts', contactIds },
    ...schedule,
  });
  return { runId, handle: env.client.workflow.getHandle(campaignWorkflowId(runId)) };
}

const receivedBy = (emails: string[]) => received.filter((m) => emails.includes(m.to));

describe('a scheduled start', () => {
  it('sends nothing before its time and everyone after; then it can no longer be rescheduled', async () => {
    const { ids, emails } = await contacts('tomorrow', 5);
    const startAt = (await env.currentTimeMs()) + 24 * HOUR;
    const { runId, handle } = await start(ids, { startAt: new Date(startAt).toISOString() });
    expect(await getRun(db, runId)).toMatchObject({ status: 'scheduled', startAt: new Date(startAt).toISOString() });

    await env.sleep('23 hours');
    expect(receivedBy(emails)).toEqual([]);
    expect((await getRun(db, runId))?.status).toBe('scheduled');

    expect(await handle.result()).toMatchObject({ status: 'completed', sent: 5 });
    const mine = receivedBy(emails);
    expect(mine.map((m) => m.to).sort()).toEqual([...emails].sort());
    expect(mine.every((m) => m.at >= startAt)).toBe(true);
    expect((await getRun(db, runId))?.status).toBe('completed');

    await expect(rescheduleRun(db, env.client, runId, new Date(startAt + 48 * HOUR).toISOString())).rejects.toMatchObject({
      status: 409,
      code: 'run_not_scheduled',
    });
  });

  it('moves to the new time when rescheduled, and spreads its first send from then', async () => {
    const { ids, emails } = await contacts('moved', 3);
    const now = await env.currentTimeMs();
    const { runId, handle } = await start(ids, { startAt: new Date(now + 24 * HOUR).toISOString(), spreadHours: 1 });
    const later = now + 48 * HOUR;
    await rescheduleRun(db, env.client, runId, new Date(later).toISOString());
    expect((await getRun(db, runId))?.startAt).toBe(new Date(later).toISOString());
    // The forecast before it starts: the spread's last tick, three recipients an hour apart by twenty minutes.
    const forecast = Date.parse((await runReport(db, admin, runId)).estimatedFinish ?? '');
    expect(forecast).toBe(later + 40 * 60_000);

    // Past the first time: still nothing.
    await env.sleep('25 hours');
    expect(receivedBy(emails)).toEqual([]);

    expect(await handle.result()).toMatchObject({ status: 'completed', sent: 3 });
    const times = receivedBy(emails)
      .map((m) => m.at)
      .sort((a, b) => a - b);
    expect(times).toHaveLength(3);
    expect(times.every((at) => at >= later)).toBe(true);
    // Three recipients over the hour from the (moved) start: twenty minutes apart.
    expect((times.at(-1) ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(40 * 60_000);
    expect((times.at(-1) ?? 0) - later).toBeLessThan(HOUR);
    // The forecast made before the start matches the finish within a tenth of the run's length.
    expect(Math.abs((times.at(-1) ?? 0) - forecast)).toBeLessThanOrEqual(0.1 * (forecast - later));
    if (process.env.DRIPLINE_RECORD_HISTORY === '1') {
      fs.writeFileSync(path.join(root, 'test', 'histories', 'campaign-scheduled-spread.json'), historyToJSON(await handle.fetchHistory()));
    }
  });

  it('sends nothing when cancelled before it starts', async () => {
    const { ids, emails } = await contacts('called-off', 3);
    const { runId, handle } = await start(ids, { startAt: new Date((await env.currentTimeMs()) + 24 * HOUR).toISOString() });
    await controlRun(db, env.client, runId, 'cancel');
    await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    await env.sleep('25 hours');
    expect(receivedBy(emails)).toEqual([]);
    expect((await getRun(db, runId))?.status).toBe('cancelled');
  });

  it('refuses a start time that has passed or is not a time, naming startAt', async () => {
    const { ids } = await contacts('past', 1);
    await expect(start(ids, { startAt: new Date(Date.now() - 60_000).toISOString() })).rejects.toMatchObject({
      status: 422,
      details: { field: 'startAt' },
      message: expect.stringMatching(/^startAt must be in the future/),
    });
    await expect(start(ids, { startAt: 'tomorrow morning' })).rejects.toMatchObject({ status: 422, details: { field: 'startAt' } });
  });
});

describe('a spread start', () => {
  it('spreads the first send over the window: one recipient every two minutes for an hour, not all at once', async () => {
    const { ids, emails } = await contacts('spread', 30);
    const startedAt = await env.currentTimeMs();
    const { runId, handle } = await start(ids, { spreadHours: 1 });
    expect((await getRun(db, runId))?.spreadHours).toBe(1);
    expect(await handle.result()).toMatchObject({ status: 'completed', sent: 30 });

    const times = receivedBy(emails)
      .map((m) => m.at)
      .sort((a, b) => a - b);
    expect(times).toHaveLength(30);
    // 30 recipients over an hour: 30 ticks of two minutes, one recipient each, the last before the hour is out.
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? t));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(60_000);
    expect((times.at(-1) ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(55 * 60_000);
    expect((times.at(-1) ?? 0) - startedAt).toBeLessThan(HOUR);
  });

  it('refuses a spread that is not a whole number of hours from 1 to 168, naming spreadHours', async () => {
    const { ids } = await contacts('bad-spread', 1);
    for (const spreadHours of [0, 1.5, 169]) {
      await expect(start(ids, { spreadHours })).rejects.toMatchObject({ status: 422, details: { field: 'spreadHours' } });
    }
  });
});
