/**
 * The pages' queries at 1,000,000 rows, on SQLite and on PostgreSQL: the run page (server/runs/report.ts
 * runPage: counts, pace, a page of recipients and one of the delivery log), the contacts list
 * (searchContacts, newest first), the delivery log (runLogFor, as the run page's pager asks; and filtered
 * by outcome and an email's beginning), the run's report (runReport: its counts, sends per minute and each
 * step's figures, server/runs/over-time.ts),
 * through the product's own functions, on a database filled in bulk with 1,000,000 contacts and one
 * finished campaign to all of them (1,000,000 recipients, ledger rows and delivery rows).
 *   BENCH_QUERY_ROWS=1000000   contacts (and recipients, ledger and delivery rows)
 *   BENCH_QUERY_DBS=sqlite,postgres
 * Each figure is the median of 5 calls after one untimed call.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeliveryLogFilter, LogPage } from '../domain/delivery-log';
import { compile } from '../domain/flow/compile';
import { SANDBOX_PROFILE_ID } from '../domain/senders';
import { POSTGRES_SETTINGS, type PostgresServer, startPostgres } from '../scripts/postgres-server';
import { readConfig } from '../server/config';
import { type Db, type Dialect, openDatabase } from '../server/db';
import { insertInBulk, settleAfterBulk } from '../server/db/bulk';
import { parseContactSearch, searchContacts } from '../server/db/contacts';
import { insertFlowVersion, saveFlowDraft } from '../server/db/flows';
import { insertRun, setRunStatus } from '../server/db/runs';
import type { Actor } from '../server/profiles';
import { runLogFor } from '../server/runs/log';
import { runPage, runReport } from '../server/runs/report';
import { seed } from '../server/seed';
import { sendOnceGraph } from './api';
import type { Progress } from './progress';
import { liveServers, numbers, type PartContext, type PartResult } from './session';
import { table } from './sink';

const ROWS = numbers(process.env.BENCH_QUERY_ROWS, [1_000_000])[0] ?? 1_000_000;
const DBS = (process.env.BENCH_QUERY_DBS ?? 'sqlite,postgres').split(',').map((s) => s.trim()) as Dialect[];
const TARGET_MS = 200;
export const RUN_ID = 'run_bench_queries';
const ADMIN: Actor = { id: 'bench-admin', role: 'admin' };
const PAGE = 50;
const CHUNK = 100_000;

type QueryName = 'run_page' | 'contacts_list' | 'delivery_log' | 'delivery_log_filtered' | 'run_report';
interface Measured {
  query: QueryName;
  db: Dialect;
  rows: number;
  ms: number;
  runs_ms: number[];
  answered: number;
  /** The machine's 1-minute load average then (2 cores: above 2, other work was waiting for the CPU too). */
  load_avg_1m: number;
}

const pad = (i: number) => String(i).padStart(7, '0');

/** 1,000,000 contacts and a finished campaign to every one of them, in chunks of CHUNK rows a transaction. */
export async function fill(db: Db, rows: number, progress: Progress): Promise<void> {
  await saveFlowDraft(db, { id: 'bench-queries', name: 'Bench: queries', graph: sendOnceGraph(SANDBOX_PROFILE_ID) });
  const compiled = compile(sendOnceGraph(SANDBOX_PROFILE_ID), { flowId: 'bench-queries', version: 1 });
  if (!compiled.ok) throw new Error(`the bench's flow does not compile: ${JSON.stringify(compiled.errors)}`);
  const version = await insertFlowVersion(db, 'bench-queries', compiled.graph, (v) => ({ ...compiled.plan, version: v }));
  await insertRun(db, {
    id: RUN_ID,
    flowId: 'bench-queries',
    version,
    startedBy: null,
    idempotencyKey: null,
    audience: { kind: 'all' },
    workflowId: `campaign:${RUN_ID}`,
    plan: { ...compiled.plan, version },
  });
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const at = (i: number) => new Date(t0 + i * 10).toISOString();
  progress.start(`filling ${rows.toLocaleString('en-US')} rows × 4 tables`, rows * 4);
  let done = 0;
  for (const [table, make] of [
    ['contacts', (i: number) => ({ id: `ct_${pad(i)}`, email: `bench-${pad(i)}@bench.test`, name: `Bench ${i}`, createdAt: at(i) })],
    [
      'runRecipients',
      (i: number) => ({
        runId: RUN_ID,
        contactId: `ct_${pad(i)}`,
        nodeId: null,
        status: 'completed',
        dueAt: t0 + i * 10,
        workflowId: `campaign:${RUN_ID}`,
        claim: null,
        updatedAt: at(i),
      }),
    ],
    [
      'sends',
      (i: number) => ({
        runId: RUN_ID,
        nodeId: 'send',
        contactId: `ct_${pad(i)}`,
        status: 'SENT',
        messageId: `<${pad(i)}@bench.test>`,
        updatedAt: at(i),
      }),
    ],
    [
      'deliveryAttempts',
      (i: number) => ({
        runId: RUN_ID,
        nodeId: 'send',
        contactId: `ct_${pad(i)}`,
        workflowId: `campaign:${RUN_ID}`,
        attempt: 1,
        outcome: 'sent',
        smtpCode: 250,
        smtpReply: '250 2.0.0 OK: queued',
        messageId: `<${pad(i)}@bench.test>`,
        at: at(i),
      }),
    ],
  ] as const) {
    for (let from = 0; from < rows; from += CHUNK) {
      const n = Math.min(CHUNK, rows - from);
      // Each table's rows are made by its own function above (the tuple's union is too wide for the generic).
      await insertInBulk(db, table, Array.from({ length: n }, (_, k) => make(from + k)) as never);
      done += n;
      progress.update(done, table);
    }
  }
  await setRunStatus(db, RUN_ID, 'completed');
  progress.start('settling (VACUUM ANALYZE on PostgreSQL)');
  await settleAfterBulk(db);
  progress.done();
}

