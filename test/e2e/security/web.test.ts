/**
 * The web app's doors, over HTTP against the whole product (`npm start`): redirects after login stay on
 * the site, X-Forwarded-For from an untrusted peer changes nothing, an account locks for a client after
 * failed sign-ins, bodies are limited while they stream in, writes come from the app's own pages as JSON,
 * security headers are on every answer, and Test connection neither probes the inside nor echoes banners.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SmtpCheck, SmtpProfileCreated } from '../../../web/lib/api-types';
import { sleep } from '../../helpers';
import { agentA, agentB, gmailLikeProfile, Product, signInRateWindowSeconds } from '../product';

let product: Product;

beforeAll(async () => {
  product = await Product.start('security/web');
  await product.createAgent(agentA);
  await product.createAgent(agentB);
});

afterAll(async () => {
  await product?.stop();
});

/** One sign-in attempt as a browser page would make it, with extra headers (and its JSON after a UTF-8 byte-order mark with `bom`). */
async function signIn(email: string, password: string, headers: Record<string, string> = {}, options: { bom?: boolean } = {}) {
  const json = JSON.stringify({ email, password });
  const res = await fetch(`${product.web}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: product.web, ...headers },
    body: options.bom ? new Blob([new Uint8Array([0xef, 0xbb, 0xbf]), json]) : json,
  });
  return { status: res.status, text: await res.text(), retryAfter: res.headers.get('retry-after') ?? res.headers.get('x-retry-after') };
}

/** Sends the head of a request and part of its body over a raw socket; resolves to the first answer line, or 'no answer'. */
function partialUpload(path: string, declared: number, sent: number, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(product.ports.web, '127.0.0.1');
    let answer = '';
    const done = (line: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(line);
    };
    const timer = setTimeout(() => done('no answer'), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) done(answer.split('\r\n')[0] ?? '');
    });
    socket.on('error', () => done(answer.split('\r\n')[0] || 'closed'));
    socket.on('connect', () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${product.ports.web}\r\nContent-Type: application/json\r\nOrigin: ${product.web}\r\nContent-Length: ${declared}\r\n\r\n`,
      );
      socket.write(Buffer.alloc(sent, 0x20));
    });
  });
}

describe('after login', () => {
  it('redirects only within the site (/login?next=/%09/evil.example stays here)', async () => {
    for (const next of ['/%09/evil.example', '/%0a/evil.example', '//evil.example', '/\\evil.example', 'https://evil.example/']) {
      const res = await fetch(`${product.web}/login?next=${next}`, { headers: { cookie: product.admin.cookie }, redirect: 'manual' });
      expect(res.status, next).toBeGreaterThanOrEqual(300);
      const location = res.headers.get('location') ?? '';
      // Resolved the way a browser resolves it (tabs and line breaks dropped, \ read as /).
      expect(new URL(location, product.web).origin, `${next} → ${location}`).toBe(new URL(product.web).origin);
    }
    // In the browser: signing in from /login?next=/%09/evil.example ends on this site.
    const browser = await product.newBrowserSession();
    const { page } = browser;
    await page.route('**/*', (route) => (new URL(route.request().url()).origin === product.web ? route.continue() : route.abort()));
    for (let tries = 0; ; tries++) {
      await page.goto(`${product.web}/login?next=/%09/evil.example`);
      await page.getByTestId('login-email').fill(agentA.email);
      await page.getByTestId('login-password').fill(agentA.password);
      await page.getByTestId('login-submit').click();
      const moved = await page
        .waitForURL((url) => url.pathname !== '/login', { timeout: 10_000 })
        .then(
          () => true,
          () => false,
        );
      if (moved || tries > 6) break;
      await sleep(signInRateWindowSeconds * 1000 + 500); // better-auth's per-IP sign-in limit
    }
    expect(new URL(page.url()).origin).toBe(new URL(product.web).origin);
    expect(new URL(page.url()).pathname).toBe('/flows');
    await browser.close();
    const kept = await fetch(`${product.web}/login?next=${encodeURIComponent('/runs?x=1')}`, {
      headers: { cookie: product.admin.cookie },
      redirect: 'manual',
    });
    expect(new URL(kept.headers.get('location') ?? '', product.web).pathname).toBe('/runs');
  });
});

