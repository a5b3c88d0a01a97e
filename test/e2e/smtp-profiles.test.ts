/**
 * SMTP profiles with a password: the Gmail preset in Settings (Test connection with a wrong and a right
 * password, the password write-only once saved), and a run through such a profile with the password
 * nowhere in Temporal and never sent back to the browser. And an internal relay with a self-signed
 * certificate, which an admin pins from Test connection's answer.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  FlowCreated,
  FlowPublished,
  FlowSaved,
  RunStarted,
  SandboxMessageList,
  SmtpProfileCreated,
  SmtpProfileResponse,
} from '../../web/lib/api-types';
import { openDatabase } from '../../server/db';
import { getSmtpProfile } from '../../server/db/smtp-profiles';
import { guardAfterGroup } from '../../server/sending/guard';
import { type Certificates, makeCertificates, type Relay, startRelay } from '../tls-relay';
import { admin, BrowserSession, gmailLikeProfile, Product, secrets, sendGraph, settledRun, smtpLogin, wrongSmtpPassword } from './product';

let product: Product;
let certificates: Certificates;
let relay: Relay;

beforeAll(async () => {
  certificates = makeCertificates();
  relay = await startRelay(certificates, 'self');
  // The relay is internal (127.0.0.1): an admin allows it, on its port only.
  product = await Product.start('smtp-profiles', { DRIPLINE_SMTP_ALLOWED_HOSTS: `127.0.0.1:${relay.port}` });
});

afterAll(async () => {
  await product?.stop();
  await relay?.close();
  if (certificates) fs.rmSync(certificates.dir, { recursive: true, force: true });
});

const mailboxCount = async () => (await product.admin.api<SandboxMessageList>('GET', '/api/sandbox/messages')).data.length;

describe('SMTP profiles with a password', () => {
  it('creates an SMTP profile from the Gmail preset: tests a wrong and a right password, saves, and never shows it again', async () => {
    const { ports, web } = product;
    const browser = await product.logIn(admin, '/settings/smtp');
    const { page } = browser;
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
    await expect.poll(() => page.getByTestId('smtp-hints').textContent()).toMatch(/app password/i);

    // The browser checks the form with the API's schema: SSL on port 587 is refused, naming the fix.
    await page.getByTestId('smtp-secure').check();
    await page.getByTestId('smtp-test-connection').click();
    await expect.poll(() => page.getByTestId('smtp-error-secure').textContent()).toMatch(/587.*SSL off/i);

    // The sandbox stands in for Gmail: no STARTTLS there, so SSL and TLS both off.
    await page.getByTestId('smtp-secure').uncheck();
    await page.getByTestId('smtp-require-tls').uncheck();
    // ...and the login goes in plain text, which only an admin may allow (the admin is signed in here).
    await page.getByTestId('smtp-allow-plain-auth').check();
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
    await expect
      .poll(() => connected.textContent())
      .toMatch(new RegExp(`Connected to 127\\.0\\.0\\.1:${ports.smtp} and logged in as me@gmail\\.test`));

    await page.getByTestId('smtp-save').click();
    await page.waitForURL(/\/settings\/smtp\/smtp_[A-Za-z0-9]+/);
    const profileId = new URL(page.url()).pathname.split('/').pop() ?? '';

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
    const row = page.getByTestId(`smtp-row-${profileId}`);
    await expect.poll(() => row.textContent()).toMatch(new RegExp(`Gmail e2e.*127\\.0\\.0\\.1:${ports.smtp}.*none.*me@gmail\\.test.*Me at Gmail`));

    // The editor's Sender select offers the profile and "Agent's default".
    await page.goto(`${web}/flows/welcome`);
    await page.getByTestId('node-sendEmail').first().click();
    const senders = await page
      .getByTestId('node-panel')
      .locator('select')
      .first()
      .locator('option')
      .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(senders).toEqual(expect.arrayContaining(['@agent-default', 'sandbox', profileId]));

    // No answer the browser got carried a password (close() checks every one), and those answers were
    // really read: the API calls made above are among them, the Test connection refusal and success too.
    const apiCalls = BrowserSession.apiCalls(await browser.close());
    expect(apiCalls.map((c) => c.pathname)).toEqual(
      expect.arrayContaining([
        '/api/auth/sign-in/email',
        '/api/smtp-profiles',
        '/api/smtp-profiles/test',
        `/api/smtp-profiles/${profileId}/test-email`,
      ]),
    );
    const tests = apiCalls
      .filter((c) => c.pathname === '/api/smtp-profiles/test')
      .map((c) => c.body)
      .join('\n');
    expect(tests).toMatch(/refused the user or password/);
    expect(tests).toMatch(/Connected to 127\.0\.0\.1/);
  });

  it('runs a flow through the password-protected profile, and the password is nowhere in Temporal', async () => {
    const { admin: api } = product;
    const created = await api.api<SmtpProfileCreated>('POST', '/api/smtp-profiles', gmailLikeProfile(product, 'Gmail for runs'));
    expect(created.status).toBe(201);
    const profileId = created.data.id;
    expect((await api.api<SmtpProfileResponse>('GET', `/api/smtp-profiles/${profileId}`)).data.hasPassword).toBe(true);

    const flow = (await api.api<FlowCreated>('POST', '/api/flows', { name: 'Through Gmail' })).data;
    expect(
      (await api.api<FlowSaved>('PUT', `/api/flows/${flow.id}`, { name: 'Through Gmail', graph: sendGraph(profileId, 'Via Gmail, {{name}}') }))
        .status,
    ).toBe(200);
    const published = await api.api<FlowPublished>('POST', `/api/flows/${flow.id}/publish`);
    expect(published.status).toBe(200);
    const started = await api.api<RunStarted>('POST', '/api/runs', { flowId: flow.id, version: published.data.version, contactIds: ['ct_linus'] });
    expect(started.status).toBe(201);
    const run = await settledRun(api, started.data.runId);
    expect(run.recipients.map((c) => c.status)).toEqual(['completed']);
    expect(run.attempts[0]?.smtpReply).toMatch(/^250 /);
    const mail = (await api.api<SandboxMessageList>('GET', '/api/sandbox/messages')).data;
    const sent = mail.find((m) => m.subject === 'Via Gmail, Linus Torvalds');
    expect(sent?.fromHeader).toBe('"Me at Gmail" <me@gmail.test>');
    expect(sent?.replyTo).toBe('replies@gmail.test');

    for (const { workflowId } of run.recipients) {
      // Read in clear through the codec endpoint (payloads are encrypted in Temporal).
      const history = product.workflowHistory(workflowId, { decoded: true });
      // The real history: the campaign's send batch ran with the profile's id, and the workflow completed.
      expect(history).toMatch(/"activityType":\s*\{\s*"name":\s*"sendBatch"/);
      expect(history).toContain('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
      expect(history).toContain(`"profileId":"${profileId}"`);
      for (const secret of secrets) {
        expect(history, `${workflowId} history`).not.toContain(secret);
        expect(history, `${workflowId} history`).not.toContain(Buffer.from(secret).toString('base64'));
      }
    }
  });

  it("pins an internal relay's self-signed certificate from Test connection's answer, then sends through it", async () => {
    const browser = await product.logIn(admin, '/settings/smtp/new');
    const { page } = browser;
    await page.getByTestId('smtp-name').fill('Internal relay');
    await page.getByTestId('smtp-host').fill('127.0.0.1');
    await page.getByTestId('smtp-port').fill(String(relay.port));
    await expect(page.getByTestId('smtp-require-tls').isChecked()).resolves.toBe(true);
    await page.getByTestId('smtp-from-email').fill('news@relay.test');

    await page.getByTestId('smtp-test-connection').click();
    const refused = page.locator('[data-testid="smtp-test-result"][data-ok="false"]');
    await refused.waitFor({ timeout: 30_000 });
    const advice = (await refused.textContent()) ?? '';
    expect(advice).toMatch(/self-signed/);
    expect(advice).toContain(certificates.selfFingerprint);
    expect(advice).toContain('CN=relay.internal');

    await page.getByTestId('smtp-pin-certificate').click();
    await expect(page.getByTestId('smtp-tls-pin').inputValue()).resolves.toBe(certificates.selfFingerprint);
    await page.getByTestId('smtp-test-connection').click();
    const connected = page.locator('[data-testid="smtp-test-result"][data-ok="true"]');
    await connected.waitFor({ timeout: 30_000 });
    await expect.poll(() => connected.textContent()).toMatch(new RegExp(`Connected to 127\\.0\\.0\\.1:${relay.port}`));

    await page.getByTestId('smtp-save').click();
    await page.waitForURL(/\/settings\/smtp\/smtp_[A-Za-z0-9]+/);
    await page.reload();
    await expect(page.getByTestId('smtp-tls-pin').inputValue()).resolves.toBe(certificates.selfFingerprint);

    await page.getByTestId('smtp-test-email-to').fill('inbox@example.test');
    await page.getByTestId('smtp-send-test-email').click();
    await page.locator('[data-testid="smtp-test-email-result"][data-ok="true"]').waitFor({ timeout: 30_000 });
    expect(relay.subjects).toEqual(['Dripline test email from "Internal relay"']);
    await browser.close();
  });

  it('shows the reputation guard’s thresholds, refuses a bad one naming it, and when the guard paused the profile, why and Resume sending', async () => {
    const { admin: api } = product;
    const created = await api.api<SmtpProfileCreated>('POST', '/api/smtp-profiles', gmailLikeProfile(product, 'Guarded sender'));
    const profileId = created.data.id;
    const browser = await product.logIn(admin, `/settings/smtp/${profileId}`);
    const { page } = browser;
    await expect(page.getByTestId('smtp-guard-window').inputValue()).resolves.toBe('200');
    await expect(page.getByTestId('smtp-guard-blocks').inputValue()).resolves.toBe('2');
    await expect(page.getByTestId('smtp-guard-bounces').inputValue()).resolves.toBe('10');

    // Out of range: refused, under the field, with the fix.
    await page.getByTestId('smtp-guard-blocks').fill('101');
    await page.getByTestId('smtp-save').click();
    await expect.poll(() => page.getByTestId('smtp-error-guardBlockPercent').textContent()).toMatch(/policy blocks.*between 0 \(off\) and 100/);
    // The API says the same to a client that skips the browser's check.
    const refused = await api.api('PUT', `/api/smtp-profiles/${profileId}`, { ...gmailLikeProfile(product, 'Guarded sender'), guardWindow: 5 });
    expect(refused.status).toBe(422);
    expect(refused.text).toMatch(/guardWindow.*at least 20/);
    await page.getByTestId('smtp-guard-blocks').fill('5');
    await page.getByTestId('smtp-save').click();
    await expect.poll(() => page.getByTestId('smtp-notice').textContent()).toMatch(/Saved/);
    expect((await api.api<SmtpProfileResponse>('GET', `/api/smtp-profiles/${profileId}`)).data.guardBlockPercent).toBe(5);

    // The guard trips (through its own code, on the product's database): 25 policy blocks in 25 attempts.
    const reply = '550 5.7.1 Message rejected: sender blocked by policy';
    const db = await openDatabase(path.join(product.dataDir, 'dripline.db'));
    try {
      const stored = await getSmtpProfile(db, profileId);
      expect(
        await guardAfterGroup(
          db,
          stored!,
          Array.from({ length: 25 }, () => ({ kind: 'block' as const, reply })),
        ),
      ).toMatch(/reputation guard/);
    } finally {
      await db.destroy();
    }
    await page.reload();
    const paused = page.getByTestId('profile-paused');
    await expect.poll(() => paused.textContent()).toMatch(/25 of the last 25 attempts were policy blocks \(5\.7\.x\), more than its limit of 5%/);
    expect(await paused.textContent()).toContain(`"${reply}" ×25`);
    // Saving the profile is not how the guard's pause ends.
    await page.getByTestId('smtp-save').click();
    await expect.poll(() => page.getByTestId('smtp-notice').textContent()).toMatch(/Saved/);
    await page.reload();
    await page.getByTestId('profile-paused').waitFor();

    await page.getByTestId('resume-sending').click();
    await page.getByTestId('profile-paused').waitFor({ state: 'detached' });
    await expect.poll(() => page.getByTestId('profile-resumed').textContent()).toMatch(/Sending resumed by .+ \d{4}-\d\d-\d\d/);
    const after = (await api.api<SmtpProfileResponse>('GET', `/api/smtp-profiles/${profileId}`)).data;
    expect(after).toMatchObject({ failingSince: null, failingCause: null, resumedBy: api.userId });
    // Nothing left to resume.
    const again = await api.api('POST', `/api/smtp-profiles/${profileId}/resume`);
    expect(again.status).toBe(409);
    expect(again.text).toMatch(/is not paused/);
    await browser.close();
  });
});
