/**
 * The bench's two measurements against a running stack: raw nodemailer → sandbox SMTP, and a real
 * campaign started through the API, both timed until the sandbox has stored the last message.
 */
import os from 'node:os';
import nodemailer from 'nodemailer';
import type { Db, SandboxDb } from '../server/db';
import { countContacts, insertContacts, listContacts } from '../server/db/contacts';
import { runMessageIds } from '../server/db/deliveries';
import { countSandboxMessages, sandboxMessagesWithIds } from '../server/db/sandbox';
import { parseAllowedTarget } from '../server/smtp/allow-list';
import { transportOptions } from '../server/smtp/transport';
import type { Api, RunView } from './api';
import type { Progress } from './progress';
import { cpuBetween, cpuSnapshot, descendants, maxRssMb, stackProcesses, writeBytes, type Role, type Stack } from './stack';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const POLL_MS = 200;
/** As the sandbox profile (server/seed.ts): sendBatch runs maxConnections * 2 sends at once. */
const MAX_CONNECTIONS = 5;

/** The stack's two databases: the app's (contacts, runs, the send ledger) and the sandbox's mailbox. */
export interface Dbs {
  app: Db;
  sandbox: SandboxDb;
}

/** Counts what the sandbox stores from now on, by polling only the rows added since the last look. */
class MailboxCounter {
  total = 0;
  lastReceivedAt: string | null = null;
  private constructor(
    private readonly db: SandboxDb,
    private lastId: number,
  ) {}

  static async start(db: SandboxDb): Promise<MailboxCounter> {
    return new MailboxCounter(db, (await countSandboxMessages(db)).lastId);
  }

  async poll(): Promise<number> {
    const c = await countSandboxMessages(this.db, this.lastId);
    if (c.count > 0) {
      this.total += c.count;
      this.lastId = c.lastId;
      this.lastReceivedAt = c.lastReceivedAt;
    }
    return this.total;
  }
}

/** Brings the contacts table to exactly `size` rows (never fewer than it has: sizes go up). */
export async function ensureContacts(db: Db, size: number, progress: Progress): Promise<void> {
  const have = await countContacts(db);
  if (have > size) throw new Error(`the database already has ${have} contacts, more than ${size}; run the sizes in ascending order`);
  progress.start(`contacts → ${size.toLocaleString('en-US')}`, size - have);
  const CHUNK = 5_000;
  for (let i = have; i < size; i += CHUNK) {
    const n = Math.min(CHUNK, size - i);
    await insertContacts(
      db,
      Array.from({ length: n }, (_, k) => ({ email: `bench-${String(i + k).padStart(7, '0')}@bench.test`, name: `Bench ${i + k}` })),
    );
    progress.update(i + n - have);
  }
  const now = await countContacts(db);
  if (now !== size) throw new Error(`expected ${size} contacts, the database has ${now}`);
  progress.done();
}

export interface RawResult {
  messages: number;
  raw_per_s: number;
  /** CPU seconds from the first send until the last message was stored (others: outside the stack and the bench). */
  cpu_s: Record<Role | 'bench' | 'others', number>;
  wall_s: number;
  failed: number;
  error: string | null;
}

