/**
 * Screen sizes and keyboard focus, measured in the page (not by eye): the editor at 1024×700 keeps its
 * panel beside the canvas and the top menu on one line; on a 390-px phone no page scrolls sideways and
 * the menu still reaches Settings and Log out; a node reached with Tab shows a visible outline.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowPublished, RunStarted } from '../../web/lib/api-types';
import { admin, Product, settledRun } from './product';

let product: Product;

beforeAll(async () => {
  product = await Product.start('screen-sizes');
});

afterAll(async () => {
  await product?.stop();
});

/** How far the page is wider than the window (0 when it does not scroll sideways). */
const sidewaysScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

/** The outermost elements that reach past the right edge of the window, to say what made a page too wide. */
const tooWide = (page: Page) =>
  page.evaluate(() => {
    const past = (e: Element) => e.getBoundingClientRect().right > window.innerWidth + 1;
    return [...document.body.querySelectorAll('*')]
      .filter((e) => past(e) && e.checkVisibility() && !(e.parentElement && past(e.parentElement)))
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} (${Math.round(e.getBoundingClientRect().right)}px)`);
  });

async function openEditor(page: Page): Promise<void> {
  await page.goto(`${product.web}/flows/welcome`);
  for (const type of ['trigger', 'delay', 'sendEmail', 'exit']) await page.getByTestId(`node-${type}`).first().waitFor({ timeout: 60_000 });
}

describe('screen sizes and focus', () => {
  it('at 1024×700: the node panel beside the canvas, the top menu on one line, a focused node outlined', async () => {
    const browser = await product.logIn(admin, '/flows');
    const { page } = browser;
    await page.setViewportSize({ width: 1024, height: 700 });
    await openEditor(page);
    await page.getByTestId('node-delay').click();
    await page.getByTestId('node-panel').waitFor();

    const canvas = await page.locator('.canvas').boundingBox();
    const sidebar = await page.locator('.sidebar').boundingBox();
    if (!canvas || !sidebar) throw new Error('no canvas or sidebar');
    expect(sidebar.x, 'the panel starts right of the canvas').toBeGreaterThanOrEqual(canvas.x + canvas.width - 1);
    expect(sidebar.y, 'the panel starts beside the canvas, not under it').toBeLessThan(canvas.y + canvas.height / 2);
    expect(canvas.y + canvas.height, 'the canvas fits the window').toBeLessThanOrEqual(700);
    expect(await sidewaysScroll(page)).toBeLessThanOrEqual(0);

    const bar = await page.locator('.topbar').boundingBox();
    if (!bar) throw new Error('no top bar');
    const items = await page
      .locator('.topbar a, .topbar summary')
      .evaluateAll((els) => els.filter((e) => e.checkVisibility()).map((e) => e.getBoundingClientRect().toJSON() as DOMRect));
    expect(items.length).toBeGreaterThanOrEqual(7);
    for (const item of items) {
      expect(item.top).toBeGreaterThanOrEqual(bar.y);
      expect(item.bottom).toBeLessThanOrEqual(bar.y + bar.height);
      expect(item.right).toBeLessThanOrEqual(1024);
    }

    // Tab from the flow's name until a node on the canvas has the focus: it shows an outline.
    await page.getByTestId('flow-name').focus();
    let outline: { on: boolean; style: string; width: string } = { on: false, style: '', width: '' };
    for (let i = 0; i < 40 && !outline.on; i++) {
      await page.keyboard.press('Tab');
      outline = await page.evaluate(() => {
        const el = document.activeElement;
        const node = el?.classList.contains('react-flow__node') ? el.querySelector('.flow-node') : null;
        if (!node) return { on: false, style: '', width: '' };
        const style = getComputedStyle(node);
        return { on: true, style: style.outlineStyle, width: style.outlineWidth };
      });
    }
    expect(outline.on, 'Tab reaches a node').toBe(true);
    expect(outline.style).toBe('solid');
    expect(Number.parseFloat(outline.width)).toBeGreaterThanOrEqual(2);
    await browser.close();
  });

  it('on a 390-px phone no page scrolls sideways, and the menu reaches Settings and Log out', async () => {
    const published = await product.admin.api<FlowPublished>('POST', '/api/flows/welcome/publish');
    const run = await product.admin.api<RunStarted>('POST', '/api/runs', {
      flowId: 'welcome',
      version: published.data.version,
      contactIds: ['ct_ada'],
    });
    await settledRun(product.admin, run.data.runId);

    const browser = await product.logIn(admin, '/flows');
    const { page } = browser;
    await page.setViewportSize({ width: 390, height: 844 });
    const pages = [
      '/flows',
      '/flows/welcome',
      '/flows/welcome/run',
      '/flows/welcome/report',
      '/contacts',
      '/contacts/ct_ada',
      '/contacts/segments',
      '/contacts/segments/new',
      '/runs',
      `/runs/${run.data.runId}`,
      '/sandbox',
      '/settings/smtp',
      '/settings/smtp/new',
      '/settings/users',
      '/settings/api-keys',
      '/settings/api-keys/events',
    ];
    const wide: string[] = [];
    for (const path of pages) {
      await page.goto(`${product.web}${path}`);
      await page.waitForLoadState('networkidle');
      const over = await sidewaysScroll(page);
      if (over > 0) wide.push(`${path} is ${over}px wider than the screen: ${(await tooWide(page)).join(', ')}`);
    }
    expect(wide).toEqual([]);

    await page.goto(`${product.web}/runs/${run.data.runId}`);
    expect(await page.getByTestId('logout').isVisible()).toBe(false);
    await page.getByTestId('nav-toggle').click();
    await page.getByTestId('settings-menu').locator('summary').click();
    for (const id of ['nav-smtp-settings', 'logout']) {
      const box = await page.getByTestId(id).boundingBox();
      expect(box, `${id} is shown`).not.toBeNull();
      if (box) expect(box.x + box.width, `${id} is on the screen`).toBeLessThanOrEqual(390);
    }
    expect(await sidewaysScroll(page)).toBeLessThanOrEqual(0);
    await page.getByTestId('nav-smtp-settings').click();
    await page.waitForURL((url) => url.pathname === '/settings/smtp');
    await browser.close();
  });
});
