/**
 * Audiences at scale, each part on a stack of its own (bench/results/audiences-stack.log):
 *   import  CSVs of BENCH_IMPORT_ROWS rows (default 10,000 then 100,000: email, name and two attributes)
 *           streamed to POST /api/imports and imported by the durable job, one stack: seconds from the first
 *           byte sent to the job done, and the worker's largest RSS meanwhile beside its RSS before; flat
 *           memory shows as the same peak for both sizes
 *   events  BENCH_EVENTS events (default 2,000) sent to POST /api/v1/events by BENCH_EVENT_CLIENTS
 *           clients at once (default 50), each a new contact entering a published flow: events
 *           accepted per second (each answered only once its journey started); beside it, the same
 *           number of the same journeys started straight on the same Temporal server by as many clients
 *           (journey_starts_per_s), the ceiling the API could reach
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { compile } from '../domain/flow/compile';
import type { FlowGraph } from '../domain/flow/schema';
import { readConfig } from '../server/config';
import { loadKeyring } from '../server/secrets';
import { temporalConnectionOptions } from '../server/temporal/connection';
import { clientDataConverter } from '../server/temporal-codec';
import type { Workflows } from '../workflows/contracts';
import type { Api } from './api';
import type { Progress } from './progress';
import { numbers, type PartContext, type PartResult, withSession } from './session';
import { round } from './sink';
import { maxRssMb, stackProcesses } from './stack';

const IMPORT_SIZES = numbers(process.env.BENCH_IMPORT_ROWS, [10_000, 100_000]).sort((a, b) => a - b);
const EVENTS = numbers(process.env.BENCH_EVENTS, [2_000])[0] ?? 2_000;
const CLIENTS = numbers(process.env.BENCH_EVENT_CLIENTS, [50])[0] ?? 50;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const csvHeader = 'email,name,plan,score\n';
const csvLine = (rows: number, i: number) => `bench-${rows}-${i}@import.bench,Person ${i},${i % 3 === 0 ? 'pro' : 'free'},${i % 100}\n`;

/** The CSV's size in bytes (the web front wants a Content-Length), counted without keeping it. */
function csvBytes(rows: number): number {
  let n = Buffer.byteLength(csvHeader);
  for (let i = 0; i < rows; i++) n += Buffer.byteLength(csvLine(rows, i));
  return n;
}

/** The CSV, made as it is sent, 1,000 lines at a time. */
function csvStream(rows: number): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let next = 0;
  let headerSent = false;
  return new ReadableStream({
    pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue(encoder.encode(csvHeader));
      }
      if (next >= rows) return controller.close();
      const end = Math.min(rows, next + 1_000);
      let chunk = '';
      for (let i = next; i < end; i++) chunk += csvLine(rows, i);
      next = end;
      controller.enqueue(encoder.encode(chunk));
    },
  });
}

interface ImportStatus {
  import: { status: string; rowsDone: number; created: number; updated: number; invalid: number; duplicates: number; error: string | null };
}

/** Imports one file of `rows` rows (emails under `prefix`) and measures it; `peak` is reset to now at its start. */
async function measureImport(api: Api, progress: Progress, rows: number, pids: Record<'worker' | 'web', number[]>, errors: string[]) {
  const before = { worker: maxRssMb(pids.worker), web: maxRssMb(pids.web) };
  const peak = { ...before };
  const sampler = setInterval(() => {
    peak.worker = Math.max(peak.worker, maxRssMb(pids.worker));
    peak.web = Math.max(peak.web, maxRssMb(pids.web));
  }, 250);
  try {
    const t0 = performance.now();
    progress.start(`uploading ${rows} rows`);
    const uploaded = await api.upload<{ id: string }>(`/api/imports?name=bench-${rows}.csv`, csvStream(rows), 'text/csv', csvBytes(rows));
    const uploadS = (performance.now() - t0) / 1000;
    progress.done(`${round(uploadS, 1)} s`);
    await api.call('POST', `/api/imports/${uploaded.id}/start`, {
      mapping: [{ to: 'email' }, { to: 'name' }, { to: 'attribute', name: 'plan', type: 'text' }, { to: 'attribute', name: 'score', type: 'number' }],
    });
    progress.start('importing');
    const deadline = Date.now() + 30 * 60_000;
    let status: ImportStatus;
    for (;;) {
      status = await api.call<ImportStatus>('GET', `/api/imports/${uploaded.id}`);
      progress.update(status.import.rowsDone / rows, `${status.import.rowsDone} rows`);
      if (status.import.status === 'done' || status.import.status === 'failed' || Date.now() > deadline) break;
      await sleep(250);
    }
    const seconds = (performance.now() - t0) / 1000;
    progress.done(`${status.import.status} in ${round(seconds, 1)} s`);
    const done = status.import;
    if (done.status !== 'done') errors.push(`import ${rows}: ${done.status}${done.error ? `: ${done.error}` : ''} after ${round(seconds, 1)} s`);
    // Each size has its own emails (bench-<rows>-<i>): every row is a new contact.
    if (done.created !== rows) errors.push(`import ${rows}: created ${done.created} contacts of ${rows}`);
    return {
      rows,
      seconds: round(seconds, 1),
      upload_s: round(uploadS, 1),
      rows_per_s: round(rows / seconds),
      rss_mb: round(peak.worker),
      rss_before_mb: round(before.worker),
      web_rss_mb: round(peak.web),
      web_rss_before_mb: round(before.web),
      created: done.created,
      invalid: done.invalid,
      status: done.status,
    };
  } finally {
    clearInterval(sampler);
  }
}

