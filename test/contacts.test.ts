/** Contacts with attributes, templates over them, the contacts list at 100,000 contacts (on SQLite and on PostgreSQL), and unsubscribe tokens. */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coerceAttribute, isTimeZone } from '../domain/contact';
import { applyAttributeChanges } from '../server/contacts';
import type { Db } from '../server/db';
import {
  explainContactSearch,
  getContact,
  insertContacts,
  isDuplicateEmail,
  listAttributeDefinitions,
  type NewContact,
  parseContactSearch,
  searchContacts,
  updateContact,
} from '../server/db/contacts';
import { UserError } from '../server/errors';
import { badMailbox } from '../server/smtp/classify';
import { composeMessage } from '../server/smtp/message';
import { isTransactionalRun, unsubscribeToken, unsubscribeUrl, verifyUnsubscribeToken } from '../server/unsubscribe';
import { databases, tempInstallOn } from './databases';

describe('campaign messages', () => {
  const profile = { fromName: 'News', fromEmail: 'news@example.test', replyTo: '' };
  const url = unsubscribeUrl('https://mail.example.test/', Buffer.alloc(32, 9), 'ct_ada');

  it('carry List-Unsubscribe (RFC 8058 one-click) and append the link when the body does not use it', async () => {
    const m = await composeMessage(
      profile,
      { name: 'Ada', email: 'ada@example.test', attributes: '{"plan":"pro"}' },
      { subject: 'Hi', text: 'Your plan: {{ plan }}' },
      '<x@y>',
      {
        unsubscribeUrl: url,
      },
    );
    expect(url).toMatch(/^https:\/\/mail\.example\.test\/unsubscribe\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{32}$/);
    expect(m.headers).toEqual({ 'List-Unsubscribe': `<${url}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' });
    expect(m.text).toBe(`Your plan: pro\n\n--\nTo stop receiving these emails, unsubscribe: ${url}\n`);
  });

  it('fill {{ unsubscribe_url }} where the body puts it, without appending it again', async () => {
    const m = await composeMessage(
      profile,
      { name: 'Ada', email: 'ada@example.test' },
      { subject: 'Hi', text: 'Leave: {{ unsubscribe_url }}' },
      '<x@y>',
      {
        unsubscribeUrl: url,
      },
    );
    expect(m.text).toBe(`Leave: ${url}`);
  });

  it('one-off messages are transactional: no link, no header', async () => {
    const m = await composeMessage(profile, { name: 'Ada', email: 'ada@example.test' }, { subject: 'Hi', text: 'Hello' }, '<x@y>');
    expect(m.headers).toBeUndefined();
    expect(m.text).toBe('Hello');
    expect(isTransactionalRun('oneoff_123')).toBe(true);
    expect(isTransactionalRun('run_123')).toBe(false);
  });
});

describe('unsubscribe tokens', () => {
  const key = Buffer.alloc(32, 1);
  const previous = Buffer.alloc(32, 2);

  it('name the contact they were signed for, under the current key or a previous one', () => {
    expect(verifyUnsubscribeToken([key], unsubscribeToken(key, 'ct_ada'))).toBe('ct_ada');
    expect(verifyUnsubscribeToken([key, previous], unsubscribeToken(previous, 'ct_ada'))).toBe('ct_ada');
  });

  it('refuse a token for another contact, a forged signature, another key and garbage', () => {
    const token = unsubscribeToken(key, 'ct_ada');
    const [, sig] = token.split('.');
    expect(verifyUnsubscribeToken([key], `${Buffer.from('ct_grace').toString('base64url')}.${sig}`)).toBeNull();
    expect(verifyUnsubscribeToken([key], `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`)).toBeNull();
    expect(verifyUnsubscribeToken([previous], token)).toBeNull();
    expect(verifyUnsubscribeToken([key], 'not-a-token')).toBeNull();
    expect(verifyUnsubscribeToken([key], '')).toBeNull();
  });
});

describe('bounces that suppress', () => {
  it('a 5xx naming the mailbox suppresses; policy refusals and a full mailbox do not', () => {
    expect(badMailbox({ responseCode: 550, response: '550 5.1.1 Mailbox unavailable', command: 'RCPT TO' })).toBe(true);
    expect(badMailbox({ responseCode: 550, response: '550 No such user here', command: 'RCPT TO' })).toBe(true);
    expect(badMailbox({ responseCode: 550, response: '550 5.7.1 Message rejected as spam', command: 'DATA' })).toBe(false);
    expect(badMailbox({ responseCode: 552, response: '552 5.2.2 Mailbox full', command: 'RCPT TO' })).toBe(false);
    expect(badMailbox({ responseCode: 451, response: '451 4.1.1 try later', command: 'RCPT TO' })).toBe(false);
  });
});

describe('attributes', () => {
  it('checks values against their type, and a timezone against the IANA zones', () => {
    expect(coerceAttribute('seats', 'number', '12')).toEqual({ ok: true, value: 12 });
    expect(coerceAttribute('seats', 'number', 'twelve')).toMatchObject({ ok: false, message: expect.stringMatching(/seats is a number/) });
    expect(coerceAttribute('vip', 'boolean', 'true')).toEqual({ ok: true, value: true });
    expect(coerceAttribute('since', 'date', '2025-02-30')).toMatchObject({ ok: false, message: expect.stringMatching(/YYYY-MM-DD/) });
    expect(coerceAttribute('since', 'date', '2025-02-28')).toEqual({ ok: true, value: '2025-02-28' });
    expect(coerceAttribute('timezone', 'text', 'Europe/Paris')).toEqual({ ok: true, value: 'Europe/Paris' });
    expect(coerceAttribute('timezone', 'text', 'Mars/Olympus')).toMatchObject({ ok: false, message: expect.stringMatching(/IANA time zone/) });
    expect(isTimeZone('America/New_York')).toBe(true);
  });
});

describe.each(databases)('contacts in the database, on %s', (dialect) => {
  let db: Db;
  let dir: string;
  const N = 100_000;

  beforeAll(async () => {
    ({ db, dir } = await tempInstallOn(dialect));
    // 100,000 contacts over 100 creation times, every 1,000th on the pro plan.
    for (let batch = 0; batch < N / 1000; batch++) {
      const rows = Array.from({ length: 1000 }, (_, i): NewContact => {
        const n = batch * 1000 + i;
        return {
          id: `ct_${String(n).padStart(6, '0')}`,
          email: `Person${n}@Example.test`,
          name: n % 2 === 0 ? `Person ${n}` : '',
          attributes: n % 1000 === 0 ? { plan: 'Pro', seats: n / 1000 } : { plan: 'free' },
        };
      });
      await insertContacts(db, rows);
      // insertContacts stamps one time per call; spread them so "newest first" has something to order.
      await db
        .updateTable('contacts')
        .set({ createdAt: new Date(Date.UTC(2025, 0, 1, 0, batch)).toISOString() })
        .where(
          'id',
          'in',
          rows.map((r) => r.id ?? ''),
        )
        .execute();
    }
  }, 300_000);

  afterAll(async () => {
    await db?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists newest first, a page at a time, walking the contacts_newest index', async () => {
    const page = await searchContacts(db, parseContactSearch(''), { offset: 0, limit: 3 });
    expect(page.total).toBe(N + 3); // and the three seeded contacts
    if (dialect === 'sqlite') {
      // SQLite's plan (PostgreSQL's planner chooses for itself).
      const plan = await explainContactSearch(db, parseContactSearch(''));
      expect(plan.join('\n')).toMatch(/SCAN contacts USING (COVERING )?INDEX contacts_newest/);
      expect(plan.join('\n')).not.toMatch(/TEMP B-TREE/);
    }
    const newestBatch = (await searchContacts(db, parseContactSearch(''), { offset: 3, limit: 1000 })).contacts;
    // The seeded three are newest (added now); then batch 99, highest id first.
    expect(newestBatch[0]?.id).toBe('ct_099999');
    expect(newestBatch.every((c) => c.id >= 'ct_099000')).toBe(true);
    const later = await searchContacts(db, parseContactSearch(''), { offset: 3 + 1000, limit: 2 });
    expect(later.contacts.map((c) => c.id)).toEqual(['ct_098999', 'ct_098998']);
  });

  it('finds an email by prefix, case-insensitively, through the lower(email) index', async () => {
    const search = parseContactSearch('PERSON4242@');
    expect(search).toEqual({ kind: 'email', prefix: 'person4242@' });
    const found = await searchContacts(db, search, { offset: 0, limit: 10 });
    expect(found.contacts.map((c) => c.id)).toEqual(['ct_004242']);
    expect(found.total).toBe(1);
    if (dialect === 'sqlite') expect((await explainContactSearch(db, search)).join('\n')).toMatch(/USING INDEX contacts_email_lower/);
  });

  it('finds text in the email or the name', async () => {
    const found = await searchContacts(db, parseContactSearch('person 9999'), { offset: 0, limit: 50 });
    // Names "Person 99990", "Person 99992", ... and "Person 9999"? (odd numbers have no name)
    expect(found.contacts.map((c) => c.name).sort()).toEqual(['Person 99990', 'Person 99992', 'Person 99994', 'Person 99996', 'Person 99998']);
    const byEmail = await searchContacts(db, parseContactSearch('son77777'), { offset: 0, limit: 50 });
    expect(byEmail.contacts.map((c) => c.id)).toEqual(['ct_077777']);
  });

  it('finds attribute:value (case-insensitive) and attribute: (has it)', async () => {
    const pro = await searchContacts(db, parseContactSearch('plan:pro'), { offset: 0, limit: 500 });
    expect(pro.total).toBe(100);
    expect(pro.contacts[0]?.id).toBe('ct_099000');
    expect(pro.contacts.every((c) => c.attributes.plan === 'Pro')).toBe(true);
    const seats = await searchContacts(db, parseContactSearch('seats:42'), { offset: 0, limit: 10 });
    expect(seats.contacts.map((c) => c.id)).toEqual(['ct_042000']);
    expect((await searchContacts(db, parseContactSearch('seats:'), { offset: 0, limit: 1 })).total).toBe(100);
  });

  it('tells a second contact with the same email from other refusals', async () => {
    const duplicate = await insertContacts(db, [{ email: 'Person1@Example.test' }]).catch((e: unknown) => e);
    expect(isDuplicateEmail(duplicate)).toBe(true);
    const sameId = await insertContacts(db, [{ id: 'ct_000001', email: 'someone-new@example.test' }]).catch((e: unknown) => e);
    expect(sameId).toBeInstanceOf(Error);
    expect(isDuplicateEmail(sameId)).toBe(false);
  });

  it('applies attribute changes: typed once, checked, every problem at once with its field, nothing written on error', async () => {
    const ada = (await getContact(db, 'ct_ada'))!;
    const next = await applyAttributeChanges(db, ada.attributes, {
      attributes: { seats: '7', vip: true, timezone: 'Europe/Paris', renewal: '2026-01-31', nickname: 'Countess' },
      types: { seats: 'number' },
    });
    expect(next).toEqual({ seats: 7, vip: true, timezone: 'Europe/Paris', renewal: '2026-01-31', nickname: 'Countess' });
    await updateContact(db, 'ct_ada', { attributes: next });
    expect((await getContact(db, 'ct_ada'))?.attributes).toEqual(next);
    const types = Object.fromEntries((await listAttributeDefinitions(db)).map((d) => [d.name, d.type]));
    expect(types).toMatchObject({ seats: 'number', vip: 'boolean', timezone: 'text', renewal: 'date', nickname: 'text' });

    const bad = applyAttributeChanges(db, next, { attributes: { seats: 'many', timezone: 'Nowhere/Land', fresh: 'x' } });
    await expect(bad).rejects.toBeInstanceOf(UserError);
    await expect(bad).rejects.toMatchObject({
      status: 422,
      details: { field: 'attributes.seats', problems: [{ field: 'attributes.seats' }, { field: 'attributes.timezone' }] },
    });
    // "fresh" was not defined, since the request failed as a whole.
    expect((await listAttributeDefinitions(db)).some((d) => d.name === 'fresh')).toBe(false);
    // null removes.
    expect(await applyAttributeChanges(db, next, { attributes: { nickname: null } })).not.toHaveProperty('nickname');
  });
});
