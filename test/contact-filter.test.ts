import { describe, expect, it } from 'vitest';
import { checkFilter, ContactFilter, describeFilter, matchesFilter } from '../domain/contact-filter';

const ann = { email: 'ann@example.org', name: 'Ann', attributes: { plan: 'Pro', age: 41, vip: true, signed_up: '2027-03-10' } };
const bob = { email: 'bob@example.org', name: null, attributes: { plan: 'free', age: 19 } };
const f = (input: unknown) => ContactFilter.parse(input);

describe('contact filters', () => {
  it('combines rules with all and any', () => {
    const all = f({
      match: 'all',
      rules: [
        { field: 'plan', op: 'equals', value: 'Pro' },
        { field: 'age', op: 'gt', value: 40 },
      ],
    });
    const any = f({
      match: 'any',
      rules: [
        { field: 'plan', op: 'equals', value: 'free' },
        { field: 'vip', op: 'equals', value: true },
      ],
    });
    expect([ann, bob].map((c) => matchesFilter(c, all))).toEqual([true, false]);
    expect([ann, bob].map((c) => matchesFilter(c, any))).toEqual([true, true]);
  });

  it('treats a missing attribute as "is not" and never as a comparison', () => {
    expect(matchesFilter(bob, f({ match: 'all', rules: [{ field: 'vip', op: 'notEquals', value: true }] }))).toBe(true);
    expect(matchesFilter(bob, f({ match: 'all', rules: [{ field: 'signed_up', op: 'before', value: '2030-01-01' }] }))).toBe(false);
    expect(matchesFilter(bob, f({ match: 'all', rules: [{ field: 'name', op: 'notExists' }] }))).toBe(true);
  });

  it('contains ignores the case of A-Z; rules on email are lower-cased', () => {
    expect(matchesFilter(ann, f({ match: 'all', rules: [{ field: 'plan', op: 'contains', value: 'PR' }] }))).toBe(true);
    expect(matchesFilter(ann, f({ match: 'all', rules: [{ field: 'email', op: 'in', value: ['ANN@example.org'] }] }))).toBe(true);
    expect(matchesFilter(ann, f({ match: 'all', rules: [{ field: 'plan', op: 'equals', value: 'pro' }] }))).toBe(false);
  });

  it('compares dates as dates', () => {
    expect(matchesFilter(ann, f({ match: 'all', rules: [{ field: 'signed_up', op: 'after', value: '2027-03-09' }] }))).toBe(true);
    expect(
      ContactFilter.safeParse({ match: 'all', rules: [{ field: 'signed_up', op: 'after', value: '10/03/2027' }] }).error?.issues[0]?.message,
    ).toMatch(/YYYY-MM-DD/);
  });

  it('names the rule whose attribute is unknown or whose operator does not fit its type', () => {
    const filter = f({
      match: 'all',
      rules: [
        { field: 'colour', op: 'exists' },
        { field: 'plan', op: 'gt', value: 3 },
      ],
    });
    expect(checkFilter(filter, { plan: 'text' })).toEqual([
      { field: 'rules.0.field', message: expect.stringMatching(/no contact has an attribute named colour/) },
      { field: 'rules.1.op', message: expect.stringMatching(/plan is a text attribute/) },
    ]);
    expect(describeFilter(filter)).toBe('colour is set and plan is more than 3');
  });
});
