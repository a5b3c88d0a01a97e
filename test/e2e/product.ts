/**
 * The whole product for end-to-end tests, started as `npm start` starts it (`node --import tsx scripts/start.ts`:
 * Temporal dev server, sandbox SMTP, worker, web) with its own data folder and ports, then driven
 * through its HTTP API (`Session.api<T>()`, typed with the app's own answer types) and headless Chromium.
 * Each test file starts one product in `beforeAll` and stops it with Ctrl-C in `afterAll`.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { z } from 'zod';
import type { SmtpProfileInput } from '../../domain/smtp-profile';
import type { DeliveryAttempt } from '../../server/db/deliveries';
import type { RunRecipient } from '../../server/db/runs';
import type { ApiErrorBody, SaveSmtpProfileBody, SmtpProfileCreated, SmtpProfileResponse, RunAnswer } from '../../web/lib/api-types';
import { eventually, portOpen, root, sleep, tempDir, toolPath, withDecodedPayloads } from '../helpers';
import { freePort } from '../temporal-dev';

/**
 * Each file's slot. Its ports are the base ports plus its slot, so no two files share a port, whatever
 * order they run in. The base is 3310,7310,8310,2610, or DRIPLINE_E2E_PORTS=web,temporal,ui,smtp.
 */
const SLOTS = {
  lifecycle: 0,
  auth: 1,
  'security/input': 2,
  'flows-and-runs': 3,
  'smtp-profiles': 4,
  agents: 5,
  'one-off': 6,
  'security/web': 10,
  'security/ownership': 15,
  'security/fuzz': 16,
  'security/templates': 87,
  'security/temporal-history': 20,
  'security/temporal-ui': 21,
  'security/uploads': 95,
  audiences: 25,
  editor: 30,
  'screen-sizes': 31,
  events: 35,
  'contact-import': 40,
  portable: 45,
  'send-window': 57,
  segments: 67,
  'contact-admin': 53,
  condition: 70,
  'editor-building': 63,
  'flow-versions': 64,
  accessibility: 65,
  'readme-screenshots': 66,
  'flow-language': 76,
  'security/owners': 88,
  operations: 81,
  'ab-split': 106,
  reconcile: 105,
  'abandoned-cart': 116,
  'run-story': 135,
} as const;
export type Area = keyof typeof SLOTS;

export interface Ports {
  web: number;
  temporal: number;
  ui: number;
  smtp: number;
}

export function portsFor(area: Area): Ports {
  const [web = 3310, temporal = 7310, ui = 8310, smtp = 2610] = (process.env.DRIPLINE_E2E_PORTS ?? '').split(',').filter(Boolean).map(Number);
  const slot = SLOTS[area];
  return { web: web + slot, temporal: temporal + slot, ui: ui + slot, smtp: smtp + slot };
}

// ---- who signs in ------------------------------------------------------------------------

export interface Login {
  email: string;
  password: string;
}
export interface AgentLogin extends Login {
  name: string;
}

/** The first admin, created by `npm start` from DRIPLINE_ADMIN_PASSWORD. */
export const admin: Login = { email: 'admin@dripline.local', password: 'admin-password-e2e' };
/** The only login the sandbox SMTP server accepts (SANDBOX_SMTP_LOGIN), as a Gmail app password would be. */
export const smtpLogin = { user: 'me@gmail.test', password: 'right-app-password' };
export const wrongSmtpPassword = 'wrong-app-password';
export const agentA: AgentLogin = { email: 'agent-a@dripline.test', name: 'Agent A', password: 'agent-a-password-e2e' };
export const agentB: AgentLogin = { email: 'agent-b@dripline.test', name: 'Agent B', password: 'agent-b-password-e2e' };
export const agentC: AgentLogin = { email: 'agent-c@dripline.test', name: 'Agent C', password: 'agent-c-password-e2e' };
/**
 * DRIPLINE_SIGN_IN_RATE_WINDOW_SECONDS of every test product: better-auth's per-IP limit (3 sign-ins)
 * holds for 2 s instead of 10, so a test that meets it waits 2 s at most.
 */
export const signInRateWindowSeconds = 2;
/** DRIPLINE_TEMPORAL_CODEC_TOKEN: lets the temporal CLI decode payloads through /api/temporal-codec. */
export const codecToken = 'codec-token-e2e-4f1c9a7d2b6e8035c1d4a9f7';
/** Every password the tests type anywhere: none may ever come back in a response or reach Temporal. */
export const secrets = [admin.password, smtpLogin.password, wrongSmtpPassword, agentA.password, agentB.password, agentC.password, codecToken];

