/**
 * The flow editor in a real browser: work is never lost (autosave, the guard before leaving, undo and
 * redo, copy and paste), steps have names, and messages say what to fix where the field is; a misspelled
 * template variable is flagged as it is typed, with a suggestion, and fixed with the variable picker.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowGraph } from '../../domain/flow/schema';
import type { ContactResponse, FlowCreated, FlowResponse, RunStarted } from '../../web/lib/api-types';
import { admin, Product, saved, settledRun } from './product';

let product: Product;

beforeAll(async () => {
  product = await Product.start('editor');
});

afterAll(async () => {
  await product?.stop();
});

const edgeIds = (page: Page) => page.locator('.react-flow__edge').evaluateAll((es) => es.map((e) => e.getAttribute('data-id')).sort());
const nodeCount = (page: Page, type: string) => page.getByTestId(`node-${type}`).count();

async function openSample(page: Page): Promise<void> {
  await page.goto(`${product.web}/flows/welcome`);
  for (const type of ['trigger', 'delay', 'sendEmail', 'exit']) await page.getByTestId(`node-${type}`).first().waitFor({ timeout: 60_000 });
}

/** Clicks empty canvas, so keyboard shortcuts go to the canvas and not to a text box. */
async function focusCanvas(page: Page): Promise<void> {
  const pane = page.locator('.react-flow__pane');
  const box = await pane.boundingBox();
  if (!box) throw new Error('no canvas');
  await page.mouse.click(box.x + 20, box.y + 20);
}

