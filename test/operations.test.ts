/**
 * What an operator sees of a running install: the worker's /healthz, /readyz and /metrics (with the
 * Temporal SDK's metrics merged in) during a campaign, the database's view the web app's /metrics
 * serves, a graceful stop (SIGTERM mid-campaign: the worker drains and exits 0, and a new worker
 * finishes the campaign with every recipient sent exactly once), and /readyz answering 503 naming
 * Temporal once Temporal is down.
 */
import type { ChildProcess } from 'node:child_process';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recipientCounts } from '../server/db/recipients';
import { updateSmtpProfile } from '../server/db/smtp-profiles';
import { watchDatabase } from '../server/metrics';
import { databaseCheck, metricsText, readyz, temporalCheck } from '../server/operations';
import type { CampaignResult } from '../workflows/contracts';
import { campaignEnv, type CampaignEnv } from './campaign-env';
import { eventually, graphWithDelay, profileInput } from './helpers';
import { freePort } from './temporal-dev';

let env: CampaignEnv;
let ports: { http: number; sdk: number };
beforeAll(async () => {
  env = await campaignEnv({ contacts: 2000, taskQueue: 'operations', inProcessWorker: false });
  // Paced, so that the campaign is still sending when the worker is stopped mid-way below (2,003 at 300/s: about 7 s).
  await updateSmtpProfile(env.db, 'sandbox', profileInput({ name: 'Sandbox', port: env.smtp.port, maxConnections: 5, ratePerSecond: 300 }), '');
  ports = { http: await freePort(), sdk: await freePort() };
});
afterAll(async () => env?.close());

const workerEnv = () => ({
  DRIPLINE_WORKER_HTTP_PORT: String(ports.http),
  DRIPLINE_WORKER_SDK_METRICS_PORT: String(ports.sdk),
  // A short grace, so that the stop below cancels a batch mid-way rather than waiting for it.
  DRIPLINE_SHUTDOWN_GRACE_SECONDS: '2',
});
const worker = (path: string) => fetch(`http://127.0.0.1:${ports.http}${path}`);

/** The sum of a metric's samples whose labels include every `labels` pair. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** The web app's /metrics answer, as web/app/metrics/route.ts builds it. */
const webRegistry = new Registry();
const webMetrics = async () => (await metricsText(webRegistry)).text();

describe('a worker seen from the outside', () => {
  let first: ChildProcess;
  let campaign: Awaited<ReturnType<CampaignEnv['run']>> | undefined;

  it('is alive and ready once it polls, with the database, Temporal and itself named', async () => {
    watchDatabase(webRegistry, async () => env.db);
    first = env.spawnWorker(workerEnv());
    const ready = await eventually(
      'the worker to be ready',
      async () => ((await worker('/readyz').catch(() => undefined))?.status === 200 ? true : undefined),
      {
        timeoutMs: 120_000,
        everyMs: 250,
      },
    );
    expect(ready).toBe(true);
    expect(await (await worker('/readyz')).json()).toEqual({ status: 'ready', checks: { database: 'ok', temporal: 'ok', worker: 'ok' } });
    expect(await (await worker('/healthz')).json()).toEqual({ status: 'alive' });
    expect((await worker('/nowhere')).status).toBe(404);
  });

  it('counts its sends on /metrics as the campaign goes, beside the Temporal SDK’s metrics; the database view rises too', async () => {
    campaign = await env.run('operations', graphWithDelay({ mode: 'fixed', amount: 0, unit: 'seconds' }));
    const sent = async () =>
      sample(await (await worker('/metrics')).text(), 'dripline_sends_total', { outcome: 'sent', class: 'accepted', profile: 'sandbox' });
    const firstCount = await eventually('a send counted', async () => ((await sent()) > 0 ? sent() : undefined), {
      timeoutMs: 120_000,
      everyMs: 200,
    });
    const webFirst = sample(await webMetrics(), 'dripline_running_delivery_attempts', { outcome: 'sent' });
    await eventually('more sends counted', async () => ((await sent()) > firstCount ? true : undefined), { timeoutMs: 120_000, everyMs: 200 });
    await eventually('the delivery log to rise on the web app’s /metrics', async () =>
      sample(await webMetrics(), 'dripline_running_delivery_attempts', { outcome: 'sent' }) > webFirst ? true : undefined,
    );
    const text = await (await worker('/metrics')).text();
    expect(text).toContain('# TYPE dripline_sends_total counter');
    expect(sample(text, 'dripline_send_batch_duration_seconds_count') + sample(text, 'dripline_claim_duration_seconds_count')).toBeGreaterThan(0);
    // The Temporal SDK's own, from its exporter on DRIPLINE_WORKER_SDK_METRICS_PORT.
    expect(sample(text, 'temporal_num_pollers', { task_queue: 'operations' })).toBeGreaterThan(0);
    const web = await webMetrics();
    expect(web).toContain('dripline_cohort_recipients{state="due"}');
    expect(web).toContain('dripline_profile_effective_rate');
  });

  it('drains on SIGTERM and exits 0; a new worker finishes the campaign, every recipient sent exactly once', async () => {
    if (!campaign) throw new Error('the campaign did not start');
    const { runId, handle } = campaign;
    await eventually('some messages out', () => (env.received.length >= 200 ? true : undefined), { timeoutMs: 120_000, everyMs: 100 });
    const exited = new Promise<number | null>((resolve) => first.once('exit', (code) => resolve(code)));
    first.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(first.signalCode).toBeNull();
    const sentByFirst = env.received.length;
    expect(sentByFirst).toBeLessThan(2003);

    env.spawnWorker(workerEnv());
    const result: CampaignResult = await handle.result();
    expect(result.status).toBe('completed');
    const perRecipient = new Map<string, number>();
    for (const m of env.received) perRecipient.set(m.to, (perRecipient.get(m.to) ?? 0) + 1);
    const total = (await recipientCounts(env.db, runId, Date.now())).completed;
    expect(perRecipient.size).toBe(total);
    expect([...perRecipient.values()].filter((n) => n !== 1)).toEqual([]);
  }, 300_000);

  it('answers /readyz with 503 naming Temporal once Temporal is down, and is still alive', async () => {
    await eventually(
      'the new worker to be ready',
      async () => ((await worker('/readyz').catch(() => undefined))?.status === 200 ? true : undefined),
      {
        timeoutMs: 120_000,
      },
    );
    // The web app's readiness, as web/app/readyz/route.ts composes it.
    const webReady = () =>
      readyz({ database: databaseCheck(async () => env.db), temporal: temporalCheck({ address: env.temporalAddress }) }, { public: true });
    expect((await webReady()).status).toBe(200);

    await env.stopTemporal();
    const answer = await eventually('the worker to say it is not ready', async () => {
      const res = await worker('/readyz');
      return res.status === 503 ? ((await res.json()) as { status: string; checks: Record<string, string>; message: string }) : undefined;
    });
    expect(answer.status).toBe('not ready');
    expect(answer.checks.database).toBe('ok');
    expect(answer.checks.temporal).not.toBe('ok');
    expect(answer.message).toMatch(/^not ready: temporal: /);
    expect((await worker('/healthz')).status).toBe(200);

    const web = await webReady();
    expect(web.status).toBe(503);
    // Anyone may ask the web app: it names what is missing, the reasons stay in its log.
    expect(await web.json()).toEqual({ status: 'not ready', checks: { database: 'ok', temporal: 'failing' }, message: 'not ready: temporal' });
  });
});
