/**
 * The Temporal Web UI's guard (scripts/temporal-ui-guard.ts): which requests it lets through, and, over
 * real HTTP in front of a stand-in for the UI's server, that it streams answers as they come, rewrites
 * the settings answer, and never forwards a refused request or the app's session cookie.
 * The guard in front of the real UI under `npm start` is tested in test/e2e/security/temporal-ui.test.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Caller, createGuard, decide, readOnlySettings, sessionCookies } from '../scripts/temporal-ui-guard';

const admin: Caller = { role: 'admin' };
const agent: Caller = { role: 'agent' };
const wf = '/api/v1/namespaces/default/workflows/run-1%2Fsend';

describe('decide', () => {
  it('lets an admin read: pages, assets, the API, and the workflow queries the UI POSTs to read', () => {
    for (const [method, path] of [
      ['GET', '/'],
      ['GET', '/namespaces/default/workflows'],
      ['GET', '/_app/immutable/start.js'],
      ['GET', `${wf}?runId=abc`],
      ['HEAD', '/api/v1/namespaces/default/workflows'],
      ['OPTIONS', `${wf}/terminate`],
      ['POST', `${wf}/query/__stack_trace`],
      ['post', `${wf}/query/@@temporal-internal__list`],
    ] as const)
      expect(decide(method, path, admin), `${method} ${path}`).toEqual({ action: 'pass', rewriteSettings: false });
    expect(decide('GET', '/api/v1/settings?x=1', admin)).toEqual({ action: 'pass', rewriteSettings: true });
    expect(decide('HEAD', '/api/v1/settings', admin)).toEqual({ action: 'pass', rewriteSettings: false });
  });

  it('refuses an admin every write: terminate, signal, cancel, reset, start, update, batch, deletes', () => {
    for (const [method, path] of [
      ['POST', `${wf}/terminate`],
      ['POST', `${wf}/signal/pause`],
      ['POST', `${wf}/cancel`],
      ['POST', `${wf}/reset`],
      ['POST', `${wf}/update/approve`],
      ['POST', '/api/v1/namespaces/default/workflows/new-one'],
      ['POST', '/api/v1/namespaces/default/batch-operations/b1'],
      ['DELETE', '/api/v1/namespaces/default/schedules/s1'],
      ['PUT', `${wf}/query/x`],
      ['PATCH', '/api/v1/namespaces/default'],
      // A query route with something after it is another route.
      ['POST', `${wf}/query/x/terminate`],
      ['POST', '/auth/sso'],
    ] as const)
      expect(decide(method, path, admin), `${method} ${path}`).toMatchObject({ action: 'refuse', status: 405, code: 'read_only' });
  });

  it('refuses paths a URL parser reads otherwise, before anything else', () => {
    for (const path of [`${wf}/query/../terminate`, `${wf}/query/%2e%2e/terminate`, `${wf}/query\\x`, '/api/v1/./settings', 'api/v1/settings'])
      expect(decide('POST', path, admin), path).toMatchObject({ action: 'refuse', status: 400 });
  });

  it('refuses agents (403) and callers without a session (401), whatever they ask', () => {
    for (const [method, path] of [
      ['GET', '/'],
      ['GET', '/api/v1/settings'],
      ['POST', `${wf}/query/__stack_trace`],
      ['POST', `${wf}/terminate`],
    ] as const) {
      expect(decide(method, path, agent)).toMatchObject({ action: 'refuse', status: 403, message: "Temporal's Web UI is for admins" });
      expect(decide(method, path, { role: '' })).toMatchObject({ action: 'refuse', status: 403 });
      expect(decide(method, path, undefined)).toMatchObject({ action: 'refuse', status: 401 });
    }
  });

  it('keeps only the app session cookies for the lookup; rewrites the settings to write actions off', () => {
    expect(sessionCookies('_csrf=abc; better-auth.session_token=t.s; __Secure-better-auth.session_data=d; x=y')).toBe(
      'better-auth.session_token=t.s; __Secure-better-auth.session_data=d',
    );
    expect(sessionCookies(undefined)).toBe('');
    expect(JSON.parse(readOnlySettings('{"DisableWriteActions":false,"DefaultNamespace":"default"}') ?? '')).toEqual({
      DisableWriteActions: true,
      DefaultNamespace: 'default',
    });
    // The codec endpoint is called with the browser's credentials: the web app decodes for a signed-in admin.
    expect(
      JSON.parse(readOnlySettings('{"Codec":{"Endpoint":"http://localhost:3000/api/temporal-codec","IncludeCredentials":false}}') ?? ''),
    ).toEqual({
      DisableWriteActions: true,
      Codec: { Endpoint: 'http://localhost:3000/api/temporal-codec', IncludeCredentials: true },
    });
    expect(JSON.parse(readOnlySettings('{"Codec":{"Endpoint":""}}') ?? '')).toEqual({ DisableWriteActions: true, Codec: { Endpoint: '' } });
    expect(readOnlySettings('<html>')).toBeUndefined();
    expect(readOnlySettings('[1]')).toBeUndefined();
  });
});

describe('the guard over HTTP', () => {
  const seen: { method: string; url: string; cookie: string | undefined }[] = [];
  let release: () => void = () => {};
  const ui = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', cookie: req.headers.cookie });
    if (req.url === '/api/v1/settings') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ DisableWriteActions: false, Codec: { Endpoint: 'x' } }));
    }
    if (req.url === '/events') {
      // An event stream: the first event now, the end only when the test says so.
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      release = () => res.end('data: last\n\n');
      return;
    }
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => res.end(`${req.method} ${req.url} ${body}`));
  });
  let guard: http.Server;
  let base = '';
  const roles: Record<string, Caller> = { admin, agent };

  beforeAll(async () => {
    await new Promise<void>((r) => ui.listen(0, '127.0.0.1', r));
    guard = createGuard({
      upstream: `http://127.0.0.1:${(ui.address() as AddressInfo).port}`,
      whoIs: async (cookie) => roles[/better-auth\.session_token=(\w+)/.exec(cookie ?? '')?.[1] ?? ''],
      publicUrl: 'http://localhost:3000',
      uiUrl: 'http://localhost:8233',
    });
    await new Promise<void>((r) => guard.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(guard.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    guard.closeAllConnections();
    ui.closeAllConnections();
    await Promise.all([new Promise((r) => guard.close(r)), new Promise((r) => ui.close(r))]);
  });

  const as = (who: string, extra: Record<string, string> = {}) => ({ cookie: `_csrf=c1; better-auth.session_token=${who}`, ...extra });

  it("passes an admin's reads with bodies, without the app's cookie; rewrites the settings", async () => {
    const query = await fetch(`${base}${wf}/query/__stack_trace`, { method: 'POST', headers: as('admin'), body: '{"q":1}' });
    expect(await query.text()).toBe(`POST ${wf}/query/__stack_trace {"q":1}`);
    expect(seen.at(-1)?.cookie).toBe('_csrf=c1');
    const settings = await fetch(`${base}/api/v1/settings`, { headers: as('admin') });
    expect(await settings.json()).toEqual({ DisableWriteActions: true, Codec: { Endpoint: 'x', IncludeCredentials: true } });
  });

  it('streams an event stream as it comes', async () => {
    const res = await fetch(`${base}/events`, { headers: as('admin') });
    const reader = res.body?.getReader();
    if (!reader) throw new Error('no body');
    // The first event arrives while the upstream still holds the stream open.
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: first\n\n');
    release();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    expect(rest).toBe('data: last\n\n');
  });

  it('answers refusals itself: nothing reaches the UI', async () => {
    const before = seen.length;
    const write = await fetch(`${base}${wf}/terminate`, { method: 'POST', headers: as('admin'), body: '{}' });
    expect(write.status).toBe(405);
    expect(await write.json()).toMatchObject({ code: 'read_only', message: expect.stringContaining('read-only') });
    const overridden = await fetch(`${base}${wf}/terminate`, { method: 'POST', headers: as('admin', { 'x-http-method-override': 'GET' }) });
    expect(overridden.status).toBe(405);
    const agentPage = await fetch(`${base}/namespaces/default/workflows`, { headers: as('agent') });
    expect(agentPage.status).toBe(403);
    expect(await agentPage.text()).toContain('Temporal&#39;s Web UI is for admins');
    const nobody = await fetch(`${base}/`);
    expect(nobody.status).toBe(401);
    const page = await nobody.text();
    expect(page).toContain('href="http://localhost:3000/login"');
    expect(page).toContain('same host name');
    const nobodyApi = await fetch(`${base}/api/v1/namespaces/default/workflows`);
    expect(nobodyApi.status).toBe(401);
    expect(await nobodyApi.json()).toMatchObject({ code: 'sign_in' });
    expect(seen.length).toBe(before);
  });
});
