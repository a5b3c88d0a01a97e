/**
 * `npm start`: the whole product on its embedded defaults: Temporal dev server (SQLite, Web UI),
 * the sandbox SMTP server, the worker and the web app. Prints the URLs; Ctrl-C stops every child.
 * The worker, the sandbox and the web app are started again when they die on their own
 * (scripts/supervise.ts), unless one is in a crash loop; Temporal dying, or a crash loop, stops everything.
 * Ctrl-C waits for the worker's drain (DRIPLINE_SHUTDOWN_GRACE_SECONDS) before it stops Temporal.
 *   --dev   run the web app with `next dev` instead of a production build
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { readConfig } from '../server/config';
import { setup } from '../server/setup';
import { temporalConnectionOptions } from '../server/temporal/connection';
import { buildWorkflowBundle, workflowCode } from '../worker/workflow-bundle';
import { SEARCH_ATTRIBUTES } from '../workflows/contracts';
import { stopProcess, stopTimeoutMs, supervise, type Supervised } from './supervise';
import { buildWebIfNeeded } from './web-build';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dev = process.argv.includes('--dev');
const config = readConfig();
const webPort = config.PORT;
const [temporalHost = 'localhost', temporalPortText = '7233'] = config.TEMPORAL_ADDRESS.split(':');
const temporalUiPort = new URL(config.TEMPORAL_UI_URL).port || '8233';
/** The web app's codec endpoint (web/app/api/temporal-codec), where the Temporal Web UI decodes payloads. */
const codecEndpoint = `${config.DRIPLINE_PUBLIC_URL.replace(/\/$/, '')}/api/temporal-codec`;
/**
 * The browser sends the app's sign-in cookie to the codec endpoint only when the UI and the app share a host
 * name: otherwise every admin would see ciphertext. Said once, at the start, with what to set.
 */
const uiHostName = new URL(config.TEMPORAL_UI_URL).hostname;
const appHostName = new URL(config.DRIPLINE_PUBLIC_URL).hostname;
const codecAdvice =
  uiHostName === appHostName
    ? ''
    : `\n  The Web UI (${uiHostName}) cannot send your sign-in to the codec endpoint (${appHostName}): payloads will not decode.
  Set TEMPORAL_UI_URL and DRIPLINE_PUBLIC_URL to the same host name (both localhost, or both 127.0.0.1).\n`;
/** Every process started, in start order; `child` is the one running now (a supervised one changes). */
const children: { name: string; readonly child: ChildProcess | undefined }[] = [];
const supervised: Supervised[] = [];
let stopping = false;

function log(message: string) {
  console.log(`[dripline] ${message}`);
}

function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer().once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

/** A port the system has free on 127.0.0.1 now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function spawnChild(name: string, command: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  // Logs for a person reading the terminal (the web app runs with NODE_ENV=production, which would mean JSON), unless set.
  const logFormat = { DRIPLINE_LOG_FORMAT: process.env.DRIPLINE_LOG_FORMAT || 'text' };
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...logFormat, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (chunk: Buffer) =>
    chunk
      .toString()
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => `[${name}] ${line}\n`)
      .join('');
  // While stopping, Temporal's internal services warn about each other going away: noise, not news.
  const quiet = () => stopping && name === 'temporal';
  child.stdout?.on('data', (c: Buffer) => quiet() || process.stdout.write(prefix(c)));
  child.stderr?.on('data', (c: Buffer) => quiet() || process.stderr.write(prefix(c)));
  child.on('error', (err) => log(`${name}: ${err.message}`));
  return child;
}

/**
 * A process whose death stops everything: Temporal. Every other process works against it, and when its
 * dev server dies the cause is rarely one a restart fixes (its port taken, its database file locked or
 * broken, the disk full), so a restart loop would only hide it.
 */