describe('sign-in', () => {
  it('rate-limits by the real peer: a new X-Forwarded-For per attempt does not reset it', async () => {
    // All at once, so that they fall in one window however slow the machine (the window is short in tests).
    const answers = await Promise.all(
      [1, 2, 3, 4, 5, 6].map((i) => signIn('nobody-1@dripline.test', `wrong-${i}`, { 'x-forwarded-for': `203.0.113.${i}` })),
    );
    expect(answers.map((a) => a.status)).toContain(429);
  });

  it('locks an account for the client after 5 failed sign-ins, and not before', async () => {
    await sleep(signInRateWindowSeconds * 1000 + 1000); // the per-IP limit from the test above
    let failures = 0;
    while (failures < 5) {
      // Each behind a byte-order mark, which better-auth strips: the lockout reads the body as it does.
      const answer = await signIn(agentB.email, 'not-the-password-at-all', {}, { bom: true });
      if (answer.status === 429 && !/account_locked/.test(answer.text)) {
        await sleep((Number(answer.retryAfter) || 2) * 1000 + 200);
        continue;
      }
      expect(answer.status, answer.text).toBe(401);
      failures++;
    }
    let locked = await signIn(agentB.email, agentB.password);
    while (locked.status === 429 && !/account_locked/.test(locked.text)) {
      await sleep((Number(locked.retryAfter) || 2) * 1000 + 200);
      locked = await signIn(agentB.email, agentB.password);
    }
    expect(locked.status).toBe(429);
    expect(locked.text).toMatch(/account_locked/);
    expect(Number(locked.retryAfter)).toBeGreaterThan(60);
    // Another account is not affected.
    await product.signIn(agentA);
  });
});

describe('request bodies', () => {
  it('refuses a 300 MB upload to the sign-in endpoint at once, without reading it', async () => {
    const line = await partialUpload('/api/auth/sign-in/email', 300 * 1024 * 1024, 64 * 1024);
    expect(line).toMatch(/^HTTP\/1\.1 413/);
  });

  it('limits each route: flows take large graphs, the rest small bodies (413 naming the limit)', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(200 * 1024) });
    const contact = await product.admin.apiRaw('POST', '/api/contacts', big);
    expect(contact.status).toBe(413);
    expect(contact.error.message).toMatch(/64 KB/);
    const flow = await product.admin.apiRaw('POST', '/api/flows', big);
    expect(flow.status, flow.text).not.toBe(413);
    expect(flow.status).toBeLessThan(500);
  });
});

describe('state-changing requests', () => {
  const post = (headers: Record<string, string>, body = JSON.stringify({ name: 'cross-site' })) =>
    fetch(`${product.web}/api/flows`, { method: 'POST', headers: { cookie: product.admin.cookie, ...headers }, body });

  it('are refused from another origin or site, sibling subdomains included', async () => {
    const evil = await post({ 'content-type': 'application/json', origin: 'http://evil.example' });
    expect(evil.status).toBe(403);
    const sibling = await post({ 'content-type': 'application/json', origin: product.web, 'sec-fetch-site': 'same-site' });
    expect(sibling.status).toBe(403);
    expect(((await sibling.json()) as { error: { code: string } }).error.code).toBe('cross_site');
  });

  it('must be JSON (415 for a text/plain form post)', async () => {
    const plain = await post({ 'content-type': 'text/plain', origin: product.web });
    expect(plain.status).toBe(415);
    const ok = await post({ 'content-type': 'application/json', origin: product.web, 'sec-fetch-site': 'same-origin' });
    expect(ok.status).toBe(201);
  });
});