/** The median of 5 timed calls after an untimed one, and how many rows the last call answered. */
async function time(call: () => Promise<number>): Promise<{ ms: number; runs_ms: number[]; answered: number }> {
  let answered = await call();
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    answered = await call();
    runs.push(Math.round((performance.now() - t) * 10) / 10);
  }
  return { ms: [...runs].sort((a, b) => a - b)[2]!, runs_ms: runs, answered };
}

async function measureOn(dialect: Dialect, ctx: PartContext): Promise<Measured[]> {
  const { progress } = ctx;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dripline-bench-queries-'));
  let server: PostgresServer | undefined;
  let db: Db | undefined;
  try {
    if (dialect === 'postgres') {
      progress.start('starting PostgreSQL');
      // PostgreSQL's defaults (shared_buffers 128 MB) but for the one setting the README advises.
      server = await startPostgres(POSTGRES_SETTINGS);
      liveServers.add(server);
      progress.done(server.url);
    }
    const config = readConfig({ DRIPLINE_DATA_DIR: dir, ...(server ? { DATABASE_URL: `${server.url}/postgres` } : {}) });
    db = await openDatabase(config.database);
    await seed(db, config);
    await fill(db, ROWS, progress);
    const d = db;
    const measured: Measured[] = [];
    const logPage = LogPage.parse({ limit: PAGE });
    const queries: [QueryName, () => Promise<number>][] = [
      [
        'run_page',
        async () => {
          const page = await runPage(d, ADMIN, RUN_ID, { recipientsAt: 0, limit: PAGE, log: { filter: DeliveryLogFilter.parse({}), page: logPage } });
          if (page.report.counts.completed !== ROWS) throw new Error(`run page: ${page.report.counts.completed} completed, expected ${ROWS}`);
          return page.recipients.items.length + page.attempts.items.length;
        },
      ],
      [
        'contacts_list',
        async () => {
          const { contacts, total } = await searchContacts(d, parseContactSearch(''), { offset: 0, limit: PAGE });
          if (total < ROWS) throw new Error(`contacts list: total ${total}, expected at least ${ROWS}`);
          return contacts.length;
        },
      ],
      [
        'delivery_log',
        async () => {
          const { items } = await runLogFor(d, ADMIN, RUN_ID, DeliveryLogFilter.parse({}), logPage);
          if (items.length !== PAGE) throw new Error(`delivery log: ${items.length} rows, expected ${PAGE}`);
          return items.length;
        },
      ],
      [
        // The log filtered as a marketer looks for someone: sent attempts to addresses beginning with "bench-05" (a tenth of them).
        'delivery_log_filtered',
        async () => {
          const { items } = await runLogFor(d, ADMIN, RUN_ID, DeliveryLogFilter.parse({ outcome: 'sent', email: 'bench-05' }), logPage);
          if (items.length !== PAGE || !items.every((a) => a.email.startsWith('bench-05'))) throw new Error('delivery log filtered: wrong rows');
          return items.length;
        },
      ],
      [
        'run_report',
        async () => {
          const report = await runReport(d, ADMIN, RUN_ID);
          if (report.counts.completed !== ROWS) throw new Error(`run report: ${report.counts.completed} completed, expected ${ROWS}`);
          const delivered = report.figures.overTime.points.at(-1)?.delivered;
          if (delivered !== ROWS) throw new Error(`run report: ${delivered} accepted over time, expected ${ROWS}`);
          if (report.figures.steps?.steps.send?.movedOn !== ROWS) throw new Error('run report: the Send step did not count every message');
          return report.figures.overTime.points.length;
        },
      ],
    ];
    for (const [query, call] of queries) {
      progress.start(`${query} on ${dialect}`);
      const t = await time(call);
      progress.done(`${t.ms} ms`);
      measured.push({ query, db: dialect, rows: ROWS, ...t, load_avg_1m: Math.round(os.loadavg()[0]! * 100) / 100 });
    }
    return measured;
  } finally {
    await db?.destroy().catch(() => undefined);
    server?.stop();
    if (server) liveServers.delete(server);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function queriesPart(ctx: PartContext): Promise<PartResult> {
  const rows: Measured[] = [];
  const errors: string[] = [];
  for (const dialect of DBS) {
    try {
      rows.push(...(await measureOn(dialect, ctx)));
    } catch (err) {
      errors.push(`${dialect}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const summary = table(
    ['query', 'db', 'rows', 'ms', 'runs ms', 'load', 'target'],
    rows.map((r) => [
      r.query,
      r.db,
      r.rows.toLocaleString('en-US'),
      String(r.ms),
      r.runs_ms.join(' '),
      String(r.load_avg_1m),
      r.ms < TARGET_MS ? `< ${TARGET_MS}` : `OVER ${TARGET_MS}`,
    ]),
  );
  return { keys: { queries: rows }, errors, summary };
}
