/**
 * Many workers and many web instances on one PostgreSQL database and one Temporal server, as production
 * runs them: three worker processes (worker/main.ts) and two web processes (scripts/web-server.ts, the
 * production build), every one with the same DATABASE_URL, and one SMTP server (here, in the test)
 * that records every message it accepts. Everything is driven through the web apps' HTTP API, each
 * request to one instance or the other, as a load balancer would spread them.
 *
 * The tests run in order, sharing the stack: a worker is killed in the middle of a first run, and the
 * supervisor's replacement started, as `npm start` would (the killed worker's sends stay leased for
 * 90 s before another may take them: the run finishes last, while the others go on beside it); then a
 * 20,000-recipient campaign; a profile throttled at 50/s; the sign-in limits and lockout; the Test
 * connection limit; and last the killed run's outcome.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smtpConnections } from '../bench/workers';
import { buildWebIfNeeded } from '../scripts/web-build';
import { type Db, openDatabase } from '../server/db';
import { insertContacts } from '../server/db/contacts';
import { addToList, insertList } from '../server/db/lists';
import { listRunAttempts } from '../server/db/runs';
import { firstAdminId } from '../server/db/users';
import type { FlowCreated, FlowPublished, RunAnswer, RunStarted, SmtpCheck, SmtpProfileCreated } from '../web/lib/api-types';
import { freshPostgresDatabase } from './databases';
import { admin, type Session, signInAt } from './e2e/product';
import { eventually, localSmtpServer, root, sendGraph, sleep, tempDir, testSecretKey } from './helpers';
import { type DevServer, freePort, startTemporalDevServer } from './temporal-dev';

/** better-auth's per-IP sign-in window here (3 sign-ins in it): long enough that 4 attempts in a row fall in one. */
const SIGN_IN_WINDOW_SECONDS = 6;
/** Messages of the throttled profile the sink may see in one second beyond its 50/s (the pace's own margin is 3% under). */
const THROTTLE_TOLERANCE = 3;

interface Sunk {
  to: string;
  at: number;
}

/** A process of the stack, its output kept for when something fails. */
interface Proc {
  name: string;
  child: ChildProcess;
  output: string;
  exited: Promise<void>;
}

let temporal: DevServer;
let sink: Awaited<ReturnType<typeof localSmtpServer>>;
const sunk: Sunk[] = [];
let db: Db;
let webA: string;
let webB: string;
let adminA: Session;
let adminB: Session;
let workerEnv: Record<string, string>;
const workers: Proc[] = [];
const webs: Proc[] = [];
/** What went wrong at the sink other than a connection reset. */
let sinkProblems: () => Error[] = () => [];

// Whatever happens to this test process, none of the stack's processes outlives it.
process.once('exit', () => {
  for (const proc of [...webs, ...workers]) if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
});

