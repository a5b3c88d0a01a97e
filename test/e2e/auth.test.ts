/**
 * Signing in: nothing without a session, wrong passwords refused at the API and at /login, signing out,
 * and a lockout nobody can turn against someone else. This product trusts X-Forwarded-For from
 * loopback (DRIPLINE_TRUSTED_PROXIES), so each request can come from the client it names, as through a proxy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../helpers';
import { admin, agentC, Product } from './product';

let product: Product;

beforeAll(async () => {
  product = await Product.start('auth', { DRIPLINE_TRUSTED_PROXIES: 'loopback' });
  await product.createAgent(agentC);
});

/** One sign-in from `client` (as a trusted proxy names it); waits out the per-IP rate limit, which is not what these tests are about. */
async function signInFrom(client: string, email: string, password: string) {
  for (;;) {
    const res = await fetch(`${product.web}/api/auth/sign-in/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: product.web, 'x-forwarded-for': client },
      body: JSON.stringify({ email, password }),
    });
    const text = await res.text();
    if (res.status === 429 && !/account_locked/.test(text)) {
      await sleep((Number(res.headers.get('x-retry-after')) || 2) * 1000 + 200);
      continue;
    }
    return { status: res.status, text, retryAfter: res.headers.get('retry-after') };
  }
}

describe('the sign-in lockout', () => {
  it('locks an account for the client that failed, while the right password still signs in from another', async () => {
    for (let i = 0; i < 5; i++) expect((await signInFrom('203.0.113.7', agentC.email, `wrong-password-${i}`)).status).toBe(401);
    const locked = await signInFrom('203.0.113.7', agentC.email, agentC.password);
    expect(locked.status).toBe(429);
    expect(locked.text).toMatch(/account_locked/);
    expect(Number(locked.retryAfter)).toBeGreaterThan(60);
    const elsewhere = await signInFrom('198.51.100.20', agentC.email, agentC.password);
    expect(elsewhere.status, elsewhere.text).toBe(200);
  });

  it('never refuses the right password from a fresh client, however many clients failed for the account', async () => {
    for (let i = 1; i <= 8; i++) expect((await signInFrom(`192.0.2.${i}`, admin.email, 'not-the-admin-password')).status).toBe(401);
    const fresh = await signInFrom('192.0.2.200', admin.email, admin.password);
    expect(fresh.status, fresh.text).toBe(200);
    // The session is in the cookie; the answer does not repeat its token.
    expect(JSON.parse(fresh.text)).not.toHaveProperty('token');
  });
});

afterAll(async () => {
  await product?.stop();
});

describe('signing in', () => {
  it('lets no one in without a session: pages go to /login, the API answers 401', async () => {
    const noSession = await product.call('GET', '/api/flows/welcome');
    expect(noSession.status).toBe(401);
    expect(noSession.error.code).toBe('unauthenticated');
    expect((await product.call('GET', '/api/sandbox/messages')).status).toBe(401);
    expect((await product.call('POST', '/api/runs', { flowId: 'welcome', version: 1, contactIds: ['ct_ada'] })).status).toBe(401);
    expect((await product.call('GET', '/api/smtp-profiles')).status).toBe(401);

    const page = await fetch(`${product.web}/sandbox`, { redirect: 'manual' });
    expect(page.status).toBe(307);
    expect(page.headers.get('location')).toMatch(/\/login\?next=%2Fsandbox$/);

    const wrong = await product.call('POST', '/api/auth/sign-in/email', { email: admin.email, password: 'not-the-password' });
    expect([401, 429]).toContain(wrong.status);
    expect(wrong.text).not.toContain('session_token');
  });

  it('shows a clear error on a wrong password at /login, and the user and role once signed in', async () => {
    const stranger = await product.newBrowserSession();
    await stranger.page.goto(`${product.web}/contacts`);
    await stranger.page.waitForURL(/\/login\?next=%2Fcontacts$/);
    await stranger.page.getByTestId('login-email').fill(admin.email);
    await stranger.page.getByTestId('login-password').fill('not-the-admin-password');
    await stranger.page.getByTestId('login-submit').click();
    await expect.poll(() => stranger.page.getByTestId('login-error').textContent()).toMatch(/wrong email or password|too many/i);
    await stranger.close();

    const signedIn = await product.logIn(admin, '/contacts');
    const { page } = signedIn;
    await expect.poll(() => page.getByTestId('whoami').textContent()).toMatch(/admin@dripline\.local\s*admin/);
    await page.getByTestId('settings-menu').locator('summary').click();
    await page.getByTestId('nav-users').waitFor();

    await page.getByTestId('logout').click();
    await page.waitForURL(/\/login$/);
    await page.goto(`${product.web}/runs`);
    await page.waitForURL(/\/login\?next=%2Fruns$/);
    const responses = await signedIn.close();
    // The sign-in went through the browser, and its answer (like every other) carried no password.
    expect(responses.some((r) => new URL(r.url).pathname === '/api/auth/sign-in/email')).toBe(true);
  });
});
