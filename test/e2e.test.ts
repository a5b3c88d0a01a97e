/**
 * The whole product, as `npm start` runs it (Temporal dev server, sandbox SMTP, worker, web),
 * driven through its HTTP API and in headless Chromium.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from './helpers';

const ports = { web: 3310, temporal: 7310, ui: 8310, smtp: 2610 };
const web = `http://127.0.0.1:${ports.web}`;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dripline-e2e-'));
let app: ChildProcess;
let output = '';
let browser: Browser;

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function api(method: string, url: string, body?: unknown, raw?: string) {
  const res = await fetch(`${web}${url}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, text, json: text ? (JSON.parse(text) as any) : undefined };
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
    const page = await browser.newPage();
    await page.goto(`${web}/flows/welcome`);
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
    const messages = mailbox.json as { to_header: string; from_header: string; reply_to: string; subject: string }[];
    expect(messages.map((m) => m.to_header).sort()).toEqual([
      '"Ada Lovelace" <ada@example.test>',
      '"Grace Hopper" <grace@example.test>',
      '"Linus Torvalds" <linus@example.test>',
    ]);
    for (const m of messages) {
      expect(m.from_header).toBe('"Dripline Sandbox" <hello@dripline.test>');
      expect(m.reply_to).toBe('support@dripline.test');
      expect(m.subject).toMatch(/^Welcome to Dripline, (Ada Lovelace|Grace Hopper|Linus Torvalds)$/);
    }

    await page.goto(`${web}/sandbox`);
    await page.getByTestId('sandbox-message').nth(2).waitFor();
    await page.close();
  });
});