function run(name: string, command: string, args: string[], env: Record<string, string> = {}) {
  const child = spawnChild(name, command, args, env);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      log(`${name} exited (${signal ?? code}); stopping everything`);
      void stop(1);
    }
  });
  children.push({ name, child });
}

/** DRIPLINE_CPU_PROFILE_DIR=<dir>: a CPU profile of each Node process (worker, sandbox, web); Node 20 refuses --cpu-prof in NODE_OPTIONS. */
const cpuProfile = () => (process.env.DRIPLINE_CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.DRIPLINE_CPU_PROFILE_DIR}`] : []);

/**
 * A process started again when it dies on its own: the worker, the sandbox SMTP server and the web app.
 * Each is built to be killed at any moment: Temporal hands a dead worker's activities to the next one
 * and the send ledger keeps a resent message from going out twice; the sandbox's clients retry; the web
 * app keeps nothing between requests (a browser's request in flight fails, the next one is answered).
 * A crash loop stops everything with the reason. Run by `node --import tsx` rather than the tsx CLI,
 * so the process watched is the one running the code: a killed tsx wrapper would leave its child
 * running, holding its port or polling beside a new worker.
 */
function runSupervised(name: string, script: string, args: string[] = [], env: Record<string, string> = {}) {
  const service = supervise({
    name,
    start: () => spawnChild(name, process.execPath, [...cpuProfile(), '--import', 'tsx', script, ...args], env),
    log,
    onCrashLoop: (message) => {
      log(`${message}; stopping everything`);
      void stop(1);
    },
  });
  supervised.push(service);
  children.push(service);
}

async function stop(exitCode: number) {
  if (stopping) return;
  stopping = true;
  const grace = config.DRIPLINE_SHUTDOWN_GRACE_SECONDS;
  log(`stopping... (running sends and requests get up to ${grace} s to finish: DRIPLINE_SHUTDOWN_GRACE_SECONDS)`);
  for (const service of supervised) service.stop();
  // The web app and the worker first, and the worker's drain to its end: its sends still need the
  // sandbox SMTP server, and Temporal to record what they did. Then those two.
  const last = new Set(['temporal', 'sandbox-smtp']);
  for (const stage of [children.filter((c) => !last.has(c.name)), children.filter((c) => last.has(c.name))]) {
    await Promise.all(stage.map(({ child, name }) => stopProcess(child, name, stopTimeoutMs(name, grace), log)));
  }
  log('stopped');
  process.exit(exitCode);
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!stopping) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main() {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(0));

  for (const [what, port, host] of [
    ['the web app (PORT)', webPort, '0.0.0.0'],
    ['Temporal (TEMPORAL_ADDRESS)', Number(temporalPortText), temporalHost],
    ['the Temporal Web UI (TEMPORAL_UI_URL)', Number(temporalUiPort), temporalHost],
    ['the sandbox SMTP server (SANDBOX_SMTP_PORT)', config.SANDBOX_SMTP_PORT, config.SANDBOX_SMTP_BIND],
  ] as const) {
    if (!(await portFree(port, host))) throw new Error(`port ${port} for ${what} is in use; stop what uses it or set ${what.match(/\((.*)\)/)?.[1]}`);
  }

  const temporal = execFileSync('bash', [path.join(root, 'scripts', 'ensure-tools.sh'), 'temporal'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();

  // Temporal first: its dev server starts while the database is migrated and the web app boots.
  fs.mkdirSync(config.DRIPLINE_DATA_DIR, { recursive: true });
  // The dev server's Web UI on an internal port; the guard (scripts/temporal-ui.ts) takes TEMPORAL_UI_URL's port.
  // A fixed neighbour of the guard's port when free: a port picked from the system's free ones may be taken
  // by another program before the dev server binds it.
  const besideUi = Number(temporalUiPort) + 1000;
  const internalUiPort = besideUi < 65536 && (await portFree(besideUi, '127.0.0.1')) ? besideUi : await freePort();
  run('temporal', temporal, [
    'server',
    'start-dev',
    '--db-filename',
    path.join(config.DRIPLINE_DATA_DIR, 'temporal.db'),
    '--ip',
    temporalHost === 'localhost' ? '127.0.0.1' : temporalHost,
    '--port',
    temporalPortText,
    '--ui-ip',
    '127.0.0.1',
    '--ui-port',
    String(internalUiPort),
    '--namespace',
    config.TEMPORAL_NAMESPACE,
    // The UI has no login and its write actions cannot be turned off here (the CLI builds its UI config in code):
    // only the guard reaches it, and lets through reads by a signed-in admin (README, Security settings).
    // Payloads are encrypted (server/temporal-codec.ts); the UI asks the web app to decode them for a signed-in admin.
    '--ui-codec-endpoint',
    codecEndpoint,
    '--log-level',
    'warn',
    // Retry and journey workflows carry them (run, flow, contact, outcome): the Web UI lists a run's failures by them.
    ...SEARCH_ATTRIBUTES.flatMap((name) => ['--search-attribute', `${name}=Keyword`]),
  ]);

  const firstAdmin = await setup();

  if (!dev) buildWebIfNeeded(root, log);
  // The web app and the sandbox need only the database; the worker needs Temporal (it stops when it cannot connect).
  runSupervised('sandbox-smtp', 'worker/sandbox.ts');
  // Next.js behind the front that decides the client's IP and refuses what must not reach a route (scripts/web-server.ts).
  runSupervised('web', 'scripts/web-server.ts', dev ? ['--dev'] : [], { NEXT_TELEMETRY_DISABLED: '1' });
  // Built once and kept in dist/ (named by a hash of the code): the next start's worker skips webpack.
  if (!('workflowBundle' in workflowCode().options)) {
    log('building the workflow bundle...');
    await buildWorkflowBundle();
  }
  await waitFor(
    'Temporal',
    async () => {
      const connection = await Connection.connect({ ...temporalConnectionOptions(config), connectTimeout: 1000 });
      await connection.close();
      return true;
    },
    60_000,
  );
  runSupervised('worker', 'worker/main.ts');
  const web = `http://localhost:${webPort}`;
  await waitFor('the web app', async () => (await fetch(`${web}/flows`)).ok, 120_000);
  const uiHost = temporalHost === 'localhost' ? '127.0.0.1' : temporalHost;
  runSupervised('temporal-ui', 'scripts/temporal-ui.ts', [
    '--listen',
    uiHost,
    '--upstream',
    `http://127.0.0.1:${internalUiPort}`,
    '--app',
    `http://127.0.0.1:${webPort}`,
  ]);
  // Any answer will do (a refusal, signed out): the guard listens.
  await waitFor('the Temporal Web UI guard', async () => Boolean(await fetch(`http://${uiHost}:${temporalUiPort}/`)), 60_000);

  console.log(`
Dripline is running (Ctrl-C stops everything):
  Web app            ${web}
  Sandbox mailbox    ${web}/sandbox
  Temporal Web UI    ${config.TEMPORAL_UI_URL} (read-only, for a signed-in admin; payloads decoded by ${codecEndpoint})
  Temporal (gRPC)    ${config.TEMPORAL_ADDRESS}
  Sandbox SMTP       ${config.SANDBOX_SMTP_HOST}:${config.SANDBOX_SMTP_PORT}
  Worker endpoints   http://${config.DRIPLINE_WORKER_HTTP_HOST}:${config.DRIPLINE_WORKER_HTTP_PORT}/metrics (and /healthz, /readyz)
  Data folder        ${config.DRIPLINE_DATA_DIR}
${codecAdvice}${firstAdmin ? `\n  ${firstAdmin}\n` : ''}`);
  log('ready');
}

main().catch((err: unknown) => {
  console.error(`[dripline] ${err instanceof Error ? err.message : String(err)}`);
  void stop(1);
  if (children.length === 0) process.exit(1);
});
