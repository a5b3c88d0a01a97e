/**
 * Throughput on PostgreSQL: the same campaigns as the throughput part (10k and 100k recipients, each
 * beside a raw baseline measured in the same stack), with the app database on a throwaway PostgreSQL
 * server of the bench's own (scripts/postgres-server.ts, PostgreSQL's durable defaults: fsync and
 * synchronous commit on, as production runs), first with the stack's one worker, then with two more
 * worker processes beside it (three in all, same database, same Temporal, same task queue).
 *   BENCH_PG_SIZES=10000,100000   audience sizes, ascending
 *   BENCH_PG_WORKERS=1,3          worker counts measured at each size
 *   BENCH_RAW_N, BENCH_WARMUP     as the throughput part
 *   BENCH_PG_STATEMENTS=1         also writes, per campaign, the statements that took PostgreSQL's time
 *                                 (pg_stat_statements) to bench/results/postgres-statements-<size>-<workers>.txt
 * The server's log (statements slower than 200 ms, with their plans) is copied to bench/results/postgres.log.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../server/db';
import { resetStatementStats, statementStats } from '../server/db/statement-stats';
import { POSTGRES_SETTINGS, startPostgres } from '../scripts/postgres-server';
import { ensureContacts, measureCampaign, measureRaw, warmUp, type CampaignResult, type RawResult } from './measure';
import { freePort, liveServers, numbers, type PartContext, type PartResult, withSession } from './session';
import { table } from './sink';
import { bestRaw } from './throughput';
import { ExtraWorker } from './workers';

const SIZES = numbers(process.env.BENCH_PG_SIZES, [10_000, 100_000]).sort((a, b) => a - b);
const WORKERS = numbers(process.env.BENCH_PG_WORKERS, [1, 3]).sort((a, b) => a - b);
const RAW_N = numbers(process.env.BENCH_RAW_N, [10_000])[0] ?? 10_000;
const WARMUP = process.env.BENCH_WARMUP !== '0';
const STATEMENTS = process.env.BENCH_PG_STATEMENTS === '1';

/**
 * The server's settings: PostgreSQL's defaults (durable commits) except room for every process's pool
 * (web, three workers, the bench: 10 connections each), a log of slow statements and their plans, and the planner's
 * cost of a random read set for SSD storage as the README advises (POSTGRES_SETTINGS).
 */
const SETTINGS = {
  ...POSTGRES_SETTINGS,
  max_connections: 100,
  log_min_duration_statement: 200,
  // With their plans: what to fix when the figures fall short.
  session_preload_libraries: 'auto_explain',
  'auto_explain.log_min_duration': 200,
  ...(STATEMENTS ? { shared_preload_libraries: 'pg_stat_statements' } : {}),
};

/**
 * The statements of one campaign by the time PostgreSQL spent in them, with calls and rows per recipient;
 * a statement's variants by the length of its `in (…)` list count as one.
 */
async function statements(db: Db, recipients: number): Promise<string> {
  const byQuery = new Map<string, { ms: number; calls: number; rows: number }>();
  for (const r of await statementStats(db)) {
    const query = r.query
      .replace(/\s+/g, ' ')
      .replace(/\(\$\d+(, \$\d+)*\)/g, '(…)')
      .replace(/, \(…\)/g, '');
    const sum = byQuery.get(query) ?? { ms: 0, calls: 0, rows: 0 };
    sum.ms += r.totalMs;
    sum.calls += r.calls;
    sum.rows += r.rows;
    byQuery.set(query, sum);
  }
  const perRecipient = (n: number) => (n / recipients).toFixed(3);
  return [...byQuery]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, 25)
    .map(
      ([query, s]) =>
        `${s.ms.toFixed(0).padStart(7)} ms  ${perRecipient(s.calls)} calls/recipient  ${perRecipient(s.rows)} rows/recipient\n  ${query.slice(0, 300)}`,
    )
    .join('\n');
}

interface Row {
  workers: number;
  raw: RawResult;
  raws: RawResult[];
  campaign: CampaignResult;
}

const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;

function keys(rows: Row[]) {
  const one = (size: number) => rows.find((r) => r.workers === 1 && r.campaign.recipients === size);
  return rows.map(({ workers, raw, raws, campaign: c }) => ({
    recipients: c.recipients,
    workers,
    e2e_per_s: round(c.e2e_per_s),
    raw_per_s: round(raw.raw_per_s),
    raw_runs_per_s: raws.map((r) => round(r.raw_per_s)),
    ratio: raw.raw_per_s > 0 ? round(c.e2e_per_s / raw.raw_per_s, 3) : 0,
    // Against one worker at the same size, in the same run.
    vs_one_worker: workers > 1 && one(c.recipients) ? round(c.e2e_per_s / one(c.recipients)!.campaign.e2e_per_s, 3) : null,
    failed: c.failed,
    duplicates: c.duplicates,
    stored: c.stored,
    status: c.status,
    first_stored_s: c.first_stored_s === null ? null : round(c.first_stored_s, 2),
    steady_per_s: c.steady_per_s === null ? null : round(c.steady_per_s),
    // The stack's worker, web, sandbox and Temporal; `others` holds PostgreSQL and the extra workers here.
    cpu_s: c.cpu_s,
    wall_s: round(c.wall_s, 1),
    worker_rss_mb: round(c.worker_rss_mb),
    error: [raw.error, c.error].filter(Boolean).join('; ') || null,
  }));
}