describe('the flow editor', () => {
  it('autosaves a step name, shows it on the node, and keeps it after a reload', async () => {
    const browser = await product.logIn(admin, '/flows/welcome');
    const { page } = browser;
    await openSample(page);
    await page.getByTestId('node-delay').click();
    await page.getByTestId('step-name').fill('Wait a moment');
    await expect.poll(() => page.getByTestId('node-delay').textContent()).toContain('Wait a moment');
    await saved(page);

    const flow = (await product.admin.api<FlowResponse>('GET', '/api/flows/welcome')).data;
    expect(FlowGraph.parse(flow.graph).nodes.find((n) => n.id === 'wait')?.name).toBe('Wait a moment');

    await page.reload();
    await page.getByTestId('node-delay').waitFor();
    await expect.poll(() => page.getByTestId('node-delay').textContent()).toContain('Wait a moment');

    // Named, published and run, the Send step shows by its name in the run's delivery log, not by its id.
    await page.getByTestId('node-sendEmail').click();
    await page.getByTestId('step-name').fill('Welcome email');
    await saved(page);
    await page.getByTestId('publish-flow').click();
    const published = await page.getByTestId('published-version').textContent();
    const version = Number(/Published version (\d+)/.exec(published ?? '')?.[1]);
    const run = (await product.admin.api<RunStarted>('POST', '/api/runs', { flowId: 'welcome', version, contactIds: ['ct_ada'] })).data;
    await settledRun(product.admin, run.runId);
    await page.goto(`${product.web}/runs/${run.runId}`);
    await expect.poll(() => page.getByTestId('attempt-row').getByTestId('attempt-step').textContent()).toBe('Welcome email');
    await browser.close();
  });

  it('undoes and redoes deleting a connected node (its neighbours joined meanwhile), and pastes copies', async () => {
    const browser = await product.logIn(admin, '/flows/welcome');
    const { page } = browser;
    await openSample(page);
    const before = await edgeIds(page);
    expect(before).toEqual(['e-trigger-wait', 'e-wait-welcome', 'e-welcome-done']);

    await page.getByTestId('node-sendEmail').click();
    await page.keyboard.press('Delete');
    await expect.poll(() => nodeCount(page, 'sendEmail')).toBe(0);
    // Deleting the middle step joins the steps around it.
    await expect.poll(() => edgeIds(page)).toEqual(['e-trigger-wait', 'e-wait-done']);

    await page.keyboard.press('Control+z');
    await expect.poll(() => nodeCount(page, 'sendEmail')).toBe(1);
    await expect.poll(() => edgeIds(page)).toEqual(before);

    await page.keyboard.press('Control+Shift+z');
    await expect.poll(() => nodeCount(page, 'sendEmail')).toBe(0);
    await page.getByTestId('undo').click();
    await expect.poll(() => nodeCount(page, 'sendEmail')).toBe(1);
    await expect.poll(() => edgeIds(page)).toEqual(before);

    // A field edit is one step too.
    await page.getByTestId('node-sendEmail').click();
    const subject = page.getByTestId('node-panel').getByLabel('Subject');
    const original = await subject.inputValue();
    await subject.fill('Changed subject');
    await focusCanvas(page);
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.getByTestId('node-sendEmail').textContent()).toContain(original);

    // Copy and paste: a second Delay, with the same settings, connected to nothing yet.
    await page.getByTestId('node-delay').click();
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');
    await expect.poll(() => nodeCount(page, 'delay')).toBe(2);
    await expect.poll(() => edgeIds(page)).toEqual(before);
    await page.keyboard.press('Control+z');
    await expect.poll(() => nodeCount(page, 'delay')).toBe(1);

    await saved(page);
    await page.reload();
    await page.getByTestId('node-sendEmail').waitFor();
    expect(await edgeIds(page)).toEqual(before);
    expect(await nodeCount(page, 'delay')).toBe(1);
    await browser.close();
  });

  it('never shows NaN, names the missing field, asks before leaving unsaved, and keeps the last saved draft', async () => {
    const browser = await product.logIn(admin, '/flows/welcome');
    const { page } = browser;
    await openSample(page);

    // An emptied Min: the node says what is missing, the field says what to enter, and nothing is saved.
    await page.getByTestId('node-delay').click();
    const min = page.getByTestId('node-panel').getByLabel('Minimum');
    const minBefore = await min.inputValue();
    await min.fill('');
    await expect.poll(() => page.getByTestId('node-delay').textContent()).toContain('set Min');
    expect(await page.getByTestId('node-delay').textContent()).not.toContain('NaN');
    await page.getByTestId('node-panel').getByText('enter a number (0 or more)').waitFor();
    await page.locator('[data-testid="save-state"][data-state="blocked"]').filter({ hasText: 'Min' }).waitFor();

    // A link in the app asks first; Stay keeps the page and the edit.
    await page.locator('.topnav a[href="/flows"]').click();
    await page.getByTestId('leave-guard').waitFor();
    await page.getByTestId('leave-guard-stay').click();
    expect(new URL(page.url()).pathname).toBe('/flows/welcome');
    expect(await min.inputValue()).toBe('');

    // The browser's Back asks too.
    await page.goBack();
    await page.getByTestId('leave-guard').waitFor();
    await page.getByTestId('leave-guard-stay').click();
    expect(new URL(page.url()).pathname).toBe('/flows/welcome');

    // A reload (or closing the tab) gets the browser's own prompt.
    const prompt = page.waitForEvent('dialog');
    // Not awaited: the reload waits on the prompt (and is cancelled by dismissing it).
    const reload = page.evaluate(() => window.location.reload()).catch(() => undefined);
    const dialog = await prompt;
    expect(dialog.type()).toBe('beforeunload');
    await dialog.dismiss();
    await reload;
    expect(new URL(page.url()).pathname).toBe('/flows/welcome');
    expect(await min.inputValue()).toBe('');

    // Leave without saving: the last autosaved draft is what comes back.
    await page.locator('.topnav a[href="/flows"]').click();
    await page.getByTestId('leave-guard-leave').click();
    await page.waitForURL((url) => url.pathname === '/flows');
    await openSample(page);
    await page.getByTestId('node-delay').click();
    expect(await page.getByTestId('node-panel').getByLabel('Minimum').inputValue()).toBe(minBefore);
    await browser.close();
  });

  it('asks for a flow name at the field, in plain words, and clears the message once there is one', async () => {
    const browser = await product.logIn(admin, '/flows/welcome');
    const { page } = browser;
    await openSample(page);
    const name = page.getByTestId('flow-name');
    const original = await name.inputValue();
    await name.fill('   ');
    const error = page.getByTestId('flow-name-error');
    await expect.poll(() => error.textContent()).toMatch(/Give the flow a name/);
    await page.locator('[data-testid="save-state"][data-state="blocked"]').waitFor();
    await page.getByTestId('publish-flow').click();
    const text = await page.locator('.editor').textContent();
    expect(text).not.toMatch(/invalid request|must not be empty/);

    await name.fill(`${original} (renamed)`);
    await error.waitFor({ state: 'detached' });
    await saved(page);
    const flow = (await product.admin.api<FlowResponse>('GET', '/api/flows/welcome')).data;
    expect(flow.name).toBe(`${original} (renamed)`);
    await browser.close();
  });

  it('builds Trigger → Delay → Send Email → Exit from the keyboard alone, each step under the last and connected, then tidies it', async () => {
    const created = (await product.admin.api<FlowCreated>('POST', '/api/flows', { name: 'Keyboard flow' })).data;
    const browser = await product.logIn(admin, '/flows');
    const { page } = browser;
    await page.goto(`${product.web}/flows/${created.id}`);
    await page.getByTestId('node-trigger').waitFor({ timeout: 60_000 });

    /** Presses Tab (or Shift+Tab) until the focused element matches, as a keyboard user would. */
    const tabTo = async (selector: string, key: 'Tab' | 'Shift+Tab') => {
      for (let i = 0; i < 40; i++) {
        if (await page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector)) return;
        await page.keyboard.press(key);
      }
      throw new Error(`Tab never reached ${selector}`);
    };
    await page.getByTestId('flow-name').focus();
    // A new flow has an Exit not yet connected: select it and delete it, to end the flow with a new one.
    await tabTo('.react-flow__node-exit', 'Tab');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Delete');
    await expect.poll(() => page.getByTestId('node-exit').count()).toBe(0);
    await tabTo('.react-flow__node-trigger', 'Shift+Tab');
    await page.keyboard.press('Enter');
    await page.getByTestId('node-panel').filter({ hasText: 'Trigger' }).waitFor();
    await tabTo('[data-testid="add-delay"]', 'Shift+Tab');
    await page.keyboard.press('Enter');
    await tabTo('[data-testid="add-sendEmail"]', 'Tab');
    await page.keyboard.press('Enter');
    await tabTo('[data-testid="add-exit"]', 'Tab');
    await page.keyboard.press('Enter');

    await saved(page);
    const graph = FlowGraph.parse((await product.admin.api<FlowResponse>('GET', `/api/flows/${created.id}`)).data.graph);
    const typeOf = (id: string) => graph.nodes.find((n) => n.id === id)?.type;
    expect(graph.edges.map((e) => `${typeOf(e.source)}>${typeOf(e.target)}`).sort()).toEqual(['delay>sendEmail', 'sendEmail>exit', 'trigger>delay']);
    await page.getByTestId('flow-ok').waitFor();

    // Tidy layout: top to bottom in the order of the flow.
    await page.getByTestId('tidy-layout').click();
    await saved(page);
    const tidied = FlowGraph.parse((await product.admin.api<FlowResponse>('GET', `/api/flows/${created.id}`)).data.graph);
    const ys = ['trigger', 'delay', 'sendEmail', 'exit'].map((type) => tidied.nodes.find((n) => n.type === type)?.position.y ?? Number.NaN);
    expect([...ys].sort((a, b) => a - b)).toEqual(ys);
    expect(new Set(ys).size).toBe(4);
    await browser.close();
  });
  it('flags a misspelled variable as it is typed, with "did you mean", warns in the preview, and fixes it with the picker', async () => {
    // A contact with a first_name makes it an attribute the workspace knows.
    await product.admin.api<ContactResponse>('POST', '/api/contacts', {
      email: 'lin@example.test',
      name: 'Lin Example',
      attributes: { first_name: 'Lin' },
    });
    const browser = await product.logIn(admin, '/flows/welcome');
    const { page } = browser;
    await openSample(page);
    await page.getByTestId('node-sendEmail').click();
    const text = page.getByTestId('send-text');
    await text.fill('Hi {{ frist_name }},\nWelcome aboard.');

    // Before any Save or Publish: the problem, on the step, with its suggestion.
    const problem = page.getByTestId('flow-errors').getByText('no contact has the attribute "frist_name" (did you mean first_name?)');
    await problem.waitFor();
    await page.getByTestId('flow-ok').waitFor({ state: 'detached' });
    const shots = process.env.DRIPLINE_SCREENSHOT_DIR;
    await problem.scrollIntoViewIfNeeded();
    if (shots) await page.screenshot({ path: `${shots}/editor-typo.png`, fullPage: true });

    // The preview's contact picker searches on the server; the preview names what printed empty.
    await page.getByTestId('preview-open').click();
    await page.getByTestId('preview-search').fill('grace');
    const options = page.getByTestId('preview-contact').locator('option');
    await expect.poll(() => options.evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['ct_grace']);
    await page.getByTestId('preview-render').click();
    await expect.poll(() => page.getByTestId('preview-empty').textContent()).toContain('{{ frist_name }}');
    if (shots) await page.screenshot({ path: `${shots}/editor-typo-preview.png`, fullPage: true });

    // Fixed with the picker: the typo removed, first_name with a default inserted at the cursor.
    await text.fill('Hi ,\nWelcome aboard.');
    await text.evaluate((el: HTMLTextAreaElement) => el.setSelectionRange(3, 3));
    const picker = page.getByTestId('variable-picker');
    await expect.poll(() => picker.locator('legend').textContent()).toContain('Text');
    await picker.getByTestId('variable-name').selectOption('first_name');
    await picker.getByTestId('variable-default').fill('there');
    await picker.getByTestId('variable-insert').click();
    if (shots) await picker.screenshot({ path: `${shots}/editor-typo-picker.png` });
    await expect.poll(() => text.inputValue()).toBe('Hi {{ first_name | default: "there" }},\nWelcome aboard.');
    await problem.waitFor({ state: 'detached' });
    await page.getByTestId('flow-ok').waitFor();

    await page.getByTestId('preview-search').fill('lin@');
    await expect
      .poll(() => options.evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).textContent)))
      .toEqual(['Lin Example <lin@example.test>']);
    await page.getByTestId('preview-render').click();
    // The earlier rendering shows until this one comes back (a template thread may be starting): waited for, not timed.
    await expect.poll(() => page.getByTestId('preview-text').textContent(), { timeout: 30_000 }).toContain('Hi Lin,');
    expect(await page.getByTestId('preview-empty').count()).toBe(0);
    if (shots) await page.screenshot({ path: `${shots}/editor-typo-fixed.png`, fullPage: true });
    await browser.close();
  });
});
