/** Signing in: nothing without a session, wrong passwords refused at the API and at /login, signing out. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, Product } from './product';

let product: Product;

beforeAll(async () => {
  product = await Product.start('auth');
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
    await expect(stranger.page.getByTestId('login-error').textContent()).resolves.toMatch(/wrong email or password|too many/i);
    await stranger.close();

    const signedIn = await product.logIn(admin, '/contacts');
    const { page } = signedIn;
    await expect(page.getByTestId('whoami').textContent()).resolves.toMatch(/admin@dripline\.local\s*admin/);
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
