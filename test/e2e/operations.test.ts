/**
 * The web app's and the worker's operator endpoints on the whole product (`npm start`): /healthz and
 * /readyz need no session; the web app's /metrics only DRIPLINE_METRICS_TOKEN, and during a campaign it
 * shows the delivery log rising while the worker's /metrics counts the sends.
 */
import type { FlowGraph } from '../../domain/flow/schema';
import type { FlowCreated, FlowPublished, RunStarted } from '../../web/lib/api-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../temporal-dev';
import { eventually, Product } from './product';

const token = 'metrics-token-e2e-8c1f3a9d5e7b2046f1a3';
let product: Product;
let workerPort: number;

beforeAll(async () => {
  workerPort = await freePort();
  product = await Product.start('operations', {
    DRIPLINE_METRICS_TOKEN: token,
    DRIPLINE_WORKER_HTTP_PORT: String(workerPort),
    DRIPLINE_WORKER_SDK_METRICS_PORT: String(await freePort()),
  });
});
afterAll(async () => product?.stop());

const web = (path: string, headers: Record<string, string> = {}) => fetch(`${product.web}${path}`, { headers, redirect: 'manual' });
const scrape = async () => (await web('/metrics', { authorization: `Bearer ${token}` })).text();
/** The sum of a metric's samples whose labels include every `labels` pair. */
const value = (text: string, name: string, labels: Record<string, string>) =>
  text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);

/** Send, then wait a day: the run stays running after its first messages, so its delivery log stays in view. */
const sendThenWait: FlowGraph = {
  schemaVersion: 1,
  nodes: [
    { id: 't', type: 'trigger', position: { x: 0, y: 0 }, data: { source: 'audience' } },
    { id: 's', type: 'sendEmail', position: { x: 0, y: 100 }, data: { profileId: 'sandbox', subject: 'Hi {{name}}', text: 'Hello' } },
    { id: 'w', type: 'delay', position: { x: 0, y: 200 }, data: { mode: 'fixed', amount: 1, unit: 'days' } as never },
    { id: 'x', type: 'exit', position: { x: 0, y: 300 }, data: {} },
  ],
  edges: [
    { id: 'e1', source: 't', target: 's' },
    { id: 'e2', source: 's', target: 'w' },
    { id: 'e3', source: 'w', target: 'x' },
  ],
};

describe('operator endpoints', () => {
  it('answer /healthz and /readyz without a session', async () => {
    const health = await web('/healthz');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'alive' });
    const ready = await web('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', temporal: 'ok' } });
    // The worker (supervised by `npm start`) bundles its workflows first: its endpoints come up after the web app.
    const worker = await eventually(
      'the worker’s /readyz',
      async () => (await fetch(`http://127.0.0.1:${workerPort}/readyz`).catch(() => undefined))?.status === 200 || undefined,
      { timeoutMs: 120_000 },
    );
    expect(worker).toBe(true);
  });

  it('serve the web app’s /metrics to its bearer token only', async () => {
    expect((await web('/metrics')).status).toBe(401);
    expect((await web('/metrics', { authorization: 'Bearer not-the-token' })).status).toBe(401);
    const res = await web('/metrics', { authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toContain('dripline_cohort_recipients{state="due"}');
  });

  it('show a campaign’s sends: the delivery log rising on the web app, the sends counted on the worker', async () => {
    const before = value(await scrape(), 'dripline_running_delivery_attempts', { outcome: 'sent' });
    const flow = (await product.admin.api<FlowCreated>('POST', '/api/flows', { name: 'Operations' })).data;
    expect((await product.admin.api('PUT', `/api/flows/${flow.id}`, { name: 'Operations', graph: sendThenWait })).status).toBe(200);
    const version = (await product.admin.api<FlowPublished>('POST', `/api/flows/${flow.id}/publish`)).data.version;
    const run = await product.admin.api<RunStarted>('POST', '/api/runs', { flowId: flow.id, version, contactIds: ['ct_ada', 'ct_grace'] });
    expect(run.status, run.text).toBe(201);
    const after = await eventually('the two sends on the web app’s /metrics', async () => {
      const text = await scrape();
      return value(text, 'dripline_running_delivery_attempts', { outcome: 'sent' }) >= before + 2 ? text : undefined;
    });
    expect(after).toContain('dripline_cohort_recipients{state="due"}');
    // Past their send, the two wait a day in the running campaign.
    await eventually('the two recipients waiting on the web app’s /metrics', async () =>
      value(await scrape(), 'dripline_cohort_recipients', { state: 'waiting' }) >= 2 ? true : undefined,
    );
    const workerText = await (await fetch(`http://127.0.0.1:${workerPort}/metrics`)).text();
    expect(value(workerText, 'dripline_sends_total', { outcome: 'sent', class: 'accepted', profile: 'sandbox' })).toBeGreaterThanOrEqual(2);
  });
});