// ---- the HTTP API --------------------------------------------------------------------------

/** A finished run: GET /api/runs/[id], and the first pages of its recipients and delivery log. */
export interface SettledRun {
  report: RunAnswer;
  recipients: (RunRecipient & { temporalUrl: string | null })[];
  attempts: (DeliveryAttempt & { email: string | null; temporalUrl: string | null })[];
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** An answer from the API. `data` is the route's answer type `T`; `error` is the error body every route answers with. */
export class Answer<T> {
  constructor(
    readonly url: string,
    readonly status: number,
    readonly text: string,
    readonly json: unknown,
  ) {}

  /** The body of a 2xx answer, as the route's answer type; throws (failing the test) on any other status. */
  get data(): T {
    if (this.status < 200 || this.status > 299) throw new Error(`${this.url} answered ${this.status}, not 2xx: ${this.text.slice(0, 500)}`);
    return this.json as T;
  }

  /** The `{ error }` of a 4xx/5xx answer; throws (failing the test) on a success or a body of another shape. */
  get error(): ApiErrorBody['error'] {
    const parsed = ErrorBody.safeParse(this.json);
    if (this.status < 400 || !parsed.success)
      throw new Error(`${this.url} answered ${this.status} without an error body: ${this.text.slice(0, 500)}`);
    return parsed.data.error;
  }
}

const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) });
const Issues = z.array(z.object({ path: z.array(z.union([z.string(), z.number()])), message: z.string() }));

/** The fields a 422 invalid_request names: the first path segment of each zod issue in its details. */
export function issueFields(error: ApiErrorBody['error']): string[] {
  return Issues.parse(error.details).map((issue) => String(issue.path[0]));
}