/** N plain messages through a pooled transport with the product's options, maxConnections*2 in flight. */
export async function measureRaw(
  mailbox: SandboxDb,
  stack: Stack,
  n: number,
  progress: Progress,
  timeoutMs: number,
  phase = 'raw nodemailer',
): Promise<RawResult> {
  const transport = nodemailer.createTransport(
    transportOptions(
      {
        host: '127.0.0.1',
        port: stack.ports.smtp,
        secure: false,
        requireTls: false,
        // As the Sandbox profile: the sandbox asks for its login (it offers no TLS).
        allowPlainAuth: true,
        username: stack.sandboxLogin.user,
        maxConnections: MAX_CONNECTIONS,
      },
      stack.sandboxLogin.password,
      { allowed: [parseAllowedTarget(`127.0.0.1:${stack.ports.smtp}`)] },
    ),
  );
  const tag = Date.now().toString(36);
  const counter = await MailboxCounter.start(mailbox);
  const pids = stackProcesses(stack.pid!);
  const all = descendants(stack.pid!).map((p) => p.pid);
  const cpu0 = cpuSnapshot(pids, all);
  progress.start(phase, n);
  let next = 0;
  let failed = 0;
  let firstError: string | null = null;
  let settled = false;
  const t0 = Date.now();
  const lane = async () => {
    while (next < n) {
      const i = next++;
      try {
        await transport.sendMail({
          from: { name: 'Dripline Sandbox', address: 'hello@dripline.test' },
          to: { name: `Raw ${i}`, address: `raw-${i}@bench.test` },
          replyTo: 'support@dripline.test',
          subject: `Raw bench for Raw ${i}`,
          text: `Hello Raw ${i},\n\nthis is a benchmark message.\n`,
          messageId: `<raw-${tag}-${i}@dripline.test>`,
        });
      } catch (err) {
        failed++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  const sending = Promise.all(Array.from({ length: MAX_CONNECTIONS * 2 }, lane)).finally(() => (settled = true));
  let error: string | null = null;
  let stableSince: number | null = null;
  try {
    for (;;) {
      const before = counter.total;
      const total = await counter.poll();
      progress.update(total);
      if (total >= n) break;
      if (!stack.running) throw new Error('the stack exited during the raw baseline');
      if (Date.now() - t0 > timeoutMs) throw new Error(`raw baseline: only ${total} of ${n} stored after ${timeoutMs / 1000} s`);
      // Every send settled and nothing new arrives: some were refused, do not wait for them.
      if (settled && total === before) {
        stableSince ??= Date.now();
        if (Date.now() - stableSince > 3000) throw new Error(`raw baseline: ${total} of ${n} stored; ${failed} sends failed (${firstError})`);
      } else stableSince = null;
      await sleep(POLL_MS);
    }
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  const cpu = cpuBetween(cpu0, cpuSnapshot(pids, all));
  const wall = (Date.now() - t0) / 1000;
  await Promise.race([sending, sleep(10_000)]);
  transport.close();
  const lastAt = counter.lastReceivedAt ? Date.parse(counter.lastReceivedAt) : Date.now();
  const rate = counter.total / ((lastAt - t0) / 1000);
  progress.done(`${Math.round(rate)}/s`);
  if (!error && failed > 0) error = `raw baseline: ${failed} sends failed (${firstError})`;
  return { messages: n, raw_per_s: rate, cpu_s: cpu, wall_s: wall, failed, error };
}

export interface CampaignResult {
  runId: string | null;
  recipients: number;
  e2e_per_s: number;
  start_request_ms: number;
  failed: number;
  duplicates: number;
  stored: number;
  /** From the start request to the first message stored / to the last one. */
  first_stored_s: number | null;
  last_stored_s: number | null;
  /** Between the first and the last message stored. */
  steady_per_s: number | null;
  /** Seconds from the start request until 10%, 20%, ... 100% of the messages were stored. */
  deciles_s: (number | null)[];
  /** CPU seconds each process used from the start request until the run completed, and that wall time. */
  cpu_s: Record<Role | 'bench' | 'others', number>;
  wall_s: number;
  /** MB written to storage over the same time (SQLite pages: the WAL and checkpoints). */
  write_mb: { worker: number; sandbox: number };
  worker_rss_mb: number;
  web_rss_mb: number;
  worker_rss_idle_mb: number;
  web_rss_idle_mb: number;
  /** The machine's 1-minute load average when the run started and when it ended (other work on it shows here). */
  load_avg_1m: [number, number];
  status: string | null;
  error: string | null;
}

/** The run's deadline: a stuck run ends the bench with an error (10k: 200 s, 100k: about 15 min). */
export const campaignTimeoutMs = (size: number) => 120_000 + size * 8;

export async function measureCampaign(
  dbs: Dbs,
  stack: Stack,
  api: Api,
  flow: { flowId: string; version: number },
  size: number,
  progress: Progress,
): Promise<CampaignResult> {
  const pids = stackProcesses(stack.pid!);
  for (const role of ['worker', 'web'] as const) {
    if (pids[role].length === 0) throw new Error(`found no ${role} process below the stack (pid ${stack.pid})`);
  }
  const all = descendants(stack.pid!).map((p) => p.pid);
  const cpuOf = () => cpuSnapshot(pids, all);
  const result: CampaignResult = {
    runId: null,
    recipients: size,
    e2e_per_s: 0,
    start_request_ms: 0,
    failed: 0,
    duplicates: 0,
    stored: 0,
    first_stored_s: null,
    last_stored_s: null,
    steady_per_s: null,
    deciles_s: [],
    cpu_s: { worker: 0, web: 0, sandbox: 0, temporal: 0, bench: 0, others: 0 },
    wall_s: 0,
    write_mb: { worker: 0, sandbox: 0 },
    worker_rss_mb: 0,
    web_rss_mb: 0,
    worker_rss_idle_mb: maxRssMb(pids.worker),
    web_rss_idle_mb: maxRssMb(pids.web),
    load_avg_1m: [os.loadavg()[0]!, 0],
    status: null,
    error: null,
  };
  result.worker_rss_mb = result.worker_rss_idle_mb;
  result.web_rss_mb = result.web_rss_idle_mb;
  const sampler = setInterval(() => {
    result.worker_rss_mb = Math.max(result.worker_rss_mb, maxRssMb(pids.worker));
    result.web_rss_mb = Math.max(result.web_rss_mb, maxRssMb(pids.web));
  }, 500);

  const counter = await MailboxCounter.start(dbs.sandbox);
  const deadline = Date.now() + campaignTimeoutMs(size);
  const deciles: (number | null)[] = Array.from({ length: 10 }, () => null);
  let view: RunView | undefined;
  let finishedAt: number | null = null;
  progress.start(`campaign ${size.toLocaleString('en-US')}`, size);
  const written = () => ({ worker: writeBytes(pids.worker), sandbox: writeBytes(pids.sandbox) });
  const written0 = written();
  const cpu0 = cpuOf();
  const t0 = Date.now();
  try {
    const p0 = performance.now();
    const runId = await api.startRun(flow.flowId, flow.version, `bench-${size}-${t0}`);
    result.start_request_ms = performance.now() - p0;
    result.runId = runId;
    let lastStatusAt = 0;
    let statusErrors = 0;
    const look = async () => {
      lastStatusAt = Date.now();
      try {
        view = await api.getRun(runId);
      } catch (err) {
        // A slow answer under load is not a failed run; many in a row are.
        if (++statusErrors >= 10) throw err;
        return;
      }
      statusErrors = 0;
      if (finishedAt === null && view.run.status !== 'running' && view.run.status !== 'paused') finishedAt = Date.now();
    };
    // Until the sandbox holds a message per recipient (or the run ends without that, or time is up).
    while (counter.total < size) {
      if (!stack.running) throw new Error('the stack exited during the campaign');
      if (Date.now() > deadline)
        throw new Error(
          `timed out after ${campaignTimeoutMs(size) / 1000} s: ${counter.total} of ${size} stored; run ${JSON.stringify(view?.run.status)} ${JSON.stringify(view?.counts)}`,
        );
      const total = await counter.poll();
      for (let d = 0; d < 10; d++) if (deciles[d] === null && total >= (size * (d + 1)) / 10) deciles[d] = (Date.now() - t0) / 1000;
      if (Date.now() - lastStatusAt > 2000) await look();
      if (finishedAt !== null && Date.now() - finishedAt > 5000 && total < size) break;
      progress.update(total, view ? `run ${view.run.status}, failed ${view.counts.failed}` : '');
      if (total < size) await sleep(POLL_MS);
    }
    progress.update(counter.total, 'waiting for the run to complete');
    // Then until the run says completed.
    while (view?.run.status !== 'completed') {
      if (!stack.running) throw new Error('the stack exited during the campaign');
      if (finishedAt !== null) break;
      if (Date.now() > deadline)
        throw new Error(
          `timed out after ${campaignTimeoutMs(size) / 1000} s waiting for the run to complete; run ${JSON.stringify(view?.run.status)} ${JSON.stringify(view?.counts)}`,
        );
      await sleep(500);
      await look();
    }
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
  } finally {
    clearInterval(sampler);
  }
  const cpu1 = cpuOf();
  result.wall_s = (Date.now() - t0) / 1000;
  result.cpu_s = cpuBetween(cpu0, cpu1);
  const written1 = written();
  result.write_mb = {
    worker: Math.round((written1.worker - written0.worker) / 2 ** 20),
    sandbox: Math.round((written1.sandbox - written0.sandbox) / 2 ** 20),
  };
  result.load_avg_1m[1] = os.loadavg()[0]!;
  result.deciles_s = deciles;
  result.status = view?.run.status ?? null;
  result.failed = view?.counts.failed ?? 0;

  if (result.runId) {
    // The run's Message-IDs are in the app database's send ledger, its messages in the sandbox's database.
    const mine = await sandboxMessagesWithIds(dbs.sandbox, await runMessageIds(dbs.app, result.runId));
    result.stored = mine.messages;
    result.duplicates = mine.messages - mine.distinct;
    const lastAt = mine.lastReceivedAt ? Date.parse(mine.lastReceivedAt) : null;
    const firstAt = mine.firstReceivedAt ? Date.parse(mine.firstReceivedAt) : null;
    if (lastAt !== null) {
      result.last_stored_s = (lastAt - t0) / 1000;
      result.e2e_per_s = size / result.last_stored_s;
    }
    if (firstAt !== null) result.first_stored_s = (firstAt - t0) / 1000;
    if (firstAt !== null && lastAt !== null && lastAt > firstAt) result.steady_per_s = (mine.messages - 1) / ((lastAt - firstAt) / 1000);
  }
  const problems = [
    result.error,
    result.status !== 'completed' && !result.error ? `run ended ${result.status}` : null,
    result.failed > 0 ? `${result.failed} recipients failed` : null,
    result.stored !== size
      ? `the sandbox stored ${result.stored} messages of this run for ${size} recipients (${counter.total} new messages in all)`
      : null,
    result.duplicates > 0 ? `${result.duplicates} duplicate messages` : null,
  ].filter((p): p is string => p !== null);
  result.error = problems.length > 0 ? problems.join('; ') : null;
  progress.done(`${Math.round(result.e2e_per_s)}/s${result.error ? `  ERROR: ${result.error}` : ''}`);
  return result;
}

/**
 * Untimed warm-up, so the figures are of warm code (V8 optimises the sandbox's parser, nodemailer
 * and the worker's send path over the first thousands of messages; the first raw baseline of a
 * fresh stack was ~2,000/s, later ones ~3,000/s): raw messages, then a campaign for some contacts.
 */
export async function warmUp(
  dbs: Dbs,
  stack: Stack,
  api: Api,
  flow: { flowId: string; version: number },
  progress: Progress,
  raw: number,
  recipients: number,
): Promise<void> {
  const r = await measureRaw(dbs.sandbox, stack, raw, progress, 2 * 60_000, 'warm-up: raw');
  if (r.error) throw new Error(`warm-up: ${r.error}`);
  const contactIds = (await listContacts(dbs.app, recipients)).map((c) => c.id);
  progress.start('warm-up: campaign', contactIds.length);
  const runId = await api.startRun(flow.flowId, flow.version, `bench-warmup-${Date.now()}`, { kind: 'contacts', contactIds });
  const deadline = Date.now() + 3 * 60_000;
  for (;;) {
    const view = await api.getRun(runId);
    progress.update(view.counts.completed + view.counts.failed);
    if (view.run.status === 'completed') break;
    if (view.run.status === 'cancelled' || !stack.running || Date.now() > deadline)
      throw new Error(`warm-up campaign did not complete: ${view.run.status} ${JSON.stringify(view.counts)}`);
    await sleep(500);
  }
  progress.done();
}
