/**
 * `npm run bench`: starts the real product (scripts/start.ts) on its own ports and a fresh data
 * folder, measures raw nodemailer → sandbox SMTP, then campaigns of 10k and 100k recipients started
 * through the API, and writes bench/results/latest.json (keeping keys other benches wrote there).
 *   BENCH_SIZES=10000,100000   audience sizes, ascending
 *   BENCH_RAW_N=10000          messages of the raw baseline, measured before and after each campaign; the
 *                              faster of the two counts (other work on the machine only ever slows it down)
 *   BENCH_WARMUP=0             skip the untimed warm-up (2,000 raw messages and a 1,000-recipient campaign)
 *   BENCH_KEEP_DATA=1          keep the data folder (the SQLite databases) for a look afterwards
 *   BENCH_STACK_NODE_OPTIONS   NODE_OPTIONS for the stack only (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SANDBOX_PROFILE_ID } from '../domain/senders';
import { readConfig } from '../server/config';
import { openDatabase, openSandboxDatabase } from '../server/db';
import { Api, sendOnceGraph } from './api';
import { ensureContacts, measureCampaign, measureRaw, warmUp, type CampaignResult, type Dbs, type RawResult } from './measure';
import { Progress } from './progress';
import { pickPorts, Stack } from './stack';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = path.join(root, 'bench', 'results');
const resultsFile = path.join(resultsDir, 'latest.json');
const numbers = (text: string | undefined, fallback: number[]) =>
  text
    ? text
        .split(',')
        .map((s) => Number(s.trim().replace(/_/g, '')))
        .filter((n) => Number.isInteger(n) && n > 0)
    : fallback;
const SIZES = numbers(process.env.BENCH_SIZES, [10_000, 100_000]).sort((a, b) => a - b);
const RAW_N = numbers(process.env.BENCH_RAW_N, [10_000])[0] ?? 10_000;
const WARMUP = process.env.BENCH_WARMUP !== '0' ? { raw: 2_000, recipients: Math.min(1_000, SIZES[0] ?? 1_000) } : null;
const ADMIN_EMAIL = process.env.DRIPLINE_ADMIN_EMAIL ?? 'admin@dripline.local';

const progress = new Progress();
const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;

interface Row {
  /** The faster of the raw baselines around the campaign. */
  raw: RawResult;
  raws: RawResult[];
  campaign: CampaignResult;
}

function bestRaw(raws: RawResult[]): RawResult {
  const best = [...raws].sort((a, b) => b.raw_per_s - a.raw_per_s)[0]!;
  const error =
    raws
      .map((r) => r.error)
      .filter(Boolean)
      .join('; ') || null;
  return { ...best, error };
}