describe('security headers', () => {
  it('come with pages and API answers', async () => {
    for (const [path, cookie] of [
      ['/login', ''],
      ['/api/flows', product.admin.cookie],
    ] as const) {
      const res = await fetch(`${product.web}${path}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
      expect(res.headers.get('content-security-policy'), path).toMatch(/frame-ancestors 'none'/);
      expect(res.headers.get('content-security-policy'), path).toMatch(/object-src 'none'/);
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), path).toBe('same-origin');
    }
  });

  it("let a page run only the scripts that carry that answer's nonce: no 'unsafe-inline'", async () => {
    const nonces = new Set<string>();
    for (const [path, cookie] of [
      ['/login', ''],
      ['/login', ''],
      ['/flows', product.admin.cookie],
    ] as const) {
      const res = await fetch(`${product.web}${path}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
      expect(res.status, path).toBe(200);
      const policies = res.headers.get('content-security-policy') ?? '';
      // One policy: next.config.ts's (no inline scripts at all) would otherwise apply too.
      expect(policies.match(/script-src/g), path).toHaveLength(1);
      const scriptSrc = /script-src ([^;]*)/.exec(policies)?.[1] ?? '';
      expect(scriptSrc, path).not.toContain('unsafe-inline');
      const nonce = /'nonce-([^']+)'/.exec(scriptSrc)?.[1];
      expect(nonce, path).toBeTruthy();
      nonces.add(nonce ?? '');
      const html = await res.text();
      const scripts = html.match(/<script\b[^>]*>/g) ?? [];
      expect(scripts.length, path).toBeGreaterThan(0);
      for (const tag of scripts) expect(tag, path).toContain(`nonce="${nonce}"`);
    }
    expect(nonces.size).toBe(3);
  });
});

describe('Test connection', () => {
  let ssh: net.Server;
  let sshPort = 0;
  let connections = 0;
  beforeAll(async () => {
    ssh = net.createServer((socket) => {
      connections++;
      socket.write('SSH-2.0-OpenSSH_9.6p1 Debian-4\r\n');
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => ssh.listen(0, '127.0.0.1', resolve));
    sshPort = (ssh.address() as net.AddressInfo).port;
  });
  afterAll(() => ssh?.close());

  it('refuses internal hosts without connecting, never echoes a banner, allows the sandbox, and is rate limited', async () => {
    const session = await product.signIn(agentA);
    const form = { name: 'probe', fromEmail: 'a@dripline.test', secure: false, requireTls: false };
    for (const [host, port] of [
      ['127.0.0.1', sshPort],
      ['169.254.169.254', 80],
      ['[::1]', sshPort],
      ['10.0.0.1', 25],
      ['localhost', sshPort],
    ] as const) {
      const answer = await session.api<SmtpCheck>('POST', '/api/smtp-profiles/test', { ...form, host, port });
      expect(answer.status, `${host}:${port}`).toBe(200);
      expect(answer.data, `${host}:${port}`).toMatchObject({ ok: false, failure: 'blocked' });
      expect(answer.text).not.toMatch(/SSH|OpenSSH/);
    }
    expect(connections).toBe(0);
    const sandbox = await session.api<SmtpCheck>('POST', '/api/smtp-profiles/test', { ...form, host: '127.0.0.1', port: product.ports.smtp });
    expect(sandbox.data).toMatchObject({ ok: true });
    // 6 calls so far this minute: 4 more pass, the 11th is refused.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await session.api('POST', '/api/smtp-profiles/test', { ...form, host: '10.0.0.1', port: 25 })).status);
    expect(statuses).toEqual([200, 200, 200, 200]);
    const limited = await fetch(`${product.web}/api/smtp-profiles/test`, {
      method: 'POST',
      headers: { cookie: session.cookie, origin: product.web, 'content-type': 'application/json' },
      body: JSON.stringify({ ...form, host: '10.0.0.1', port: 25 }),
    });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('lets only admins allow a login without TLS', async () => {
    const session = await product.signIn(agentA);
    const profile = gmailLikeProfile(product, 'plain login');
    const byAgent = await session.api('POST', '/api/smtp-profiles', profile);
    expect(byAgent.status).toBe(403);
    expect(byAgent.error.message).toMatch(/allowPlainAuth/);
    expect((await product.admin.api<SmtpProfileCreated>('POST', '/api/smtp-profiles', profile)).status).toBe(201);
  });
});
