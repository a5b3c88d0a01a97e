/**
 * The whole product, as `npm start` runs it (Temporal dev server, sandbox SMTP, worker, web),
 * driven through its HTTP API and in headless Chromium.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root, toolPath } from './helpers';

// DRIPLINE_E2E_PORTS=web,temporal,ui,smtp runs a second copy beside another one (default 3310,7310,8310,2610).
const [webPort = 3310, temporalPort = 7310, uiPort = 8310, smtpPort = 2610] = (process.env.DRIPLINE_E2E_PORTS ?? '').split(',').filter(Boolean).map(Number);
const ports = { web: webPort, temporal: temporalPort, ui: uiPort, smtp: smtpPort };
const web = `http://127.0.0.1:${ports.web}`;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dripline-e2e-'));
let app: ChildProcess;
let output = '';
let browser: Browser;

const admin = { email: 'admin@dripline.local', password: 'admin-password-e2e' };
/** The only login the sandbox SMTP server accepts (SANDBOX_SMTP_LOGIN), as a Gmail app password would be. */
const smtpLogin = { user: 'me@gmail.test', password: 'right-app-password' };
const wrongSmtpPassword = 'wrong-app-password';
const agentA = { email: 'agent-a@dripline.test', name: 'Agent A', password: 'agent-a-password-e2e' };
const agentB = { email: 'agent-b@dripline.test', name: 'Agent B', password: 'agent-b-password-e2e' };
const agentC = { email: 'agent-c@dripline.test', name: 'Agent C', password: 'agent-c-password-e2e' };
/** Every password this test types anywhere: none may ever come back in a response. */
const secrets = [admin.password, smtpLogin.password, wrongSmtpPassword, agentA.password, agentB.password, agentC.password];

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ApiAnswer {
  status: number;
  text: string;
  json: any;
}

/** A signed-in user's API client: the session cookie on every request, and an Origin better-auth trusts. */
class Session {
  constructor(readonly cookie: string, readonly userId: string) {}

  async api(method: string, url: string, body?: unknown, raw?: string): Promise<ApiAnswer> {
    return call(method, url, { cookie: this.cookie, body, raw });
  }
}