function gitCommit(): string | null {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: root, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit}+changes` : commit;
  } catch {
    return null;
  }
}

function results(rows: Row[], errors: string[], startedAt: Date) {
  const existing: Record<string, unknown> = fs.existsSync(resultsFile)
    ? (JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as Record<string, unknown>)
    : {};
  return {
    ...existing,
    machine: { cores: os.cpus().length, memory_gb: round(os.totalmem() / 2 ** 30, 1), node: process.version, cpu: os.cpus()[0]?.model ?? null },
    measured_at: startedAt.toISOString(),
    commit: gitCommit(),
    raw_messages: RAW_N,
    warmup: WARMUP,
    throughput: rows.map(({ raw, raws, campaign: c }) => ({
      recipients: c.recipients,
      raw_per_s: round(raw.raw_per_s),
      raw_runs_per_s: raws.map((r) => round(r.raw_per_s)),
      e2e_per_s: round(c.e2e_per_s),
      ratio: raw.raw_per_s > 0 ? round(c.e2e_per_s / raw.raw_per_s, 3) : 0,
      start_request_ms: round(c.start_request_ms),
      failed: c.failed,
      duplicates: c.duplicates,
      stored: c.stored,
      run_id: c.runId,
      status: c.status,
      first_stored_s: c.first_stored_s === null ? null : round(c.first_stored_s, 2),
      last_stored_s: c.last_stored_s === null ? null : round(c.last_stored_s, 2),
      steady_per_s: c.steady_per_s === null ? null : round(c.steady_per_s),
      deciles_s: c.deciles_s.map((d) => (d === null ? null : round(d, 1))),
      cpu_s: c.cpu_s,
      wall_s: round(c.wall_s, 1),
      write_mb: c.write_mb,
      raw_cpu_s: raw.cpu_s,
      raw_wall_s: round(raw.wall_s, 1),
      load_avg_1m: c.load_avg_1m.map((l) => round(l, 2)),
      // Cores' worth of CPU that processes outside the stack and the bench used meanwhile: above ~0.2 the figure is disturbed.
      others_cores: c.wall_s > 0 ? round(c.cpu_s.others / c.wall_s, 2) : null,
      raw_others_cores: raw.wall_s > 0 ? round(raw.cpu_s.others / raw.wall_s, 2) : null,
      error: [raw.error, c.error].filter(Boolean).join('; ') || null,
    })),
    memory: rows.map(({ campaign: c }) => ({
      recipients: c.recipients,
      worker_rss_mb: round(c.worker_rss_mb),
      web_rss_mb: round(c.web_rss_mb),
      worker_rss_idle_mb: round(c.worker_rss_idle_mb),
      web_rss_idle_mb: round(c.web_rss_idle_mb),
    })),
    errors,
  };
}

function summary(rows: Row[], errors: string[]): string {
  const head = ['recipients', 'raw/s', 'e2e/s', 'ratio', 'start ms', 'first s', 'steady/s', 'failed', 'dups', 'worker MB', 'web MB'];
  const body = rows.map(({ raw, campaign: c }) => [
    c.recipients.toLocaleString('en-US'),
    String(Math.round(raw.raw_per_s)),
    String(Math.round(c.e2e_per_s)),
    raw.raw_per_s > 0 ? (c.e2e_per_s / raw.raw_per_s).toFixed(3) : '-',
    String(Math.round(c.start_request_ms)),
    c.first_stored_s === null ? '-' : c.first_stored_s.toFixed(1),
    c.steady_per_s === null ? '-' : String(Math.round(c.steady_per_s)),
    String(c.failed),
    String(c.duplicates),
    String(Math.round(c.worker_rss_mb)),
    String(Math.round(c.web_rss_mb)),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padStart(widths[i]!)).join('  ');
  const out = [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)];
  for (const { campaign: c, raw } of rows) {
    for (const e of [raw.error, c.error]) if (e) out.push(`ERROR at ${c.recipients.toLocaleString('en-US')}: ${e}`);
  }
  for (const { campaign: c, raw } of rows) {
    const others = Math.max(c.wall_s > 0 ? c.cpu_s.others / c.wall_s : 0, raw.wall_s > 0 ? raw.cpu_s.others / raw.wall_s : 0);
    if (others > 0.2)
      out.push(
        `NOTE at ${c.recipients.toLocaleString('en-US')}: other processes on this machine used ${others.toFixed(2)} cores meanwhile; the figures are disturbed`,
      );
  }
  for (const e of errors) out.push(`ERROR: ${e}`);
  return out.join('\n');
}

async function main(): Promise<number> {
  const startedAt = new Date();
  fs.mkdirSync(resultsDir, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dripline-bench-'));
  const stack = new Stack(root, await pickPorts(), dataDir, `bench-${randomBytes(12).toString('hex')}`, path.join(resultsDir, 'stack.log'));
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      progress.log(`\n${signal}: stopping the stack...`);
      void stack.stop().finally(() => process.exit(130));
    });
  }

  const rows: Row[] = [];
  const errors: string[] = [];
  let dbs: Dbs | undefined;
  try {
    progress.start('starting the stack');
    progress.log(
      `stack: web ${stack.webUrl}, Temporal 127.0.0.1:${stack.ports.temporal}, sandbox SMTP :${stack.ports.smtp}, data ${dataDir}, log ${stack.logFile}`,
    );
    await stack.start(10 * 60_000, (line) => {
      if (/building the web app|Temporal|polling task queue|listening on/.test(line)) progress.update(0, line.slice(0, 70));
    });
    progress.done();
    // The stack's file names, from the same config its processes read.
    const files = readConfig({ DRIPLINE_DATA_DIR: dataDir });
    dbs = { app: await openDatabase(files.databaseFile), sandbox: await openSandboxDatabase(files.sandboxDatabaseFile) };
    const api = await Api.signIn(stack.webUrl, ADMIN_EMAIL, stack.adminPassword);
    const flow = await api.publishFlow('Bench: send once', sendOnceGraph(SANDBOX_PROFILE_ID));
    if (WARMUP && SIZES[0]) {
      await ensureContacts(dbs.app, SIZES[0], progress);
      await warmUp(dbs, stack, api, flow, progress, WARMUP.raw, WARMUP.recipients);
    }
    for (const size of SIZES) {
      await ensureContacts(dbs.app, size, progress);
      const raws = [await measureRaw(dbs.sandbox, stack, RAW_N, progress, 5 * 60_000, 'raw nodemailer (before)')];
      const campaign = await measureCampaign(dbs, stack, api, flow, size, progress);
      if (campaign.status === 'completed' && stack.running)
        raws.push(await measureRaw(dbs.sandbox, stack, RAW_N, progress, 5 * 60_000, 'raw nodemailer (after)'));
      rows.push({ raw: bestRaw(raws), raws, campaign });
      // A stuck or broken run makes the larger ones meaningless: stop here.
      if (campaign.status !== 'completed' || !stack.running) {
        errors.push(`stopped after ${size.toLocaleString('en-US')} recipients: the run did not complete`);
        break;
      }
    }
  } catch (err) {
    errors.push(err instanceof Error ? err.message : String(err));
  } finally {
    await dbs?.app.destroy().catch(() => undefined);
    await dbs?.sandbox.destroy().catch(() => undefined);
    progress.start('stopping the stack');
    const code = await stack.stop();
    progress.done(`exit ${code}`);
    if (code !== 0 && code !== null && !interrupted) errors.push(`the stack exited with ${code}; log: ${stack.logFile}`);
    if (process.env.BENCH_KEEP_DATA) progress.log(`data kept in ${dataDir}`);
    else fs.rmSync(dataDir, { recursive: true, force: true });
  }
  if (interrupted) return 130;

  fs.writeFileSync(resultsFile, `${JSON.stringify(results(rows, errors, startedAt), null, 2)}\n`);
  console.log(`\n${summary(rows, errors)}\n\nwritten: ${path.relative(process.cwd(), resultsFile)}`);
  const anyError = errors.length > 0 || rows.some(({ raw, campaign }) => raw.error || campaign.error);
  return anyError ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