function summary(rows: Row[]): string {
  const out = table(
    ['recipients', 'workers', 'raw/s', 'e2e/s', 'ratio', 'vs 1 worker', 'first s', 'failed', 'dups'],
    keys(rows).map((r) => [
      r.recipients.toLocaleString('en-US'),
      String(r.workers),
      String(r.raw_per_s),
      String(r.e2e_per_s),
      r.ratio.toFixed(3),
      r.vs_one_worker === null ? '-' : r.vs_one_worker.toFixed(3),
      r.first_stored_s === null ? '-' : r.first_stored_s.toFixed(1),
      String(r.failed),
      String(r.duplicates),
    ]),
  );
  const errors = keys(rows).flatMap((r) => (r.error ? [`ERROR at ${r.recipients} with ${r.workers} workers: ${r.error}`] : []));
  return [out, ...errors].join('\n');
}

export async function postgresPart(ctx: PartContext): Promise<PartResult> {
  const { progress } = ctx;
  const rows: Row[] = [];
  const errors: string[] = [];
  let server: Awaited<ReturnType<typeof startPostgres>> | undefined;
  try {
    progress.start('starting PostgreSQL');
    server = await startPostgres(SETTINGS);
    liveServers.add(server);
    progress.done(server.url);
    const env = { DATABASE_URL: `${server.url}/postgres` };
    await withSession(
      { root: ctx.root, logFile: path.join(ctx.resultsDir, 'stack-postgres.log'), progress, env, waitForWorker: true },
      async ({ stack, dbs, api, flow }) => {
        if (WARMUP && SIZES[0]) {
          await ensureContacts(dbs.app, SIZES[0], progress);
          await warmUp(dbs, stack, api, flow, progress, 2_000, Math.min(1_000, SIZES[0]));
        }
        let extras: ExtraWorker[] = [];
        const workersNow = async (n: number) => {
          if (extras.length + 1 === n) return;
          progress.start(`stopping ${extras.length} extra workers`);
          await Promise.all(extras.map((w) => w.stop()));
          extras = [];
          progress.start(`starting ${n - 1} extra workers`);
          for (let i = 2; i <= n; i++) {
            // Each worker's operations endpoints on ports of its own (the stack's worker has the defaults).
            const ports = { DRIPLINE_WORKER_HTTP_PORT: String(await freePort()), DRIPLINE_WORKER_SDK_METRICS_PORT: String(await freePort()) };
            extras.push(new ExtraWorker(stack, path.join(ctx.resultsDir, `worker-postgres-${i}.log`), ports));
          }
          for (const w of extras) w.start();
          await Promise.all(extras.map((w) => w.ready(3 * 60_000)));
          progress.done();
        };
        try {
          for (const size of SIZES) {
            await ensureContacts(dbs.app, size, progress);
            // One worker, then more: the extra workers start once per size and stop before the next one's single worker.
            for (const workers of WORKERS) {
              await workersNow(workers);
              const label = `${workers} worker${workers > 1 ? 's' : ''}`;
              const raws = [await measureRaw(dbs.sandbox, stack, RAW_N, progress, 5 * 60_000, `raw (before, ${label})`)];
              progress.log(`campaign of ${size.toLocaleString('en-US')} on PostgreSQL with ${label}`);
              if (STATEMENTS) await resetStatementStats(dbs.app);
              const campaign = await measureCampaign(dbs, stack, api, flow, size, progress);
              if (STATEMENTS)
                fs.writeFileSync(path.join(ctx.resultsDir, `postgres-statements-${size}-${workers}.txt`), await statements(dbs.app, size));
              if (campaign.status === 'completed' && stack.running)
                raws.push(await measureRaw(dbs.sandbox, stack, RAW_N, progress, 5 * 60_000, `raw (after, ${label})`));
              rows.push({ workers, raw: bestRaw(raws), raws, campaign });
              if (campaign.status !== 'completed' || !stack.running) {
                errors.push(`stopped after ${size.toLocaleString('en-US')} recipients with ${label}: the run did not complete`);
                return;
              }
            }
            await workersNow(1);
          }
        } finally {
          await Promise.all(extras.map((w) => w.stop()));
        }
      },
      (e) => errors.push(e),
    );
  } catch (err) {
    errors.push(err instanceof Error ? err.message : String(err));
  } finally {
    if (server) {
      try {
        fs.copyFileSync(server.logFile, path.join(ctx.resultsDir, 'postgres.log'));
      } catch {
        /* no log yet */
      }
      server.stop();
      liveServers.delete(server);
    }
  }
  return { keys: { postgres: keys(rows) }, errors, summary: summary(rows) };
}