async function call(method: string, url: string, options: { cookie?: string; body?: unknown; raw?: string } = {}): Promise<ApiAnswer> {
  const res = await fetch(`${web}${url}`, {
    method,
    redirect: 'manual',
    headers: { 'content-type': 'application/json', origin: web, ...(options.cookie ? { cookie: options.cookie } : {}) },
    ...(options.raw !== undefined ? { body: options.raw } : options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

/** Signs in through better-auth's endpoint; waits out its sign-in rate limit (3 per 10 s) when hit. */
async function signIn(email: string, password: string): Promise<Session> {
  for (let tries = 0; tries < 10; tries++) {
    const res = await fetch(`${web}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: web },
      body: JSON.stringify({ email, password }),
    });
    if (res.status === 429) {
      await sleep((Number(res.headers.get('x-retry-after')) || 2) * 1000 + 200);
      continue;
    }
    const body = (await res.json()) as { user?: { id: string } };
    expect(res.status, `sign-in as ${email}`).toBe(200);
    const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    expect(cookie).toMatch(/session_token=/);
    return new Session(cookie, body.user!.id);
  }
  throw new Error(`sign-in as ${email} stayed rate limited`);
}

let adminSession: Session;
/** The admin's API client, as the tests before sign-in existed used it. */
const api = (method: string, url: string, body?: unknown, raw?: string) => adminSession.api(method, url, body, raw);

/** Every response the browser got from the app (pages, RSC payloads, /api/ calls), to look for secrets in. */
const browserResponses: { url: string; body: Promise<string> }[] = [];

function recordResponses(page: Page) {
  page.on('response', (response) => {
    if (!response.url().startsWith(web)) return;
    browserResponses.push({ url: response.url(), body: response.text().catch(() => '') });
  });
}

/** A browser context signed in through /login, recording every response its pages receive. */
async function logIn(user: { email: string; password: string }, next = '/flows'): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  context.on('page', recordResponses);
  const page = await context.newPage();
  await page.goto(`${web}${next}`);
  await page.waitForURL(/\/login\?next=/);
  const loginUrl = page.url();
  for (let tries = 0; ; tries++) {
    await page.getByTestId('login-email').fill(user.email);
    await page.getByTestId('login-password').fill(user.password);
    await page.getByTestId('login-submit').click();
    const outcome = await Promise.race([
      page.waitForURL((url) => url.pathname !== '/login', { timeout: 30_000 }).then(() => 'in' as const, () => 'timeout' as const),
      page.getByTestId('login-error').waitFor({ timeout: 30_000 }).then(() => 'error' as const, () => 'timeout' as const),
    ]);
    if (outcome === 'in') break;
    const message = outcome === 'error' ? ((await page.getByTestId('login-error').textContent()) ?? '') : 'no answer';
    if (!/too many/i.test(message) || tries > 8) throw new Error(`login as ${user.email} failed: ${message}`);
    await sleep(3000); // better-auth's sign-in rate limit (3 in 10 s); start again on a fresh form
    await page.goto(loginUrl);
  }
  expect(new URL(page.url()).pathname).toBe(next);
  return { context, page };
}

async function mailboxCount(): Promise<number> {
  return ((await api('GET', '/api/sandbox/messages')).json as unknown[]).length;
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

/**
 * A workflow's event history as `temporal workflow show --output json` prints it, with every payload's
 * base64 data decoded, so the search covers what Temporal stores: workflow inputs, activity inputs, results.
 */
function workflowHistory(workflowId: string): string {
  const printed = execFileSync(toolPath('temporal'), ['workflow', 'show', '--workflow-id', workflowId, '--address', `127.0.0.1:${ports.temporal}`, '--output', 'json'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const decoded: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (value === null || typeof value !== 'object') return;
    for (const [key, v] of Object.entries(value)) {
      if (typeof v === 'string' && (key === 'data' || key === 'encoding')) decoded.push(Buffer.from(v, 'base64').toString('utf8'));
      else walk(v);
    }
  };
  walk(JSON.parse(printed));
  expect(decoded.length, `${workflowId} has payloads`).toBeGreaterThan(0);
  return [printed, ...decoded].join('\n');
}

/** A flow of Trigger → Send Email → Exit with the given sender. */
function sendGraph(profileId: string, subject = 'Hello {{name}}') {
  return {
    schemaVersion: 1,
    nodes: [
      { id: 't', type: 'trigger', position: { x: 0, y: 0 }, data: { source: 'audience' } },
      { id: 's', type: 'sendEmail', position: { x: 0, y: 100 }, data: { profileId, subject, text: 'Hi {{name}}' } },
      { id: 'x', type: 'exit', position: { x: 0, y: 200 }, data: {} },
    ],
    edges: [
      { id: 'e1', source: 't', target: 's' },
      { id: 'e2', source: 's', target: 'x' },
    ],
  };
}

/** The SMTP profile form as the API takes it, from what GET answers (password left out: kept). */
function profileInput(view: any, over: Record<string, unknown> = {}) {
  const { name, description, host, port, secure, requireTls, username, fromEmail, fromName, replyTo, ratePerSecond, maxConnections, dailyCap } = view;
  return { name, description, host, port, secure, requireTls, username, fromEmail, fromName, replyTo, ratePerSecond, maxConnections, dailyCap, ...over };
}

beforeAll(async () => {
  app = spawn(path.join(root, 'node_modules', '.bin', 'tsx'), ['scripts/start.ts'], {
    cwd: root,
    env: {
      ...process.env,
      DRIPLINE_DATA_DIR: dataDir,
      PORT: String(ports.web),
      TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
      TEMPORAL_UI_URL: `http://127.0.0.1:${ports.ui}`,
      SANDBOX_SMTP_PORT: String(ports.smtp),
      DRIPLINE_ADMIN_PASSWORD: admin.password,
      SANDBOX_SMTP_LOGIN: `${smtpLogin.user}:${smtpLogin.password}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('[dripline] ready')) resolve();
    };
    app.stdout!.on('data', onData);
    app.stderr!.on('data', onData);
    app.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output.slice(-4000)}`)));
  });
  adminSession = await signIn(admin.email, admin.password);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  if (app && app.exitCode === null) {
    const exited = new Promise<number | null>((r) => app.once('exit', (code) => r(code)));
    app.kill('SIGINT');
    expect(await exited).toBe(0);
    // Ctrl-C stopped every child: nothing listens on the product's ports any more.
    for (const port of Object.values(ports)) expect(await portOpen(port), `port ${port} still open`).toBe(false);
  }
});