async function request<T>(
  web: string,
  method: Method,
  url: string,
  options: { cookie?: string | undefined; body?: unknown; raw?: string; origin?: string },
): Promise<Answer<T>> {
  const res = await fetch(`${web}${url}`, {
    method,
    redirect: 'manual',
    // The Origin better-auth trusts; a cookie when signed in.
    headers: { 'content-type': 'application/json', origin: options.origin ?? web, ...(options.cookie ? { cookie: options.cookie } : {}) },
    ...(options.raw !== undefined ? { body: options.raw } : options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return new Answer<T>(`${method} ${url}`, res.status, text, json);
}

/**
 * A signed-in user's API client: their session cookie on every request. `origin` is the Origin sent
 * (the web app's public URL; by default the address called, which is the public URL of a single instance).
 */
export class Session {
  constructor(
    private readonly web: string,
    readonly cookie: string,
    readonly userId: string,
    private readonly origin = web,
  ) {}

  api<T>(method: Method, url: string, body?: unknown): Promise<Answer<T>> {
    return request<T>(this.web, method, url, { cookie: this.cookie, body, origin: this.origin });
  }

  /** Sends this text as the body, as is (e.g. broken JSON). */
  apiRaw<T>(method: Method, url: string, raw: string): Promise<Answer<T>> {
    return request<T>(this.web, method, url, { cookie: this.cookie, raw, origin: this.origin });
  }
}

/**
 * Signs in through better-auth's endpoint of the web app at `web` (sending `origin`, the app's public
 * URL); waits out its sign-in rate limit (3 per `signInRateWindowSeconds`) when hit.
 */
export async function signInAt(web: string, user: Login, origin = web): Promise<Session> {
  for (let tries = 0; tries < 10; tries++) {
    const res = await fetch(`${web}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin },
      body: JSON.stringify({ email: user.email, password: user.password }),
    });
    if (res.status === 429) {
      await sleep((Number(res.headers.get('x-retry-after')) || 2) * 1000 + 200);
      continue;
    }
    const text = await res.text();
    expect(res.status, `sign-in as ${user.email}: ${text.slice(0, 300)}`).toBe(200);
    const body = z.object({ user: z.object({ id: z.string() }) }).parse(JSON.parse(text));
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    expect(cookie).toMatch(/session_token=/);
    return new Session(web, cookie, body.user.id, origin);
  }
  throw new Error(`sign-in as ${user.email} stayed rate limited`);
}

// ---- the browser ---------------------------------------------------------------------------

export interface BrowserResponse {
  url: string;
  body: string;
}

/** A browser context that records every response its pages get from the app (pages, RSC payloads, /api/ calls). */
export class BrowserSession {
  private readonly recorded: { url: string; body: Promise<string> }[] = [];

  constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    web: string,
  ) {
    const record = (p: Page) =>
      p.on('response', (response) => {
        if (response.url().startsWith(web)) this.recorded.push({ url: response.url(), body: response.text().catch(() => '') });
      });
    record(page);
    context.on('page', record);
  }

  /** What the app answered so far (bodies of redirects and aborted requests are empty). */
  async responses(): Promise<BrowserResponse[]> {
    return Promise.all(this.recorded.map(async (r) => ({ url: r.url, body: await r.body })));
  }

  /** Closes the context after checking that no answer the browser got carried a password. Returns those answers. */
  async close(): Promise<BrowserResponse[]> {
    const responses = await this.responses();
    await this.context.close();
    expect(responses.length, 'the browser got answers from the app').toBeGreaterThan(0);
    for (const { url, body } of responses) {
      for (const secret of secrets) expect(body.includes(secret), `${url} contains a password`).toBe(false);
    }
    return responses;
  }

  /** Answers from the app's API (not pages), with their path. */
  static apiCalls(responses: BrowserResponse[]): (BrowserResponse & { pathname: string })[] {
    return responses.map((r) => ({ ...r, pathname: new URL(r.url).pathname })).filter((r) => r.pathname.startsWith('/api/'));
  }
}

// ---- the product ---------------------------------------------------------------------------

/** Fields of /proc/<pid>/stat after the command name: state, ppid, pgrp, ... (undefined once the process is gone). */
function statOf(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The running processes of a process group (Linux /proc); exited ones not yet reaped (zombies) are not running. */
function groupMembers(pgid: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      const stat = statOf(pid);
      return stat !== undefined && Number(stat[2]) === pgid && stat[0] !== 'Z' && stat[0] !== 'X';
    });
}

function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '?';
  }
}

/**
 * A separate process that stops the product if this test process dies without stopping it (killed, or
 * its fork torn down mid-test), so no orphan keeps the product's ports: Ctrl-C to the start script, then
 * SIGKILL to whatever of its process group is left after 20 s. It exits once the group is gone.
 */
function startWatchdog(pgid: number): void {
  const script = `
    const [testPid, pgid] = process.argv.slice(1).map(Number);
    const exists = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
    let orphanedAt = 0;
    setInterval(() => {
      if (!exists(-pgid)) process.exit(0);
      if (exists(testPid)) return;
      if (orphanedAt === 0) { orphanedAt = Date.now(); try { process.kill(pgid, 'SIGINT'); } catch {} }
      else if (Date.now() - orphanedAt > 20000) { try { process.kill(-pgid, 'SIGKILL'); } catch {} }
    }, 500);`;
  spawn(process.execPath, ['-e', script, String(process.pid), String(pgid)], { detached: true, stdio: 'ignore' }).unref();
}

/** The e2e tests import their helpers from here. */
export { eventually, sendGraph } from '../helpers';

export class Product {
  readonly web: string;
  private browser: Browser | undefined;
  private readonly exited: Promise<number | null>;
  /** Everything `npm start` printed so far. */
  output = '';
  /** The first admin's API client. */
  admin!: Session;

  private constructor(
    readonly area: Area,
    readonly ports: Ports,
    readonly dataDir: string,
    private readonly app: ChildProcess,
  ) {
    this.web = `http://127.0.0.1:${ports.web}`;
    this.exited = new Promise((resolve) => app.once('exit', (code) => resolve(code)));
  }

  /** Starts the product for one test file (with these settings added), waits until it says it is ready, and signs the admin in. */
  static async start(area: Area, env: Record<string, string> = {}): Promise<Product> {
    // The worker's ports and the ones Temporal's dev server picks for itself come from the system's free ports,
    // which another test's product may take between the pick and the bind: start again then, on fresh ports.
    for (let attempt = 1; ; attempt++) {
      try {
        return await Product.startOnce(area, env);
      } catch (err) {
        if (attempt >= 3 || !/address already in use|EADDRINUSE/.test(String((err as Error).message))) throw err;
      }
    }
  }

  private static async startOnce(area: Area, env: Record<string, string>): Promise<Product> {
    const ports = portsFor(area);
    const dataDir = tempDir(`e2e-${area.replace('/', '-')}`);
    const app = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      cwd: root,
      env: {
        ...process.env,
        NEXT_TELEMETRY_DISABLED: '1',
        DRIPLINE_DATA_DIR: dataDir,
        PORT: String(ports.web),
        TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
        TEMPORAL_UI_URL: `http://127.0.0.1:${ports.ui}`,
        SANDBOX_SMTP_PORT: String(ports.smtp),
        DRIPLINE_ADMIN_PASSWORD: admin.password,
        SANDBOX_SMTP_LOGIN: `${smtpLogin.user}:${smtpLogin.password}`,
        DRIPLINE_TEMPORAL_CODEC_TOKEN: codecToken,
        DRIPLINE_SIGN_IN_RATE_WINDOW_SECONDS: String(signInRateWindowSeconds),
        // The worker's endpoints on ports of its own, so two products may run at once.
        DRIPLINE_WORKER_HTTP_PORT: String(await freePort()),
        DRIPLINE_WORKER_SDK_METRICS_PORT: String(await freePort()),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group (its children join it), for the watchdog and for checking nothing outlives Ctrl-C.
      detached: true,
    });
    if (app.pid !== undefined) startWatchdog(app.pid);
    const product = new Product(area, ports, dataDir, app);
    try {
      await new Promise<void>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          product.output += chunk.toString();
          if (product.output.includes('[dripline] ready')) resolve();
        };
        app.stdout?.on('data', onData);
        app.stderr?.on('data', onData);
        app.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${product.output.slice(-4000)}`)));
      });
      product.admin = await product.signIn(admin);
      return product;
    } catch (err) {
      await product.kill();
      throw err;
    }
  }

  /** A request without a session. */
  call<T>(method: Method, url: string, body?: unknown): Promise<Answer<T>> {
    return request<T>(this.web, method, url, { body });
  }

  /** Signs in through better-auth's endpoint; waits out its sign-in rate limit (3 per `signInRateWindowSeconds`) when hit. */
  signIn(user: Login): Promise<Session> {
    return signInAt(this.web, user);
  }

  /**
   * An agent's private profile with a login on the sandbox, which offers no TLS: the agent creates it,
   * then an admin allows its login in clear (only an admin may) and enters the password again.
   */
  async agentLoginProfile(session: Session, name: string): Promise<string> {
    const id = (await session.api<SmtpProfileCreated>('POST', '/api/smtp-profiles', { ...gmailLikeProfile(this, name), allowPlainAuth: false })).data
      .id;
    const view = (await this.admin.api<SmtpProfileResponse>('GET', `/api/smtp-profiles/${id}`)).data;
    const saved = await this.admin.api('PUT', `/api/smtp-profiles/${id}`, profileInput(view, { allowPlainAuth: true, password: smtpLogin.password }));
    expect(saved.status, saved.text).toBe(200);
    return id;
  }

  /** Creates an agent through the admin API (201). */
  async createAgent(agent: AgentLogin): Promise<void> {
    const created = await this.admin.api('POST', '/api/users', { ...agent, role: 'agent' });
    expect(created.status, created.text).toBe(201);
  }

  private async launchBrowser(): Promise<Browser> {
    this.browser ??= await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    return this.browser;
  }

  /** A fresh browser context, signed in as nobody, on a blank page. */
  async newBrowserSession(): Promise<BrowserSession> {
    const context = await (await this.launchBrowser()).newContext({ viewport: { width: 1400, height: 1000 } });
    return new BrowserSession(context, await context.newPage(), this.web);
  }

  /** A browser context signed in through /login (sent there from `next`, and back to it afterwards). */
  async logIn(user: Login, next = '/flows'): Promise<BrowserSession> {
    const session = await this.newBrowserSession();
    const { page } = session;
    await page.goto(`${this.web}${next}`);
    await page.waitForURL(/\/login\?next=/);
    const loginUrl = page.url();
    for (let tries = 0; ; tries++) {
      await page.getByTestId('login-email').fill(user.email);
      await page.getByTestId('login-password').fill(user.password);
      await page.getByTestId('login-submit').click();
      const outcome = await Promise.race([
        page
          .waitForURL((url) => url.pathname !== '/login', { timeout: 30_000 })
          .then(
            () => 'in' as const,
            () => 'timeout' as const,
          ),
        page
          .getByTestId('login-error')
          .waitFor({ timeout: 30_000 })
          .then(
            () => 'error' as const,
            () => 'timeout' as const,
          ),
      ]);
      if (outcome === 'in') break;
      const message = outcome === 'error' ? ((await page.getByTestId('login-error').textContent()) ?? '') : 'no answer';
      if (!/too many/i.test(message) || tries > 8) throw new Error(`login as ${user.email} failed: ${message}`);
      await sleep(signInRateWindowSeconds * 1000); // better-auth's sign-in rate limit; start again on a fresh form
      await page.goto(loginUrl);
    }
    expect(new URL(page.url()).pathname).toBe(next);
    return session;
  }

  /** `temporal workflow show --output json` as printed: what Temporal stores, payloads encrypted (or, `decoded`, through the app's codec endpoint with the codec token). */
  printedHistory(workflowId: string, options: { decoded?: boolean } = {}): string {
    const codec = options.decoded ? ['--codec-endpoint', `${this.web}/api/temporal-codec`, '--codec-auth', `Bearer ${codecToken}`] : [];
    return execFileSync(
      toolPath('temporal'),
      ['workflow', 'show', '--workflow-id', workflowId, '--address', `127.0.0.1:${this.ports.temporal}`, '--output', 'json', ...codec],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
  }

  /**
   * A workflow's event history as `temporal workflow show --output json` prints it, with every payload's
   * base64 data decoded, so a search covers what Temporal stores: workflow inputs, activity inputs, results.
   * Raw, payloads are encrypted; `decoded` reads them in clear through the app's codec endpoint.
   */
  workflowHistory(workflowId: string, options: { decoded?: boolean } = {}): string {
    const printed = this.printedHistory(workflowId, options);
    const { text, payloads } = withDecodedPayloads(printed);
    expect(payloads, `${workflowId} has payloads`).toBeGreaterThan(0);
    return text;
  }

  /** Every process `npm start` runs (itself included: its process group), and whether each of its ports is open. */
  async inspect(): Promise<{ processes: { pid: number; command: string }[]; open: Record<keyof Ports, boolean> }> {
    const pids = this.app.pid === undefined ? [] : groupMembers(this.app.pid);
    const entries = await Promise.all(Object.entries(this.ports).map(async ([name, port]) => [name, await portOpen(port)] as const));
    return { processes: pids.map((pid) => ({ pid, command: commandOf(pid) })), open: Object.fromEntries(entries) as Record<keyof Ports, boolean> };
  }

  /**
   * Ctrl-C: SIGINT to the start script. It must exit 0 having stopped every process it started (nothing
   * left in its process group), and nothing may listen on the product's ports afterwards. Whatever is
   * left is killed even so.
   */
  async stop(): Promise<void> {
    try {
      await this.browser?.close();
      if (this.app.exitCode !== null || this.app.signalCode !== null) throw new Error(`npm start had already exited:\n${this.output.slice(-4000)}`);
      this.app.kill('SIGINT');
      expect(await this.exited, `npm start's exit code after Ctrl-C:\n${this.output.slice(-2000)}`).toBe(0);
      const pgid = this.app.pid ?? 0;
      // A moment's grace for the last of them to be reaped.
      for (let waited = 0; waited < 5_000 && groupMembers(pgid).length > 0; waited += 200) await sleep(200);
      const left = groupMembers(pgid).map((pid) => `${pid} ${commandOf(pid)}`);
      expect(left, 'processes still running after Ctrl-C').toEqual([]);
      for (const port of Object.values(this.ports)) expect(await portOpen(port), `port ${port} still open`).toBe(false);
      // Kept when a check above failed, to look into.
      fs.rmSync(this.dataDir, { recursive: true, force: true });
    } finally {
      await this.kill();
    }
  }

  /** Stops whatever of the product still runs, checking nothing: the start script with Ctrl-C, then any process it left. */
  async kill(): Promise<void> {
    await this.browser?.close().catch(() => undefined);
    this.browser = undefined;
    if (this.app.pid === undefined) return;
    if (this.app.exitCode === null && this.app.signalCode === null) {
      this.app.kill('SIGINT');
      await Promise.race([this.exited, sleep(30_000)]);
    }
    if (groupMembers(this.app.pid).length > 0) process.kill(-this.app.pid, 'SIGKILL');
  }
}

// ---- what the tests send -----------------------------------------------------------------

/** The SMTP profile form as the API takes it, from what GET answers (password left out: kept). */
export function profileInput(view: SmtpProfileResponse, over: Partial<SaveSmtpProfileBody> = {}): SaveSmtpProfileBody {
  const {
    name,
    description,
    host,
    port,
    secure,
    requireTls,
    allowPlainAuth,
    tlsCa,
    tlsPin,
    username,
    fromEmail,
    fromName,
    replyTo,
    unsubscribeMailbox,
    ratePerSecond,
    maxConnections,
    dailyCap,
    uncertainPolicy,
    retryForHours,
    guardWindow,
    guardBouncePercent,
    guardBlockPercent,
    guardThrottlePercent,
    perMinute,
    perHour,
    dailyCapWindow,
    timeZone,
    warmupStart,
    warmupFirst,
    warmupFactor,
    warmupTarget,
    warmupDays,
  } = view;
  const form: Omit<SmtpProfileInput, 'password'> = {
    name,
    description,
    host,
    port,
    secure,
    requireTls,
    allowPlainAuth,
    tlsCa,
    tlsPin,
    username,
    fromEmail,
    fromName,
    replyTo,
    unsubscribeMailbox,
    ratePerSecond,
    maxConnections,
    dailyCap,
    uncertainPolicy,
    retryForHours,
    guardWindow,
    guardBouncePercent,
    guardBlockPercent,
    guardThrottlePercent,
    perMinute,
    perHour,
    dailyCapWindow,
    timeZone,
    warmupStart,
    warmupFirst,
    warmupFactor,
    warmupTarget,
    warmupDays,
  };
  return { ...form, ...over };
}

/** A profile like a Gmail account's (app password and all), pointed at the product's sandbox SMTP server. */
export function gmailLikeProfile(product: Product, name: string): SaveSmtpProfileBody {
  return {
    name,
    host: '127.0.0.1',
    port: product.ports.smtp,
    secure: false,
    requireTls: false,
    // The sandbox offers no TLS: logging in there needs an admin's leave (the callers are admins).
    allowPlainAuth: true,
    username: smtpLogin.user,
    password: smtpLogin.password,
    fromEmail: 'me@gmail.test',
    fromName: 'Me at Gmail',
    replyTo: 'replies@gmail.test',
  };
}

/** Drags with the mouse from one point to another in small moves, as a hand would (HTML5 drag and React Flow's pointer drags alike). */
export async function drag(page: Page, from: { x: number; y: number }, to: { x: number; y: number }): Promise<void> {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + 5, from.y + 5, { steps: 2 });
  await page.mouse.move(to.x, to.y, { steps: 12 });
  await page.mouse.up();
}

/** The middle of an element on the screen. */
export async function middle(what: Locator): Promise<{ x: number; y: number }> {
  const b = await what.boundingBox();
  if (!b) throw new Error('not on screen');
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
}

/** The middle of a connection on the screen: `path` is its `path.react-flow__edge-path`. */
export async function edgeMiddle(path: Locator): Promise<{ x: number; y: number }> {
  await path.waitFor({ state: 'attached' });
  return path.evaluate((element) => {
    const p = element as SVGPathElement;
    const at = p.getPointAtLength(p.getTotalLength() / 2);
    const m = p.getScreenCTM();
    if (!m) throw new Error('no transform');
    return { x: at.x * m.a + at.y * m.c + m.e, y: at.x * m.b + at.y * m.d + m.f };
  });
}

/** Drags a connection from one handle to another (CSS selectors) with the mouse, as a person does. */
export async function connect(page: Page, from: string, to: string): Promise<void> {
  await drag(page, await middle(page.locator(from)), await middle(page.locator(to)));
}

/** Waits until the editor says the draft is saved. */
export async function saved(page: Page): Promise<void> {
  await page.locator('[data-testid="save-state"][data-state="saved"]').waitFor({ timeout: 30_000 });
}

/** Waits until at least `count` elements matching `selector` have exactly this text. */
export async function waitForText(page: Page, selector: string, text: string, count: number): Promise<void> {
  await page.waitForFunction(
    ([sel, t, n]) => [...document.querySelectorAll(sel)].filter((e) => e.textContent?.trim() === t).length >= n,
    [selector, text, count] as const,
    { timeout: 60_000 },
  );
}

/** Polls a run until it has finished, then reads its recipients and delivery log. */
export async function settledRun(session: Session, runId: string): Promise<SettledRun> {
  const report = await eventually(`run ${runId} to finish`, async () => {
    const answer = (await session.api<RunAnswer>('GET', `/api/runs/${runId}`)).data;
    return answer.run.status === 'completed' || answer.run.status === 'cancelled' ? answer : undefined;
  });
  type Page<T> = { items: T[]; total: number };
  const recipients = (await session.api<Page<SettledRun['recipients'][number]>>('GET', `/api/runs/${runId}/recipients?limit=500`)).data.items;
  const attempts = (await session.api<Page<SettledRun['attempts'][number]>>('GET', `/api/runs/${runId}/attempts?limit=500`)).data.items;
  return { report, recipients, attempts };
}