function start(name: string, script: string, env: Record<string, string>): Proc {
  // node --import tsx, not the tsx CLI: the pid is the process running the code, so a SIGKILL reaches it.
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc: Proc = { name, child, output: '', exited: new Promise((resolve) => child.once('exit', () => resolve())) };
  const keep = (chunk: Buffer) => {
    proc.output = (proc.output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return proc;
}

async function startWorker(name: string): Promise<Proc> {
  const worker = start(name, 'worker/main.ts', {
    ...workerEnv,
    DRIPLINE_WORKER_HTTP_PORT: String(await freePort()),
    DRIPLINE_WORKER_SDK_METRICS_PORT: String(await freePort()),
  });
  workers.push(worker);
  return worker;
}

const polling = (worker: Proc) =>
  eventually(`${worker.name} to poll its task queue`, () => worker.output.includes('polling task queue') || worker.child.exitCode !== null, {
    timeoutMs: 300_000,
  }).then(() => expect(worker.child.exitCode, `${worker.name} exited:\n${worker.output.slice(-3000)}`).toBeNull());

const ofDomain = (domain: string) => sunk.filter((m) => m.to.endsWith(`@${domain}`));

/** Contacts `<n>@<domain>` in a new list of the admin's; the list's id. */
async function listOf(domain: string, count: number): Promise<string> {
  const contacts = Array.from({ length: count }, (_, n) => ({ id: `ct_${domain.split('.')[0]}_${n}`, email: `${n}@${domain}`, name: `Person ${n}` }));
  for (let i = 0; i < contacts.length; i += 5000) await insertContacts(db, contacts.slice(i, i + 5000));
  const listId = await insertList(db, domain, (await firstAdminId(db)) ?? null);
  for (let i = 0; i < contacts.length; i += 5000)
    await addToList(
      db,
      listId,
      contacts.slice(i, i + 5000).map((c) => c.id),
    );
  return listId;
}

/** A flow sending once through this profile, published (on one web instance) and started for the list (on the other). */
async function startCampaign(name: string, profileId: string, listId: string): Promise<string> {
  const flowId = (await adminA.api<FlowCreated>('POST', '/api/flows', { name })).data.id;
  expect((await adminB.api('PUT', `/api/flows/${flowId}`, { name, graph: sendGraph(profileId) })).status).toBe(200);
  const version = (await adminA.api<FlowPublished>('POST', `/api/flows/${flowId}/publish`)).data.version;
  const started = await adminB.api<RunStarted>('POST', '/api/runs', { flowId, version, audience: { kind: 'list', listId } });
  expect(started.status, started.text).toBe(201);
  return started.data.runId;
}

async function finished(runId: string, timeoutMs: number): Promise<RunAnswer> {
  let asked = 0;
  let last: RunAnswer | undefined;
  return eventually(
    `run ${runId} to finish`,
    async () => {
      // Asked of either instance, in turn.
      last = (await (asked++ % 2 === 0 ? adminA : adminB).api<RunAnswer>('GET', `/api/runs/${runId}`)).data;
      return last.run.status === 'completed' || last.run.status === 'cancelled' ? last : undefined;
    },
    { timeoutMs, everyMs: 500, seen: () => JSON.stringify(last?.run ?? {}).slice(0, 500) },
  );
}

async function profile(name: string, ratePerSecond?: number): Promise<string> {
  const created = await adminA.api<SmtpProfileCreated>('POST', '/api/smtp-profiles', {
    name,
    host: '127.0.0.1',
    port: sink.port,
    secure: false,
    requireTls: false,
    fromEmail: 'news@example.test',
    ...(ratePerSecond ? { ratePerSecond } : {}),
    maxConnections: 5,
  });
  expect(created.status, created.text).toBe(201);
  return created.data.id;
}

/** A sign-in from `client` (X-Forwarded-For, which the web front takes from a trusted proxy: here the test). */
async function signInFrom(web: string, client: string, password: string) {
  const res = await fetch(`${web}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: webA, 'x-forwarded-for': client },
    body: JSON.stringify({ email: admin.email, password }),
  });
  return { status: res.status, text: await res.text(), retryAfter: Number(res.headers.get('x-retry-after') ?? res.headers.get('retry-after')) };
}

beforeAll(async () => {
  const databaseUrl = await freshPostgresDatabase();
  buildWebIfNeeded(root, (message) => console.log(`[many-workers] ${message}`));
  temporal = await startTemporalDevServer();
  sink = await localSmtpServer({
    onData(stream, session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        for (const rcpt of session.envelope.rcptTo) sunk.push({ to: rcpt.address, at: Date.now() });
        callback();
      });
    },
  });
  // The killed worker's connections are reset under the sink: expected, and nothing else may go wrong.
  const sinkErrors: Error[] = [];
  sink.server.on('error', (err: Error & { code?: string }) => {
    if (err.code !== 'ECONNRESET') sinkErrors.push(err);
  });
  sinkProblems = () => sinkErrors;
  const [portA, portB] = [await freePort(), await freePort()];
  webA = `http://127.0.0.1:${portA}`;
  webB = `http://127.0.0.1:${portB}`;
  const env = {
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '4',
    DRIPLINE_DATA_DIR: tempDir('many-workers'),
    DRIPLINE_SECRET_KEY: testSecretKey,
    DRIPLINE_PUBLIC_URL: webA,
    DRIPLINE_ADMIN_PASSWORD: admin.password,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: 'many-workers',
    DRIPLINE_SMTP_ALLOWED_HOSTS: '127.0.0.1:*',
    DRIPLINE_TRUSTED_PROXIES: 'loopback',
    DRIPLINE_SIGN_IN_RATE_WINDOW_SECONDS: String(SIGN_IN_WINDOW_SECONDS),
    DRIPLINE_SIGN_IN_LOCKOUT_SECONDS: '600',
    DRIPLINE_LOG_LEVEL: 'warn',
    NEXT_TELEMETRY_DISABLED: '1',
  };
  workerEnv = { ...env, DATABASE_POOL_SIZE: '10', DRIPLINE_LOG_LEVEL: 'info' };
  // As `npm start` does before it starts anything: migrations, the first admin.
  execFileSync(process.execPath, ['--import', 'tsx', 'server/setup.ts'], { cwd: root, env: { ...process.env, ...env }, stdio: 'pipe' });
  db = await openDatabase(databaseUrl, { poolSize: 4 });
  for (let i = 1; i <= 3; i++) await startWorker(`worker ${i}`);
  webs.push(start('web A', 'scripts/web-server.ts', { ...env, PORT: String(portA) }));
  webs.push(start('web B', 'scripts/web-server.ts', { ...env, PORT: String(portB) }));
  for (const [web, proc] of [
    [webA, webs[0]],
    [webB, webs[1]],
  ] as const) {
    await eventually(`${proc?.name} to answer`, async () => (await fetch(`${web}/healthz`).catch(() => undefined))?.ok, {
      timeoutMs: 120_000,
      seen: () => proc?.output.slice(-2000) ?? '',
    });
  }
  adminA = await signInAt(webA, admin, webA);
  adminB = await signInAt(webB, admin, webA);
  await Promise.all(workers.map(polling));
});

afterAll(async () => {
  for (const proc of [...webs, ...workers]) if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGTERM');
  await Promise.race([Promise.all([...webs, ...workers].map((p) => p.exited)), sleep(20_000)]);
  for (const proc of [...webs, ...workers]) if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
  await db?.destroy();
  await sink?.close();
  await temporal?.stop();
});

describe('three workers and two web instances on one PostgreSQL database', () => {
  let killedRun: string;
  let unthrottled: string;

  it('go on when a worker is killed mid-run: a replacement starts and the run continues', async () => {
    unthrottled = await profile('Sink');
    killedRun = await startCampaign('Killed mid-run', unthrottled, await listOf('kill.test', 1500));
    await eventually('300 messages of the run at the sink', () => ofDomain('kill.test').length >= 300, { everyMs: 50, timeoutMs: 120_000 });
    // The worker holding the most connections to the sink: the one sending the most now.
    const busiest = workers.reduce((a, b) => (smtpConnections(b.child.pid ?? 0, sink.port) > smtpConnections(a.child.pid ?? 0, sink.port) ? b : a));
    busiest.child.kill('SIGKILL');
    await busiest.exited;
    expect(busiest.child.signalCode).toBe('SIGKILL');
    expect(ofDomain('kill.test').length).toBeLessThan(1500);
    workers.splice(workers.indexOf(busiest), 1);
    await polling(await startWorker('worker 4 (the replacement)'));
  }, 400_000);

  it('deliver a 20,000-recipient campaign exactly once', async () => {
    const runId = await startCampaign('Twenty thousand', unthrottled, await listOf('many.test', 20_000));
    const report = await finished(runId, 600_000);
    expect(report.run.status).toBe('completed');
    const received = ofDomain('many.test');
    expect(received).toHaveLength(20_000);
    expect(new Set(received.map((m) => m.to)).size).toBe(20_000);
  }, 600_000);

  it('hold a profile throttled at 50/s at the sink, whichever worker sends', async () => {
    const throttled = await profile('Throttled at 50/s', 50);
    const runId = await startCampaign('Throttled', throttled, await listOf('throttle.test', 300));
    expect((await finished(runId, 120_000)).run.status).toBe('completed');
    const times = ofDomain('throttle.test')
      .map((m) => m.at)
      .sort((a, b) => a - b);
    expect(times).toHaveLength(300);
    // The busiest second: for each message, how many arrived within the second that starts with it.
    let busiest = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (j < times.length && (times[j] ?? 0) < (times[i] ?? 0) + 1000) j++;
      busiest = Math.max(busiest, j - i);
    }
    expect(busiest).toBeLessThanOrEqual(50 + THROTTLE_TOLERANCE);
    // And it did not crawl either: 300 messages at 50/s take about 6 s.
    expect(busiest).toBeGreaterThan(25);
  }, 300_000);

  it("count sign-ins spread over both instances together: better-auth's per-IP limit, and the lockout", async () => {
    // Per IP: 3 sign-ins in the window, whichever instance each reaches.
    const attempts = [];
    for (const web of [webA, webB, webA, webB]) attempts.push(await signInFrom(web, '198.51.100.1', 'not-the-password'));
    expect(attempts.map((a) => a.status)).toEqual([401, 401, 401, 429]);
    // Per email and client: 5 failures, over two windows and both instances, lock the pair.
    const client = '198.51.100.2';
    for (const web of [webB, webA, webB]) expect((await signInFrom(web, client, 'not-the-password')).status).toBe(401);
    const limited = await signInFrom(webA, client, 'not-the-password');
    expect(limited.status).toBe(429);
    await sleep(limited.retryAfter * 1000 + 200);
    for (const web of [webA, webB]) expect((await signInFrom(web, client, 'not-the-password')).status).toBe(401);
    // The third sign-in of this window: past the per-IP limit, stopped by the lockout.
    const locked = await signInFrom(webA, client, admin.password);
    expect(locked.status).toBe(429);
    expect(locked.text).toMatch(/account_locked/);
    expect((await signInFrom(webB, '198.51.100.3', admin.password)).status).toBe(200);
  });

  it('count Test connection over both instances against one limit (10 a minute per user)', async () => {
    const form = { name: 'Sink', host: '127.0.0.1', port: sink.port, secure: false, requireTls: false, fromEmail: 'news@example.test' };
    for (let i = 0; i < 10; i++) {
      const answer = await (i % 2 === 0 ? adminA : adminB).api<SmtpCheck>('POST', '/api/smtp-profiles/test', form);
      expect(answer.status, answer.text).toBe(200);
    }
    for (const session of [adminA, adminB]) {
      const refused = await session.api('POST', '/api/smtp-profiles/test', form);
      expect(refused.status).toBe(429);
      expect(refused.error.code).toBe('rate_limited');
    }
  });

  it('lose nothing of the run whose worker was killed, and send twice only what the ledger recorded as uncertain', async () => {
    expect((await finished(killedRun, 400_000)).run.status).toBe('completed');
    const perRecipient = new Map<string, number>();
    for (const m of ofDomain('kill.test')) perRecipient.set(m.to, (perRecipient.get(m.to) ?? 0) + 1);
    expect(perRecipient.size).toBe(1500);
    const attempts = (await listRunAttempts(db, killedRun, { offset: 0, limit: 100_000 })).items;
    const uncertain = new Set(attempts.filter((a) => a.outcome === 'uncertain').map((a) => a.email));
    const twice = [...perRecipient].filter(([, n]) => n > 1).map(([to]) => to);
    for (const to of twice) expect(uncertain).toContain(to);
    expect(Math.max(...perRecipient.values())).toBeLessThanOrEqual(2);
    expect(sinkProblems()).toEqual([]);
  }, 400_000);
});