async function waitForText(page: Page, selector: string, text: string, count: number) {
  await page.waitForFunction(
    ([sel, t, n]) => [...document.querySelectorAll(sel as string)].filter((e) => e.textContent?.trim() === t).length >= (n as number),
    [selector, text, count] as const,
    { timeout: 60_000 },
  );
}

describe('the product, end to end', () => {
  it('printed the URLs of everything it started', () => {
    expect(output).toContain(`Web app            http://localhost:${ports.web}`);
    expect(output).toContain(`Temporal Web UI    http://127.0.0.1:${ports.ui}`);
    expect(output).toContain(`Sandbox mailbox    http://localhost:${ports.web}/sandbox`);
  });

  it('lets no one in without a session: pages go to /login, the API answers 401', async () => {
    const noSession = await call('GET', '/api/flows/welcome');
    expect(noSession.status).toBe(401);
    expect(noSession.json.error.code).toBe('unauthenticated');
    expect((await call('GET', '/api/sandbox/messages')).status).toBe(401);
    expect((await call('POST', '/api/runs', { body: { flowId: 'welcome', version: 1, contactIds: ['ct_ada'] } })).status).toBe(401);
    expect((await call('GET', '/api/smtp-profiles')).status).toBe(401);

    const page = await fetch(`${web}/sandbox`, { redirect: 'manual' });
    expect(page.status).toBe(307);
    expect(page.headers.get('location')).toMatch(/\/login\?next=%2Fsandbox$/);

    const wrong = await call('POST', '/api/auth/sign-in/email', { body: { email: admin.email, password: 'not-the-password' } });
    expect([401, 429]).toContain(wrong.status);
    expect(wrong.text).not.toContain('session_token');
  });

  it('answers bad input with 4xx and a named error, never a crash', async () => {
    const badJson = await api('PUT', '/api/flows/welcome', undefined, '{"name": "x", graph');
    expect(badJson.status).toBe(400);
    expect(badJson.json.error.message).toMatch(/JSON/i);

    const badGraph = await api('PUT', '/api/flows/welcome', {
      name: 'x',
      graph: { schemaVersion: 1, nodes: [{ id: 'a', type: 'bogus', position: { x: 0, y: 0 }, data: {} }], edges: [] },
    });
    expect(badGraph.status).toBe(422);
    expect(JSON.stringify(badGraph.json.error.details)).toMatch(/"nodeId":"a"/);

    const unknownVersion = await api('POST', '/api/runs', { flowId: 'welcome', version: 99, contactIds: ['ct_ada'] });
    expect(unknownVersion.status).toBe(404);

    const created = await api('POST', '/api/flows', {});
    expect(created.status).toBeLessThan(300);
    const flowId = created.json.id as string;
    const graph = {
      schemaVersion: 1,
      nodes: [
        { id: 't', type: 'trigger', position: { x: 0, y: 0 }, data: { source: 'audience' } },
        { id: 's', type: 'sendEmail', position: { x: 0, y: 100 }, data: { profileId: 'no-such-profile', subject: 'Hi', text: 'x' } },
        { id: 'x', type: 'exit', position: { x: 0, y: 200 }, data: {} },
      ],
      edges: [
        { id: 'e1', source: 't', target: 's' },
        { id: 'e2', source: 's', target: 'x' },
      ],
    };
    expect((await api('PUT', `/api/flows/${flowId}`, { name: 'Bad sender', graph })).status).toBe(200);
    const unknownProfile = await api('POST', `/api/flows/${flowId}/publish`);
    expect(unknownProfile.status).toBe(422);
    expect(unknownProfile.text).toMatch(/no-such-profile/);

    // The sample flow is still intact after the rejected saves.
    const published = await api('POST', '/api/flows/welcome/publish');
    expect(published.status).toBe(200);
    const unknownContact = await api('POST', '/api/runs', { flowId: 'welcome', version: published.json.version, contactIds: ['ct_ada', 'ct_nobody'] });
    expect(unknownContact.status).toBe(404);
    expect(unknownContact.text).toMatch(/ct_nobody/);
    const badRequest = await api('POST', '/api/runs', { flowId: 'welcome', version: 'one', contactIds: [] });
    expect(badRequest.status).toBe(422);
  });

  it('publishes the sample flow in the editor, runs it for 3 contacts, and sees them sent', async () => {
    const { context, page } = await logIn(admin, '/flows/welcome');
    for (const type of ['trigger', 'delay', 'sendEmail', 'exit']) {
      await page.getByTestId(`node-${type}`).first().waitFor({ timeout: 60_000 });
    }
    await page.getByTestId('publish-flow').click();
    await page.getByTestId('published-version').filter({ hasText: /Published version \d+/ }).waitFor();
    await page.getByTestId('start-run-link').click();

    await page.getByTestId('select-all-contacts').check();
    await page.getByTestId('start-run').click();
    await page.waitForURL(/\/runs\/run_/);
    await waitForText(page, '[data-testid^="run-contact-"] [data-testid="status"]', 'sent', 3);

    for (const id of ['ct_ada', 'ct_grace', 'ct_linus']) {
      await expect(page.getByTestId(`run-contact-${id}`).getByTestId('status').textContent()).resolves.toBe('sent');
    }
    const attempts = await page.getByTestId('attempt-row').allTextContents();
    expect(attempts).toHaveLength(3);
    for (const row of attempts) expect(row).toMatch(/250 .*queued as sandbox-/);
    const links = await page.getByTestId('temporal-link').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    expect(links.length).toBeGreaterThanOrEqual(3);
    for (const href of links) expect(href).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${ports.ui}/namespaces/default/workflows/journey`));

    const mailbox = await api('GET', '/api/sandbox/messages');
    const messages = mailbox.json as { toHeader: string; fromHeader: string; replyTo: string; subject: string }[];
    expect(messages.map((m) => m.toHeader).sort()).toEqual([
      '"Ada Lovelace" <ada@example.test>',
      '"Grace Hopper" <grace@example.test>',
      '"Linus Torvalds" <linus@example.test>',
    ]);
    for (const m of messages) {
      expect(m.fromHeader).toBe('"Dripline Sandbox" <hello@dripline.test>');
      expect(m.replyTo).toBe('support@dripline.test');
      expect(m.subject).toMatch(/^Welcome to Dripline, (Ada Lovelace|Grace Hopper|Linus Torvalds)$/);
    }

    await page.goto(`${web}/sandbox`);
    await page.getByTestId('sandbox-message').nth(2).waitFor();
    await context.close();
  });


  it('shows a clear error on a wrong password at /login, and the user and role once signed in', async () => {
    const context = await browser.newContext();
    context.on('page', recordResponses);
    const page = await context.newPage();
    await page.goto(`${web}/contacts`);
    await page.waitForURL(/\/login\?next=%2Fcontacts$/);
    await page.getByTestId('login-email').fill(admin.email);
    await page.getByTestId('login-password').fill('not-the-admin-password');
    await page.getByTestId('login-submit').click();
    await expect(page.getByTestId('login-error').textContent()).resolves.toMatch(/wrong email or password|too many/i);
    await context.close();

    const signedIn = await logIn(admin, '/contacts');
    await expect(signedIn.page.getByTestId('whoami').textContent()).resolves.toMatch(/admin@dripline\.local\s*admin/);
    await signedIn.page.getByTestId('settings-menu').locator('summary').click();
    await signedIn.page.getByTestId('nav-users').waitFor();

    await signedIn.page.getByTestId('logout').click();
    await signedIn.page.waitForURL(/\/login$/);
    await signedIn.page.goto(`${web}/runs`);
    await signedIn.page.waitForURL(/\/login\?next=%2Fruns$/);
    await signedIn.context.close();
  });

  let gmailProfileId = '';

  it('creates an SMTP profile from the Gmail preset: tests a wrong and a right password, saves, and never shows it again', async () => {
    const { context, page } = await logIn(admin, '/settings/smtp');
    const mailBefore = await mailboxCount();
    await page.getByTestId('create-smtp').click();
    await page.waitForURL(/\/settings\/smtp\/new$/);

    await page.getByTestId('smtp-preset').selectOption('gmail');
    await expect(page.getByTestId('smtp-host').inputValue()).resolves.toBe('smtp.gmail.com');
    await expect(page.getByTestId('smtp-port').inputValue()).resolves.toBe('587');
    await expect(page.getByTestId('smtp-require-tls').isChecked()).resolves.toBe(true);
    await expect(page.getByTestId('smtp-secure').isChecked()).resolves.toBe(false);
    await expect(page.getByTestId('smtp-rate').inputValue()).resolves.toBe('1');
    await expect(page.getByTestId('smtp-daily-cap').inputValue()).resolves.toBe('500');
    await expect(page.getByTestId('smtp-hints').textContent()).resolves.toMatch(/app password/i);

    // The browser checks the form with the API's schema: SSL on port 587 is refused, naming the fix.
    await page.getByTestId('smtp-secure').check();
    await page.getByTestId('smtp-test-connection').click();
    await expect(page.getByTestId('smtp-error-secure').textContent()).resolves.toMatch(/587.*SSL off/i);

    // The sandbox stands in for Gmail: no STARTTLS there, so SSL and TLS both off.
    await page.getByTestId('smtp-secure').uncheck();
    await page.getByTestId('smtp-require-tls').uncheck();
    await page.getByTestId('smtp-name').fill('Gmail e2e');
    await page.getByTestId('smtp-description').fill('Gmail preset, pointed at the sandbox');
    await page.getByTestId('smtp-host').fill('127.0.0.1');
    await page.getByTestId('smtp-port').fill(String(ports.smtp));
    await page.getByTestId('smtp-username').fill(smtpLogin.user);
    await page.getByTestId('smtp-password').fill(wrongSmtpPassword);
    await page.getByTestId('smtp-from-email').fill('me@gmail.test');
    await page.getByTestId('smtp-reply-to').fill('replies@gmail.test');
    await page.getByTestId('smtp-from-name').fill('Me at Gmail');
    await page.getByTestId('smtp-max-connections').fill('2');

    await page.getByTestId('smtp-test-connection').click();
    const refused = page.locator('[data-testid="smtp-test-result"][data-ok="false"]');
    await refused.waitFor({ timeout: 30_000 });
    const advice = (await refused.textContent()) ?? '';
    expect(advice).toMatch(/user or password/i);
    expect(advice).toMatch(/app password/i);

    await page.getByTestId('smtp-password').fill(smtpLogin.password);
    await page.getByTestId('smtp-test-connection').click();
    const connected = page.locator('[data-testid="smtp-test-result"][data-ok="true"]');
    await connected.waitFor({ timeout: 30_000 });
    await expect(connected.textContent()).resolves.toMatch(new RegExp(`Connected to 127\\.0\\.0\\.1:${ports.smtp} and logged in as me@gmail\\.test`));

    await page.getByTestId('smtp-save').click();
    await page.waitForURL(/\/settings\/smtp\/smtp_[A-Za-z0-9]+/);
    gmailProfileId = new URL(page.url()).pathname.split('/').pop()!;

    await page.reload();
    await expect(page.getByTestId('smtp-password').inputValue()).resolves.toBe('');
    await expect(page.getByTestId('smtp-password').getAttribute('placeholder')).resolves.toBe('leave blank to keep');
    await expect(page.getByTestId('smtp-username').inputValue()).resolves.toBe(smtpLogin.user);
    await expect(page.getByTestId('smtp-host').inputValue()).resolves.toBe('127.0.0.1');

    // Moving to another server with a blank password warns that the saved one will be cleared.
    await page.getByTestId('smtp-port').fill(String(ports.smtp + 1));
    await page.getByTestId('smtp-password-warning').waitFor();
    await page.getByTestId('smtp-port').fill(String(ports.smtp));
    await page.getByTestId('smtp-password-warning').waitFor({ state: 'detached' });

    // The saved (encrypted) password works: a test email reaches the sandbox.
    await page.getByTestId('smtp-test-email-to').fill('inbox@example.test');
    await page.getByTestId('smtp-send-test-email').click();
    await page.locator('[data-testid="smtp-test-email-result"][data-ok="true"]').waitFor({ timeout: 30_000 });
    expect(await mailboxCount()).toBe(mailBefore + 1);

    await page.goto(`${web}/settings/smtp`);
    const row = page.getByTestId(`smtp-row-${gmailProfileId}`);
    await expect(row.textContent()).resolves.toMatch(new RegExp(`Gmail e2e.*127\\.0\\.0\\.1:${ports.smtp}.*none.*me@gmail\\.test.*Me at Gmail`));

    // The editor's Sender select offers the profile and "Agent's default".
    await page.goto(`${web}/flows/welcome`);
    await page.getByTestId('node-sendEmail').first().click();
    const senders = await page.getByTestId('node-panel').locator('select').first().locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(senders).toEqual(expect.arrayContaining(['@agent-default', 'sandbox', gmailProfileId]));
    await context.close();
  });

  it('lets an admin create an agent in Settings → Users, and shows agents a 403 there', async () => {
    const { context, page } = await logIn(admin, '/settings/users');
    await page.getByTestId('user-email').fill(agentC.email);
    await page.getByTestId('user-name').fill(agentC.name);
    await page.getByTestId('user-password').fill('short');
    await page.getByTestId('create-user').click();
    await expect(page.getByTestId('user-error-password').textContent()).resolves.toMatch(/at least 10/);
    await page.getByTestId('user-password').fill(agentC.password);
    await page.getByTestId('user-role').selectOption('agent');
    await page.getByTestId('create-user').click();
    await page.getByTestId('user-created').waitFor();
    // The list below refreshes with the new user.
    await page.getByTestId('users').getByText(agentC.email, { exact: true }).waitFor();
    await context.close();

    const agent = await logIn(agentC, '/flows');
    await expect(agent.page.getByTestId('whoami').textContent()).resolves.toMatch(/agent-c@dripline\.test\s*agent/);
    const forbidden = await agent.page.goto(`${web}/settings/users`);
    expect(forbidden?.status()).toBe(403);
    await agent.page.getByTestId('forbidden').waitFor();
    await agent.context.close();
  });

  let sessionA: Session;
  let sessionB: Session;

  it("keeps one agent out of another agent's private SMTP profile", async () => {
    for (const agent of [agentA, agentB]) {
      const created = await api('POST', '/api/users', { ...agent, role: 'agent' });
      expect(created.status).toBe(201);
    }
    const again = await api('POST', '/api/users', { ...agentA, role: 'agent' });
    expect(again.status).toBe(409);
    sessionA = await signIn(agentA.email, agentA.password);
    sessionB = await signIn(agentB.email, agentB.password);
    expect((await sessionB.api('GET', '/api/users')).status).toBe(403);

    const privateProfile = {
      name: 'A private', host: '127.0.0.1', port: ports.smtp, secure: false, requireTls: false,
      username: smtpLogin.user, password: smtpLogin.password, fromEmail: 'agent-a@dripline.test',
    };
    const created = await sessionA.api('POST', '/api/smtp-profiles', privateProfile);
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    // Sharing and defaults are for admins.
    expect((await sessionA.api('POST', '/api/smtp-profiles', { ...privateProfile, defaultFor: [sessionB.userId] })).status).toBe(403);

    expect((await sessionA.api('GET', `/api/smtp-profiles/${id}`)).json.hasPassword).toBe(true);
    expect((await sessionB.api('GET', `/api/smtp-profiles/${id}`)).status).toBe(403);
    expect((await sessionB.api('PUT', `/api/smtp-profiles/${id}`, { ...privateProfile, host: 'smtp.evil.test' })).status).toBe(403);
    expect((await sessionB.api('DELETE', `/api/smtp-profiles/${id}`)).status).toBe(403);
    expect((await sessionB.api('GET', '/api/smtp-profiles')).json.profiles.map((p: { id: string }) => p.id)).not.toContain(id);
    expect((await sessionA.api('GET', '/api/smtp-profiles')).json.profiles.map((p: { id: string }) => p.id)).toContain(id);
    expect((await sessionB.api('GET', '/api/smtp-profiles')).json.agents).toBeUndefined();
    expect((await api('GET', '/api/smtp-profiles')).json.agents.map((a: { email: string }) => a.email)).toEqual(
      expect.arrayContaining([agentA.email, agentB.email]),
    );

    const flow = await sessionB.api('POST', '/api/flows', { name: "B uses A's profile" });
    expect(flow.status).toBe(201);
    expect((await sessionB.api('PUT', `/api/flows/${flow.json.id}`, { name: "B uses A's profile", graph: sendGraph(id) })).status).toBe(200);
    const publish = await sessionB.api('POST', `/api/flows/${flow.json.id}/publish`);
    expect(publish.status).toBe(403);
    expect(publish.json.error.message).toMatch(/private/);
    expect((await sessionA.api('POST', `/api/flows/${flow.json.id}/publish`)).status).toBe(200);
  });

  it('refuses header injection in sender name, reply-to and subjects with 422, and sends nothing', async () => {
    const before = await mailboxCount();
    const injection = 'x\r\nBcc: a@evil.test';
    const profile = { name: 'Injected', host: '127.0.0.1', port: ports.smtp, fromEmail: 'me@gmail.test' };
    for (const field of ['fromName', 'replyTo'] as const) {
      const res = await api('POST', '/api/smtp-profiles', { ...profile, [field]: injection });
      expect(res.status, field).toBe(422);
      expect(res.json.error.details.map((i: { path: string[] }) => i.path[0])).toContain(field);
    }
    const flow = await api('POST', '/api/flows', { name: 'Injection' });
    const save = await api('PUT', `/api/flows/${flow.json.id}`, { name: 'Injection', graph: sendGraph('sandbox', injection) });
    expect(save.status).toBe(422);
    expect(JSON.stringify(save.json.error.details)).toMatch(/subject must not contain line breaks/);
    const oneOff = await api('POST', '/api/contacts/ct_ada/send', { subject: injection, text: 'hi' });
    expect(oneOff.status).toBe(422);
    expect(oneOff.json.error.details.map((i: { path: string[] }) => i.path[0])).toContain('subject');
    expect(await mailboxCount()).toBe(before);
  });

  it('runs a flow through the password-protected profile, and the password is nowhere in Temporal', async () => {
    expect(gmailProfileId).not.toBe('');
    const flow = await api('POST', '/api/flows', { name: 'Through Gmail' });
    expect((await api('PUT', `/api/flows/${flow.json.id}`, { name: 'Through Gmail', graph: sendGraph(gmailProfileId, 'Via Gmail, {{name}}') })).status).toBe(200);
    const published = await api('POST', `/api/flows/${flow.json.id}/publish`);
    expect(published.status).toBe(200);
    const started = await api('POST', '/api/runs', { flowId: flow.json.id, version: published.json.version, contactIds: ['ct_linus'] });
    expect(started.status).toBe(201);
    const run = await eventually('the run to send', async () => {
      const r = (await api('GET', `/api/runs/${started.json.runId}`)).json;
      return r.contacts.every((c: { status: string }) => c.status !== 'scheduled') ? r : undefined;
    });
    expect(run.contacts.map((c: { status: string }) => c.status)).toEqual(['sent']);
    expect(run.attempts[0].smtpReply).toMatch(/^250 /);
    const mail = (await api('GET', '/api/sandbox/messages')).json as { subject: string; fromHeader: string; replyTo: string }[];
    const sent = mail.find((m) => m.subject === 'Via Gmail, Linus Torvalds');
    expect(sent?.fromHeader).toBe('"Me at Gmail" <me@gmail.test>');
    expect(sent?.replyTo).toBe('replies@gmail.test');

    for (const { workflowId } of run.contacts as { workflowId: string }[]) {
      const history = workflowHistory(workflowId);
      // The real history: the send activity ran with the profile's id, and the workflow completed.
      expect(history).toMatch(/"activityType":\s*\{\s*"name":\s*"sendEmail"/);
      expect(history).toContain('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
      expect(history).toContain(`"profileId":"${gmailProfileId}"`);
      for (const secret of secrets) {
        expect(history, `${workflowId} history`).not.toContain(secret);
        expect(history, `${workflowId} history`).not.toContain(Buffer.from(secret).toString('base64'));
      }
    }
  });

  it("sends an agent's one-off message with their default profile, and shows it in the contact's delivery history", async () => {
    // The admin makes the Gmail-preset profile agent C's default (which shares it with them).
    const sessionC = await signIn(agentC.email, agentC.password);
    const view = (await api('GET', `/api/smtp-profiles/${gmailProfileId}`)).json;
    const saved = await api('PUT', `/api/smtp-profiles/${gmailProfileId}`, profileInput(view, { defaultFor: [sessionC.userId], sharedWith: [] }));
    expect(saved.status).toBe(200);
    expect(saved.json.passwordCleared).toBe(false);
    expect((await sessionC.api('GET', '/api/smtp-profiles')).json.profiles.find((p: { id: string }) => p.id === gmailProfileId)?.isMyDefault).toBe(true);

    const { context, page } = await logIn(agentC, '/contacts');
    await page.getByTestId('contact-link-ct_grace').click();
    await page.waitForURL(/\/contacts\/ct_grace$/);
    await expect(page.getByTestId('oneoff-sender').textContent()).resolves.toMatch(/Sends with: Gmail e2e/);
    await page.getByTestId('oneoff-subject').fill('A note for {{name}}');
    await page.getByTestId('oneoff-text').fill('Hello {{name}}, this is a one-off.');
    await page.getByTestId('oneoff-send').click();
    const row = page.getByTestId('delivery-row').filter({ hasText: 'one-off' }).filter({ hasText: 'sent' });
    await row.first().waitFor({ timeout: 60_000 });
    await expect(row.first().textContent()).resolves.toMatch(/message.*#1.*sent.*250/);
    const temporalLink = await row.first().getByTestId('delivery-temporal-link').getAttribute('href');
    expect(temporalLink).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${ports.ui}/namespaces/default/workflows/one-off%3Act_grace%3A`));
    await context.close();

    const history = (await sessionC.api('GET', '/api/contacts/ct_grace/deliveries')).json;
    const oneOff = history.deliveries.find((d: { flowName: string | null }) => d.flowName === null);
    expect(oneOff).toMatchObject({ outcome: 'sent', nodeId: 'message', contactId: 'ct_grace' });
    expect(oneOff.workflowId).toMatch(/^one-off:ct_grace:/);
    // The campaign from the editor test is in the same history, with its flow's name.
    expect(history.deliveries.some((d: { flowName: string | null }) => d.flowName === 'Welcome series')).toBe(true);

    const mail = (await api('GET', '/api/sandbox/messages')).json as { subject: string; fromHeader: string; toHeader: string }[];
    expect(mail.find((m) => m.subject === 'A note for Grace Hopper')).toMatchObject({
      fromHeader: '"Me at Gmail" <me@gmail.test>',
      toHeader: '"Grace Hopper" <grace@example.test>',
    });

    const workflow = workflowHistory(oneOff.workflowId);
    expect(workflow).toContain(`"profileId":"${gmailProfileId}"`);
    for (const secret of secrets) expect(workflow).not.toContain(secret);
  });

  it('never sent a password back to the browser', async () => {
    const bodies = await Promise.all(browserResponses.map(async (r) => ({ url: r.url, body: await r.body })));
    const apiCalls = bodies.filter((b) => new URL(b.url).pathname.startsWith('/api/'));
    // The browser tests above did call the API, including the SMTP tests and saves.
    expect(apiCalls.map((b) => new URL(b.url).pathname)).toEqual(
      expect.arrayContaining(['/api/auth/sign-in/email', '/api/smtp-profiles', '/api/smtp-profiles/test', `/api/smtp-profiles/${gmailProfileId}/test-email`]),
    );
    // ...and their bodies were read: the Test connection answers are there, refusal and success.
    const tests = apiCalls.filter((b) => new URL(b.url).pathname === '/api/smtp-profiles/test').map((b) => b.body).join('\n');
    expect(tests).toMatch(/refused the user or password/);
    expect(tests).toMatch(/Connected to 127\.0\.0\.1/);
    for (const { url, body } of bodies) {
      for (const secret of secrets) expect(body.includes(secret), `${url} contains a password`).toBe(false);
    }
  });
});