export async function importPart(ctx: PartContext): Promise<PartResult> {
  const errors: string[] = [];
  const rows = await withSession(
    { root: ctx.root, logFile: path.join(ctx.resultsDir, 'audiences-stack.log'), progress: ctx.progress, waitForWorker: true },
    async ({ stack, api }) => {
      const pids = stackProcesses(stack.pid!);
      const measured = [];
      for (const size of IMPORT_SIZES) measured.push(await measureImport(api, ctx.progress, size, pids, errors));
      return measured;
    },
    (message) => errors.push(message),
  );
  return {
    keys: { import: rows },
    errors,
    summary: rows
      .map(
        (r) =>
          `import ${r.rows} rows: ${r.seconds} s (upload ${r.upload_s} s, ${r.rows_per_s} rows/s), worker RSS ${r.rss_before_mb} → ${r.rss_mb} MB, web ${r.web_rss_before_mb} → ${r.web_rss_mb} MB`,
      )
      .join('\n'),
  };
}

/** An event Trigger straight to an Exit: what is measured is entering, not sending. */
const eventGraph: FlowGraph = {
  schemaVersion: 1,
  nodes: [
    { id: 'start', type: 'trigger', position: { x: 0, y: 0 }, data: { source: 'event', event: 'bench_signup', reentry: 'always' } },
    { id: 'end', type: 'exit', position: { x: 0, y: 140 }, data: {} },
  ],
  edges: [{ id: 'e1', source: 'start', target: 'end' }],
};

/** Runs `n` tasks, `clients` at a time; returns the seconds it took. */
async function concurrently(n: number, clients: number, task: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(clients, n) }, async () => {
      while (next < n) await task(next++);
    }),
  );
  return (performance.now() - t0) / 1000;
}

export async function eventsPart(ctx: PartContext): Promise<PartResult> {
  const errors: string[] = [];
  const row = await withSession(
    { root: ctx.root, logFile: path.join(ctx.resultsDir, 'audiences-stack.log'), progress: ctx.progress, waitForWorker: true },
    async ({ stack, api }) => {
      const { flowId, version } = await api.publishFlow('Bench: event entry', eventGraph);
      const { key } = await api.call<{ key: string }>('POST', '/api/api-keys', { name: 'bench' }, [201]);
      let started = 0;
      let refused = 0;
      ctx.progress.start(`${EVENTS} events, ${CLIENTS} clients`);
      const eventsS = await concurrently(EVENTS, CLIENTS, async (i) => {
        const res = await fetch(`${api.web}/api/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ event: 'bench_signup', email: `event-${i}@events.bench`, idempotencyKey: `bench-${i}`, attributes: { n: i } }),
          signal: AbortSignal.timeout(120_000),
        });
        const answer = (await res.json()) as { journeys?: { status: string }[] };
        if (res.status >= 300) refused++;
        started += answer.journeys?.filter((j) => j.status === 'started').length ?? 0;
        if (i % 100 === 0) ctx.progress.update(i / EVENTS, `${i} events`);
      });
      ctx.progress.done(`${round(eventsS, 1)} s`);
      if (refused > 0 || started !== EVENTS) errors.push(`events: ${started} journeys started for ${EVENTS} events (${refused} refused)`);

      // The same journeys, started straight on the same Temporal server: the ceiling for the API.
      const env = stack.env() as Record<string, string>;
      const config = readConfig(env);
      const temporal = new Client({
        connection: await Connection.connect(temporalConnectionOptions(config)),
        dataConverter: clientDataConverter(loadKeyring(config)),
      });
      const compiled = compile(eventGraph, { flowId, version });
      if (!compiled.ok) throw new Error(`the event flow does not compile: ${JSON.stringify(compiled.errors)}`);
      const journeyPlan = compiled.plan;
      ctx.progress.start(`${EVENTS} journeys straight on Temporal`);
      const directS = await concurrently(EVENTS, CLIENTS, async (i) => {
        await temporal.workflow.start<Workflows['journeyWorkflow']>('journeyWorkflow', {
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          workflowId: `bench-direct:${i}`,
          args: [{ plan: journeyPlan, runId: `bench_direct_${i}`, contactId: `bench-${i}` }],
        });
      });
      ctx.progress.done(`${round(directS, 1)} s`);
      await temporal.connection.close();
      return {
        events: EVENTS,
        clients: CLIENTS,
        seconds: round(eventsS, 1),
        per_s: round(EVENTS / eventsS),
        journeys_started: started,
        journey_starts_per_s: round(EVENTS / directS),
      };
    },
    (message) => errors.push(message),
  );
  return {
    keys: { events: [row] },
    errors,
    summary: `events: ${row.events} in ${row.seconds} s = ${row.per_s}/s (${row.journeys_started} journeys); journeys started straight on Temporal: ${row.journey_starts_per_s}/s`,
  };
}
