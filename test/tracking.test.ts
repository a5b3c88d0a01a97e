/**
 * Opens and clicks: the signed tokens (a changed or made-up token is refused, a link only ever leads to
 * an address from the message), the rewriting of a rendered message (the unsubscribe link and mailto:
 * untouched, the pixel added), the machine rule, and recording and counting on SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../server/db';
import { insertContacts } from '../server/db/contacts';
import { engagementCounts, engagementOf, flowTracking, setFlowTracking, tracksEngagement } from '../server/db/tracking';
import { insertRun } from '../server/db/runs';
import { recordClick, recordOpen } from '../server/engagement';
import { composeMessage } from '../server/smtp/message';
import { isMachine, PREFETCH_MS, trackingToken, trackLinks, verifyTrackingToken } from '../server/tracking';
import { databases, tempInstallOn } from './databases';
import { graphWithDelay, publishForTest } from './helpers';

const secret = Buffer.alloc(32, 7);
const other = Buffer.alloc(32, 9);
const message = { runId: 'run_1', nodeId: 'send', contactId: 'ct_a' };
const base = 'https://mail.example.test';
const tokenOf = (url: string) => url.slice(url.lastIndexOf('/') + 1).replace(/\.gif$/, '');

describe('tracking tokens', () => {
  it('verify what they were signed with, for their kind only', () => {
    const click = trackingToken(secret, { kind: 'click', ...message, linkIndex: 2, url: 'https://shop.example.test/a?b=1' });
    expect(verifyTrackingToken([other, secret], 'click', click)).toEqual({
      kind: 'click',
      ...message,
      linkIndex: 2,
      url: 'https://shop.example.test/a?b=1',
    });
    expect(verifyTrackingToken([other], 'click', click)).toBeNull();
    expect(verifyTrackingToken([secret], 'open', click)).toBeNull();
    const open = trackingToken(secret, { kind: 'open', ...message });
    expect(verifyTrackingToken([secret], 'open', open)).toEqual({ kind: 'open', ...message });
  });

  it('refuse a changed address, a changed signature and junk', () => {
    const click = trackingToken(secret, { kind: 'click', ...message, linkIndex: 0, url: 'https://shop.example.test/' });
    const [payload, signature] = click.split('.') as [string, string];
    const evil = Buffer.from(JSON.stringify(['run_1', 'send', 'ct_a', 0, 'https://evil.example.test/'])).toString('base64url');
    expect(verifyTrackingToken([secret], 'click', `${evil}.${signature}`)).toBeNull();
    expect(verifyTrackingToken([secret], 'click', `${payload}.${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`)).toBeNull();
    for (const junk of ['', '.', 'abc', `${payload}.`, `${payload}.${signature}.x`, 'x'.repeat(5000), '%ZZ.%ZZ'])
      expect(verifyTrackingToken([secret], 'click', junk)).toBeNull();
    // Signed, but not a web address: never followed.
    const js = trackingToken(secret, { kind: 'click', ...message, linkIndex: 0, url: 'javascript:alert(1)' });
    expect(verifyTrackingToken([secret], 'click', js)).toBeNull();
    // Nor one that would break the Location header.
    const split = trackingToken(secret, { kind: 'click', ...message, linkIndex: 0, url: 'https://shop.example.test/\r\nSet-Cookie: a=1' });
    expect(verifyTrackingToken([secret], 'click', split)).toBeNull();
  });
});

describe('trackLinks', () => {
  const options = { publicUrl: `${base}/`, secret, message };
  const unsubscribe = `${base}/unsubscribe/abc.def`;

  it('rewrites http(s) links of both parts through signed redirects to the same addresses, and adds the pixel', () => {
    const html = `<html><body><a href="https://shop.example.test/?a=1&amp;b=2">Shop</a> <a class="x" href='http://blog.example.test/p'>Blog</a>
<a href="mailto:help@example.test">Help</a> <a href="${unsubscribe}">Unsubscribe</a> <a href="#top">Top</a></body></html>`;
    const text = `Shop: https://shop.example.test/?a=1&b=2. Docs: https://docs.example.test/x, unsubscribe: ${unsubscribe}`;
    const out = trackLinks({ html, text }, options);
    const hrefs = [...(out.html ?? '').matchAll(/href="([^"]*)"/g)].map((m) => m[1] ?? '');
    expect(hrefs.slice(2)).toEqual(['mailto:help@example.test', unsubscribe, '#top']);
    const targets = hrefs.slice(0, 2).map((h) => {
      expect(h.startsWith(`${base}/t/c/`)).toBe(true);
      return verifyTrackingToken([secret], 'click', tokenOf(h.replace(/&amp;/g, '&')));
    });
    expect(targets.map((t) => [t?.linkIndex, t?.url])).toEqual([
      [0, 'https://shop.example.test/?a=1&b=2'],
      [1, 'http://blog.example.test/p'],
    ]);
    const pixel = /<img src="([^"]+)"[^>]*><\/body>/.exec(out.html ?? '')?.[1] ?? '';
    expect(pixel).toMatch(new RegExp(`^${base}/t/o/.+\\.gif$`));
    expect(verifyTrackingToken([secret], 'open', tokenOf(pixel))).toEqual({ kind: 'open', ...message });
    // The text part: the same address is the same link; the full stop after it stays outside; unsubscribe untouched.
    const textLinks = [...out.text.matchAll(/https:\/\/mail\.example\.test\/t\/c\/([^\s,.]+\.[A-Za-z0-9_-]{32})/g)].map((m) =>
      verifyTrackingToken([secret], 'click', m[1] ?? ''),
    );
    expect(textLinks.map((t) => [t?.linkIndex, t?.url])).toEqual([
      [0, 'https://shop.example.test/?a=1&b=2'],
      [2, 'https://docs.example.test/x'],
    ]);
    expect(out.text).toContain(`unsubscribe: ${unsubscribe}`);
    expect(out.text).not.toContain('https://shop.example.test');
  });

  it('leaves the unsubscribe footer of a composed message alone, and tracks only with the flow switched on', async () => {
    const profile = { fromName: 'Shop', fromEmail: 'shop@example.test', replyTo: '' };
    const content = { subject: 'Hi', text: 'See https://shop.example.test/', html: '<p><a href="https://shop.example.test/">Shop</a></p>' };
    const plain = await composeMessage(profile, { name: 'Ada', email: 'ada@example.test' }, content, '<m@x>', { unsubscribeUrl: unsubscribe });
    expect(plain.html).toContain('href="https://shop.example.test/"');
    expect(plain.html).not.toContain('/t/o/');
    const tracked = await composeMessage(profile, { name: 'Ada', email: 'ada@example.test' }, content, '<m@x>', {
      unsubscribeUrl: unsubscribe,
      tracking: options,
    });
    expect(tracked.html).not.toContain('href="https://shop.example.test/"');
    expect(tracked.html).toContain(`<a href="${unsubscribe}">unsubscribe</a>`);
    expect(tracked.html).toContain('/t/o/');
    expect(tracked.text).toContain(`unsubscribe: ${unsubscribe}`);
  });

  it('flags privacy proxies, prefetches and scanners as machines, people as people', () => {
    const person = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15';
    const sent = 1_000_000;
    expect(isMachine('open', person, sent + PREFETCH_MS + 1, sent)).toBe(false);
    expect(isMachine('open', person, sent + 2000, sent)).toBe(true);
    expect(isMachine('open', 'Mozilla/5.0', sent + 3_600_000, sent)).toBe(true);
    expect(
      isMachine('open', 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)', sent + 3_600_000, sent),
    ).toBe(true);
    expect(isMachine('click', person, sent + 1000, sent)).toBe(false);
    expect(isMachine('click', 'python-requests/2.31', sent + 3_600_000, sent)).toBe(true);
    expect(isMachine('click', '', sent + 3_600_000, sent)).toBe(true);
  });
});

describe.each(databases)('opens and clicks recorded and counted on %s', (dialect) => {
  let db: Db;
  const person = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0';
  const click = (contactId: string, linkIndex: number, url: string) =>
    trackingToken(secret, { kind: 'click', runId: 'run_t', nodeId: 'send', contactId, linkIndex, url });
  const open = (contactId: string) => `${trackingToken(secret, { kind: 'open', runId: 'run_t', nodeId: 'send', contactId })}.gif`;

  beforeAll(async () => {
    db = (await tempInstallOn(dialect)).db;
    await insertContacts(db, [
      { id: 'ct_a', email: 'a@example.test', name: 'A' },
      { id: 'ct_b', email: 'b@example.test', name: 'B' },
    ]);
    const plan = await publishForTest(db, 'tracked', graphWithDelay({ mode: 'fixed', amount: 1, unit: 'hours' }));
    await insertRun(db, {
      id: 'run_t',
      flowId: 'tracked',
      version: plan.version,
      startedBy: null,
      idempotencyKey: null,
      audience: { kind: 'all' },
      workflowId: 'campaign:run_t',
      plan,
    });
    // a's message was sent an hour ago, b's just now (so b's open is a prefetch).
    const sent = (contactId: string, at: number) =>
      db
        .insertInto('sends')
        .values({ runId: 'run_t', nodeId: 'send', contactId, status: 'SENT', messageId: `<${contactId}@x>`, updatedAt: new Date(at).toISOString() })
        .execute();
    await sent('ct_a', Date.now() - 3_600_000);
    await sent('ct_b', Date.now());
  });
  afterAll(async () => db?.destroy());

  it('is off for a flow until its owner switches it on', async () => {
    expect(await tracksEngagement(db, 'run_t')).toBe(false);
    await setFlowTracking(db, 'tracked', true);
    expect(await flowTracking(db, 'tracked')).toBe(true);
    expect(await tracksEngagement(db, 'run_t')).toBe(true);
    expect(await tracksEngagement(db, 'no_such_run')).toBe(false);
  });

  it('records verified opens and clicks, refuses the rest, and counts them per step and link', async () => {
    expect(await recordClick(db, [secret], click('ct_a', 0, 'https://shop.example.test/'), person, '10.0.0.1')).toBe('https://shop.example.test/');
    expect(await recordClick(db, [secret], click('ct_a', 0, 'https://shop.example.test/'), person, '10.0.0.1')).toBe('https://shop.example.test/');
    expect(await recordClick(db, [secret], click('ct_b', 1, 'https://blog.example.test/'), person, '10.0.0.2')).toBe('https://blog.example.test/');
    expect(await recordClick(db, [secret], click('ct_b', 0, 'https://shop.example.test/'), 'curl/8.0', '10.0.0.3')).toBe(
      'https://shop.example.test/',
    );
    expect(await recordClick(db, [other], click('ct_a', 0, 'https://shop.example.test/'), person, '10.0.0.1')).toBeNull();
    await recordOpen(db, [secret], open('ct_a'), person, '10.0.0.1');
    await recordOpen(db, [secret], open('ct_b'), person, '10.0.0.2');
    await recordOpen(db, [secret], 'junk.gif', person, '10.0.0.2');
    expect(await engagementCounts(db, 'run_t')).toEqual([
      {
        nodeId: 'send',
        opens: { total: 1, unique: 1, machine: 1 },
        clicks: { total: 3, unique: 2, machine: 1 },
        links: [
          { linkIndex: 0, url: 'https://shop.example.test/', total: 2, unique: 1 },
          { linkIndex: 1, url: 'https://blog.example.test/', total: 1, unique: 1 },
        ],
      },
    ]);
    const facts = await engagementOf(db, 'run_t', ['ct_a', 'ct_b'], ['send']);
    expect(facts.get('ct_a')?.send?.opened).toBeGreaterThan(0);
    expect(facts.get('ct_a')?.send?.clicked).toBeGreaterThan(0);
    // b's only open was a prefetch: not a person's.
    expect(facts.get('ct_b')?.send?.opened).toBeUndefined();
    expect(facts.get('ct_b')?.send?.sentAt).toBeGreaterThan(0);
  });
});
