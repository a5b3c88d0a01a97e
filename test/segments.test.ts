/**
 * Segments: the SQL a ContactFilter compiles to agrees with `matchesFilter` on generated contacts and
 * filters (fast-check); the live count at 100,000 contacts is one pass over the table; a filter is
 * checked against the attributes contacts have, each problem naming its field; names are unique.
 * All of it on SQLite and on PostgreSQL (each compiles the filter its own way).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttributeValue } from '../domain/contact';
import { ContactFilter, matchesFilter } from '../domain/contact-filter';
import type { Db } from '../server/db';
import { asFilterable, contactMatchesFilter, countMatching, explainCountMatching, matchingContactIds } from '../server/db/contact-filter';
import { defineAttributes, insertContacts, listContacts, setContactStatus } from '../server/db/contacts';
import { UserError } from '../server/errors';
import { countFilter, createSegment, saveSegment } from '../server/segments';
import { databases, tempInstallOn } from './databases';

let db: Db;

// ---- generators: small alphabets, so that values collide and edge cases (case, %, _, \, non-ASCII) come up often

const char = fc.constantFrom('a', 'A', 'b', 'B', 'z', '%', '_', '\\', 'é', 'É', 'ß', '1', '-', ' ', '😀');
const text = fc.string({ unit: char, maxLength: 4 });
const isoDate = fc.date({ min: new Date('1990-01-01'), max: new Date('2040-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
const number = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(0.5, -2.5, 1e21, 123456789012),
  fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }),
);
const value: fc.Arbitrary<AttributeValue> = fc.oneof(text, isoDate, fc.constant('2027-13-45'), number, fc.boolean());
/** Each name may hold any type: the evaluators must agree even where the app's typing would not allow it. */
const NAMES = ['plan', 'age', 'vip', 'signed_up', 'note'] as const;
const attributes = fc.record(Object.fromEntries(NAMES.map((n) => [n, value])) as Record<(typeof NAMES)[number], fc.Arbitrary<AttributeValue>>, {
  requiredKeys: [],
});
const contact = fc.record({
  local: fc.string({ unit: fc.constantFrom('a', 'b', '_', '%', 'é'), maxLength: 3 }),
  name: fc.oneof(fc.constant(''), text),
  attributes,
});

const scalar = fc.oneof(text, isoDate, number, fc.boolean());
const field = fc.constantFrom(...NAMES, 'email', 'name', 'missing');
const rule = fc.oneof(
  fc.record({ field, op: fc.constantFrom('equals', 'notEquals'), value: scalar }),
  fc.record({ field, op: fc.constantFrom('in', 'notIn'), value: fc.array(scalar, { minLength: 1, maxLength: 4 }) }),
  fc.record({ field, op: fc.constantFrom('exists', 'notExists') }),
  fc.record({ field, op: fc.constant('contains'), value: fc.string({ unit: char, minLength: 1, maxLength: 3 }) }),
  fc.record({ field, op: fc.constantFrom('gt', 'gte', 'lt', 'lte'), value: number }),
  fc.record({ field, op: fc.constantFrom('before', 'after'), value: isoDate }),
);
const filter = fc
  .record({ match: fc.constantFrom('all', 'any'), rules: fc.array(rule, { minLength: 1, maxLength: 4 }) })
  .map((f) => ContactFilter.parse(f));

