/**
 * Temporal's Web UI under `npm start`: the dev server's UI sits on an internal port and a guard
 * (scripts/temporal-ui-guard.ts) answers on TEMPORAL_UI_URL. Over HTTP against the running product:
 * callers without a session and agents are refused; an admin gets the UI's page and its API; the
 * settings say write actions are off; and a write from an admin (terminate, signal) is refused and
 * the workflow keeps running.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolPath } from '../../helpers';
import { admin, agentA, eventually, Product, type Session } from '../product';

let product: Product;
let agent: Session;
/** Started on a task queue no worker polls: it runs until someone ends it. */
const workflowId = `ui-guard-parked-${Date.now()}`;

beforeAll(async () => {
  product = await Product.start('security/temporal-ui');
  await product.createAgent(agentA);
  agent = await product.signIn(agentA);
  execFileSync(toolPath('temporal'), [
    'workflow',
    'start',
    '--type',
    'Parked',
    '--task-queue',
    'nobody-polls-this',
    '--workflow-id',
    workflowId,
    '--address',
    `127.0.0.1:${product.ports.temporal}`,
  ]);
});

afterAll(async () => {
  await product?.stop();
});

const ui = (path: string) => `http://127.0.0.1:${product.ports.ui}${path}`;
const workflowApi = `/api/v1/namespaces/default/workflows/${encodeURIComponent(workflowId)}`;

async function status(cookie: string): Promise<string> {
  const res = await fetch(ui(workflowApi), { headers: { cookie } });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { workflowExecutionInfo?: { status?: string } };
  return body.workflowExecutionInfo?.status ?? '';
}

describe("Temporal's Web UI under npm start", () => {
  it('refuses callers without a session (401, with the way in) and agents (403), pages and API alike', async () => {
    const page = await fetch(ui('/namespaces/default/workflows'));
    expect(page.status).toBe(401);
    const text = await page.text();
    expect(text).toContain('/login');
    expect(text).toContain('same host name');
    expect(text).not.toContain(workflowId);
    const api = await fetch(ui('/api/v1/namespaces/default/workflows'));
    expect(api.status).toBe(401);
    expect(await api.text()).not.toContain(workflowId);

    const agentPage = await fetch(ui('/namespaces/default/workflows'), { headers: { cookie: agent.cookie } });
    expect(agentPage.status).toBe(403);
    expect(await agentPage.text()).toContain('for admins');
    const agentApi = await fetch(ui(workflowApi), { headers: { cookie: agent.cookie } });
    expect(agentApi.status).toBe(403);
    expect(await agentApi.text()).not.toContain('Parked');
  });

  it("answers an admin: the UI's page, its workflow list, and settings with write actions off", async () => {
    const cookie = product.admin.cookie;
    const page = await fetch(ui('/namespaces/default/workflows'), { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/<html/i);

    await eventually('the parked workflow in the list', async () => {
      const list = await fetch(ui(`/api/v1/namespaces/default/workflows?query=${encodeURIComponent(`WorkflowId="${workflowId}"`)}`), {
        headers: { cookie },
      });
      expect(list.status).toBe(200);
      return (await list.text()).includes(workflowId);
    });

    const settings = await fetch(ui('/api/v1/settings'), { headers: { cookie } });
    expect(settings.status).toBe(200);
    expect(await settings.json()).toMatchObject({ DisableWriteActions: true });
  });

  it("refuses an admin's writes, and the workflow keeps running", async () => {
    const cookie = product.admin.cookie;
    expect(await status(cookie)).toBe('WORKFLOW_EXECUTION_STATUS_RUNNING');
    for (const [path, body] of [
      [`${workflowApi}/terminate`, { reason: 'from the UI' }],
      [`${workflowApi}/signal/anything`, {}],
      [`${workflowApi}/cancel`, {}],
    ] as const) {
      const res = await fetch(ui(path), { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(res.status, path).toBe(405);
      expect(await res.json()).toMatchObject({ code: 'read_only' });
    }
    expect(await status(cookie)).toBe('WORKFLOW_EXECUTION_STATUS_RUNNING');
    const described = execFileSync(
      toolPath('temporal'),
      ['workflow', 'describe', '--workflow-id', workflowId, '--address', `127.0.0.1:${product.ports.temporal}`, '--output', 'json'],
      { encoding: 'utf8' },
    );
    expect(described).toContain('WORKFLOW_EXECUTION_STATUS_RUNNING');
  });

  it('shows an admin the workflow in the UI in a browser, with every request the page makes let through', async () => {
    const signedIn = await product.logIn(admin, '/flows');
    const answers: { url: string; method: string; status: number }[] = [];
    signedIn.page.on('response', (r) => {
      if (r.url().startsWith(ui(''))) answers.push({ url: r.url(), method: r.request().method(), status: r.status() });
    });
    const settings = signedIn.page.waitForResponse((r) => r.url().startsWith(ui('/api/v1/settings')), { timeout: 60_000 });
    await signedIn.page.goto(ui(`/namespaces/default/workflows/${encodeURIComponent(workflowId)}`));
    await signedIn.page.getByText(workflowId).first().waitFor({ timeout: 60_000 });
    expect(await (await settings).json()).toMatchObject({ DisableWriteActions: true });
    expect(answers.length).toBeGreaterThan(3);
    expect(answers.filter((a) => a.status === 401 || a.status === 403 || a.status === 405)).toEqual([]);
    await signedIn.context.close();
  });
});
