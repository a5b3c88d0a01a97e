/**
 * A stack of the bench's own: the real product on free ports and a fresh data folder (bench/stack.ts),
 * its two databases opened, the first admin signed in and the "send once" flow published. The parts
 * of the bench that need a stack with other settings (a faulty sandbox, say) each start their own.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SANDBOX_PROFILE_ID } from '../domain/senders';
import { readConfig } from '../server/config';
import { openDatabase, openSandboxDatabase } from '../server/db';
import { Api, sendOnceGraph } from './api';
import type { Dbs } from './measure';
import type { Progress } from './progress';
import { pickPorts, Stack } from './stack';

export interface Session {
  stack: Stack;
  dbs: Dbs;
  api: Api;
  flow: { flowId: string; version: number };
  dataDir: string;
}

export interface SessionOptions {
  root: string;
  /** Where the stack's output goes. */
  logFile: string;
  progress: Progress;
  /** More environment for the stack, e.g. { SANDBOX_FAULTS: 'throttle=50/s' }. */
  env?: Record<string, string>;
  /** Wait until the worker polls its task queue (so the first run does not time the worker's start). */
  waitForWorker?: boolean;
  /** Called with each line the stack prints while it starts. */
  onLine?: (line: string) => void;
}

/** Stacks running now: the bench's Ctrl-C handler stops them. */
export const liveStacks = new Set<Stack>();
/** PostgreSQL servers running now: stopped after the stacks on Ctrl-C. */
export const liveServers = new Set<{ stop: () => void }>();

/** The promise, or an error once `ms` have passed. */
export async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const ADMIN_EMAIL = process.env.DRIPLINE_ADMIN_EMAIL ?? 'admin@dripline.local';

/**
 * Starts a stack, runs `fn` with it, and stops it whatever happens (the data folder is removed unless
 * BENCH_KEEP_DATA is set). A stack that exits with an error code is reported through `onStopError`.
 */
export async function withSession<T>(
  options: SessionOptions,
  fn: (session: Session) => Promise<T>,
  onStopError?: (message: string) => void,
): Promise<T> {
  const { root, progress } = options;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dripline-bench-'));
  const stack = new Stack(root, await pickPorts(), dataDir, `bench-${randomBytes(12).toString('hex')}`, options.logFile, options.env ?? {});
  liveStacks.add(stack);
  let dbs: Dbs | undefined;
  try {
    const faults = options.env?.SANDBOX_FAULTS ? `, SANDBOX_FAULTS=${options.env.SANDBOX_FAULTS}` : '';
    progress.start(`starting the stack${faults}`);
    progress.log(
      `stack: web ${stack.webUrl}, Temporal 127.0.0.1:${stack.ports.temporal}, sandbox SMTP :${stack.ports.smtp}${faults}, data ${dataDir}, log ${stack.logFile}`,
    );
    // Listening from before the start: the worker may poll before the stack says it is ready.
    const polling = options.waitForWorker ? stack.waitForLine(/\[worker\].*polling task queue/, 12 * 60_000) : undefined;
    polling?.catch(() => undefined);
    await stack.start(10 * 60_000, (line) => {
      if (/building the web app|Temporal|polling task queue|listening on/.test(line)) progress.update(0, line.slice(0, 70));
      options.onLine?.(line);
    });
    if (polling) await within(polling, 3 * 60_000, 'the worker did not poll its task queue within 3 minutes of the stack being ready');
    progress.done();
    // The stack's file names, from the same config its processes read.
    // (With DATABASE_URL in the stack's environment, the app database is that PostgreSQL database.)
    const files = readConfig({ DRIPLINE_DATA_DIR: dataDir, ...(options.env?.DATABASE_URL ? { DATABASE_URL: options.env.DATABASE_URL } : {}) });
    dbs = { app: await openDatabase(files.database), sandbox: await openSandboxDatabase(files.sandboxDatabaseFile) };
    const api = await Api.signIn(stack.webUrl, ADMIN_EMAIL, stack.adminPassword);
    // The bench measures the engine, not the Sandbox profile's default pace and daily cap (migration 221).
    await api.setRateLimit(SANDBOX_PROFILE_ID, null);
    const flow = await api.publishFlow('Bench: send once', sendOnceGraph(SANDBOX_PROFILE_ID));
    return await fn({ stack, dbs, api, flow, dataDir });
  } finally {
    await dbs?.app.destroy().catch(() => undefined);
    await dbs?.sandbox.destroy().catch(() => undefined);
    progress.start('stopping the stack');
    const code = await stack.stop();
    liveStacks.delete(stack);
    progress.done(`exit ${code}`);
    if (code !== 0 && code !== null) onStopError?.(`the stack exited with ${code}; log: ${stack.logFile}`);
    if (process.env.BENCH_KEEP_DATA) progress.log(`data kept in ${dataDir}`);
    else fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** What each part of the bench gets. */
export interface PartContext {
  root: string;
  resultsDir: string;
  progress: Progress;
  /** What latest.json holds now (a part that runs only some of its cases keeps the others' figures). */
  previous: Record<string, unknown>;
}

/** What a part hands back: keys for latest.json, errors (a missed target is not an error), a summary table. */
export interface PartResult {
  keys: Record<string, unknown>;
  errors: string[];
  summary: string;
}

/** A list of positive numbers from the environment ("1,14,100" or "10_000"), or the fallback. */
export const numbers = (text: string | undefined, fallback: number[]) =>
  text
    ? text
        .split(',')
        .map((s) => Number(s.trim().replace(/_/g, '')))
        .filter((n) => Number.isFinite(n) && n > 0)
    : fallback;

/** The commit the bench runs (with "+changes" when the work tree differs from it). */
export function gitCommit(root: string): string | null {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: root, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${commit}+changes` : commit;
  } catch {
    return null;
  }
}

export function machineInfo() {
  return {
    cores: os.cpus().length,
    memory_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    cpu: os.cpus()[0]?.model ?? null,
  };
}

/** A port free on 127.0.0.1 now (for a server of the bench's own). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