describe.each(databases)('on %s', (dialect) => {
  beforeAll(async () => {
    ({ db } = await tempInstallOn(dialect));
  });
  afterAll(async () => db?.destroy());

  describe('a contact filter in SQL', () => {
    it('matches exactly the contacts matchesFilter matches, on generated contacts and filters', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(contact, { minLength: 1, maxLength: 25 }),
          fc.array(filter, { minLength: 1, maxLength: 5 }),
          async (people, filters) => {
            run++;
            await db.deleteFrom('contacts').execute();
            const stored = await insertContacts(
              db,
              people.map((p, i) => ({
                id: `c${String(i).padStart(3, '0')}`,
                email: `r${run}-${i}${p.local}@ex.test`,
                name: p.name,
                attributes: p.attributes,
              })),
            );
            for (const f of filters) {
              const expected = stored.filter((c) => matchesFilter(asFilterable(c), f)).map((c) => c.id);
              expect(await matchingContactIds(db, f), JSON.stringify(f)).toEqual(expected);
            }
            // The one-contact evaluator is the same SQL.
            const first = stored[0];
            const f0 = filters[0];
            if (first && f0) expect(await contactMatchesFilter(db, first.id, f0)).toBe(matchesFilter(asFilterable(first), f0));
          },
        ),
        { numRuns: 150 },
      );
      expect(
        await contactMatchesFilter(db, 'nobody', ContactFilter.parse({ match: 'all', rules: [{ field: 'plan', op: 'exists' }] })),
      ).toBeUndefined();
    });

    it('passes the cases that differ between the two worlds by hand: JSON true is not 1, "1" is not 1, LIKE wildcards are literal', async () => {
      await db.deleteFrom('contacts').execute();
      await insertContacts(db, [
        { id: 'a', email: 'a@ex.test', attributes: { vip: true, age: 1, plan: '100%_off' } },
        { id: 'b', email: 'b@ex.test', attributes: { vip: false, age: '1' as unknown as number, plan: '100 off' } },
        { id: 'c', email: 'c@ex.test', name: 'Ünïcode', attributes: {} },
      ]);
      const ids = (rules: unknown[], match = 'all') => matchingContactIds(db, ContactFilter.parse({ match, rules }));
      expect(await ids([{ field: 'vip', op: 'equals', value: 1 }])).toEqual([]);
      expect(await ids([{ field: 'vip', op: 'equals', value: true }])).toEqual(['a']);
      expect(await ids([{ field: 'vip', op: 'notEquals', value: true }])).toEqual(['b', 'c']);
      expect(await ids([{ field: 'age', op: 'equals', value: 1 }])).toEqual(['a']);
      expect(await ids([{ field: 'age', op: 'gte', value: 0 }])).toEqual(['a']);
      expect(await ids([{ field: 'plan', op: 'contains', value: '%_' }])).toEqual(['a']);
      expect(await ids([{ field: 'plan', op: 'contains', value: '0 O' }])).toEqual(['b']);
      expect(await ids([{ field: 'name', op: 'exists' }])).toEqual(['c']);
      expect(await ids([{ field: 'name', op: 'contains', value: 'üNÏ' }])).toEqual([]);
      expect(await ids([{ field: 'email', op: 'in', value: ['B@EX.TEST', 'x@ex.test'] }])).toEqual(['b']);
    });
  });

  describe('the live count at 100,000 contacts', () => {
    it('counts in one pass over the table, equal to matchesFilter over every contact', async () => {
      await db.deleteFrom('contacts').execute();
      const plans = ['free', 'pro', 'team', 'Enterprise'];
      await insertContacts(
        db,
        Array.from({ length: 100_000 }, (_, i) => ({
          id: `ct_${String(i).padStart(6, '0')}`,
          email: `person${i}@example.test`,
          name: i % 7 === 0 ? '' : `Person ${i}`,
          attributes: {
            plan: plans[i % 4] as string,
            age: 18 + (i % 60),
            ...(i % 3 === 0 ? { vip: i % 2 === 0 } : {}),
            signed_up: `20${20 + (i % 8)}-0${1 + (i % 9)}-1${i % 10}`,
          },
        })),
      );
      for (let i = 0; i < 100_000; i += 997) await setContactStatus(db, `ct_${String(i).padStart(6, '0')}`, 'unsubscribed', 'test');
      const f = ContactFilter.parse({
        match: 'all',
        rules: [
          { field: 'plan', op: 'in', value: ['pro', 'team'] },
          { field: 'age', op: 'gte', value: 30 },
          { field: 'signed_up', op: 'after', value: '2023-06-30' },
          { field: 'email', op: 'contains', value: '9@' },
        ],
      });
      if (dialect === 'sqlite') {
        // SQLite's plan: one scan of contacts; the IN lists are json_each lookups, never a sort or a temporary b-tree.
        const plan = await explainCountMatching(db, f);
        expect(plan.filter((d) => /^SCAN contacts/.test(d))).toHaveLength(1);
        expect(plan.join('\n')).not.toMatch(/TEMP B-TREE/);
      }
      const started = performance.now();
      const count = await countMatching(db, f);
      const ms = performance.now() - started;
      const everyone = await listContacts(db, 200_000);
      const expected = everyone.filter((c) => matchesFilter(asFilterable(c), f));
      expect(count).toEqual({ contacts: expected.length, subscribed: expected.filter((c) => c.status === 'subscribed').length });
      expect(count.subscribed).toBeGreaterThan(0);
      expect(count.subscribed).toBeLessThan(count.contacts);
      // Reported, not asserted (no timing assertions): on the 2-core bench machine this is tens of milliseconds.
      console.log(`[segments] live count over 100,000 contacts on ${dialect} (4 rules): ${ms.toFixed(0)} ms`);
    }, 120_000);
  });

  describe('saving a segment', () => {
    it('names the field of each problem the schema cannot see, and keeps names unique', async () => {
      await defineAttributes(db, [
        { name: 'plan', type: 'text' },
        { name: 'age', type: 'number' },
      ]);
      const problem = await countFilter(
        db,
        ContactFilter.parse({
          match: 'any',
          rules: [
            { field: 'plan', op: 'exists' },
            { field: 'plan', op: 'gt', value: 3 },
            { field: 'shoe_size', op: 'equals', value: 42 },
          ],
        }),
      ).catch((e: unknown) => e);
      expect(problem).toBeInstanceOf(UserError);
      expect(problem).toMatchObject({
        status: 422,
        code: 'invalid_filter',
        details: {
          field: 'filter.rules.1.op',
          problems: [
            { field: 'filter.rules.1.op', message: expect.stringMatching(/plan is a text attribute/) },
            { field: 'filter.rules.2.field', message: expect.stringMatching(/no contact has an attribute named shoe_size/) },
          ],
        },
      });
      const filter = ContactFilter.parse({ match: 'all', rules: [{ field: 'age', op: 'lt', value: 30 }] });
      const owner = { id: 'u1', role: 'agent' as const };
      const young = await createSegment(db, owner, { name: 'Young', filter });
      const other = await createSegment(db, owner, { name: 'Old', filter });
      await expect(createSegment(db, owner, { name: 'YOUNG', filter })).rejects.toMatchObject({ status: 409, details: { field: 'name' } });
      await expect(saveSegment(db, owner, other.id, { name: 'young', filter })).rejects.toMatchObject({ status: 409, details: { field: 'name' } });
      expect((await saveSegment(db, owner, young.id, { name: 'Young people', filter })).name).toBe('Young people');
      await expect(saveSegment(db, owner, 'seg_nope', { name: 'X', filter })).rejects.toMatchObject({ status: 404 });
    });
  });
});
