/** Pools of profiles: the weighted choice of each recipient's member, and the failover rule (domain/flow/pool.ts). */
import { describe, expect, it } from 'vitest';
import { Pool, poolMember, stepProfileIds } from '../domain/flow/pool';
import { SendEmailData, sendEmail } from '../domain/flow/nodes/send-email';
import { fieldLabel } from '../domain/flow/field-labels';

const contacts = Array.from({ length: 20_000 }, (_, i) => `c_${i.toString(36)}`);
const shares = (chosen: (string | undefined)[]) => {
  const counts = new Map<string, number>();
  for (const c of chosen) counts.set(String(c), (counts.get(String(c)) ?? 0) + 1);
  return Object.fromEntries([...counts].map(([k, n]) => [k, n / chosen.length]));
};

describe('poolMember, the weighted choice', () => {
  const pool = [
    { profileId: 'ses', weight: 3 },
    { profileId: 'postmark', weight: 1 },
  ];

  it('gives each member about its weight’s share', () => {
    const got = shares(contacts.map((c) => poolMember(c, pool)));
    expect(got.ses).toBeGreaterThan(0.73);
    expect(got.ses).toBeLessThan(0.77);
    expect(got.postmark).toBeGreaterThan(0.23);
    expect(got.postmark).toBeLessThan(0.27);
  });

  it('splits equal weights about evenly among three', () => {
    const three = [
      { profileId: 'a', weight: 1 },
      { profileId: 'b', weight: 1 },
      { profileId: 'c', weight: 1 },
    ];
    const got = shares(contacts.map((c) => poolMember(c, three)));
    for (const id of ['a', 'b', 'c']) {
      expect(got[id]).toBeGreaterThan(0.31);
      expect(got[id]).toBeLessThan(0.36);
    }
  });

  it('is deterministic: the same contact gets the same member, whatever the order of the members', () => {
    const reversed = [...pool].reverse();
    for (const c of contacts.slice(0, 2000)) {
      expect(poolMember(c, pool)).toBe(poolMember(c, pool));
      expect(poolMember(c, reversed)).toBe(poolMember(c, pool));
    }
  });
});

describe('the failover rule', () => {
  const pool = [
    { profileId: 'a', weight: 2 },
    { profileId: 'b', weight: 1 },
    { profileId: 'c', weight: 1 },
  ];

  it('moves only the paused member’s recipients, and spreads them over the others by weight', () => {
    const before = contacts.map((c) => poolMember(c, pool));
    const after = contacts.map((c) => poolMember(c, pool, new Set(['a'])));
    const moved = { b: 0, c: 0 };
    contacts.forEach((_, i) => {
      if (before[i] !== 'a') expect(after[i]).toBe(before[i]);
      else {
        expect(after[i]).not.toBe('a');
        moved[after[i] as 'b' | 'c']++;
      }
    });
    const total = moved.b + moved.c;
    expect(total).toBeGreaterThan(contacts.length * 0.45);
    expect(moved.b / total).toBeGreaterThan(0.45);
    expect(moved.b / total).toBeLessThan(0.55);
  });

  it('comes back to the same member once the paused one is usable again', () => {
    for (const c of contacts.slice(0, 500)) expect(poolMember(c, pool, new Set())).toBe(poolMember(c, pool));
  });

  it('has no member when every member is paused', () => {
    expect(poolMember('c_1', pool, new Set(['a', 'b', 'c']))).toBeUndefined();
  });
});

describe('a Send step’s pool', () => {
  const data = { profileId: 'a', subject: 'Hi', text: 'Hello' };

  it('refuses a pool of one, a profile twice, and a weight out of range, naming the field', () => {
    const problems = (pool: unknown) =>
      (SendEmailData.safeParse({ ...data, pool }).error?.issues ?? []).map((i) => `${fieldLabel(`data.${i.path.join('.')}`)}: ${i.message}`);
    expect(problems([{ profileId: 'a', weight: 1 }])).toEqual([expect.stringMatching(/^Pool of senders: a pool needs at least two profiles/)]);
    expect(
      problems([
        { profileId: 'a', weight: 1 },
        { profileId: 'a', weight: 2 },
      ]),
    ).toEqual(['Pool of senders: each profile may be in the pool once']);
    expect(
      problems([
        { profileId: 'a', weight: 1 },
        { profileId: 'b', weight: 0 },
      ]),
    ).toEqual(['Pool member 2 weight: weight must be at least 1']);
    expect(
      problems([
        { profileId: 'a', weight: 1.5 },
        { profileId: 'b', weight: 1 },
      ]),
    ).toEqual(['Pool member 1 weight: weight must be a whole number from 1 to 100']);
    expect(
      Pool.safeParse([
        { profileId: 'a', weight: 1 },
        { profileId: 'b', weight: 100 },
      ]).success,
    ).toBe(true);
  });

  it('compiles into a step that names every member, the first as its profile', () => {
    const pool = [
      { profileId: 'b', weight: 2 },
      { profileId: 'c', weight: 1 },
    ];
    const step = sendEmail.step({ ...data, pool }, 'exit', {})!;
    expect(step.profileId).toBe('b');
    expect(step.pool).toEqual(pool);
    expect(stepProfileIds(step)).toEqual(['b', 'c']);
    const one = sendEmail.step(data, 'exit', {})!;
    expect(one.pool).toBeUndefined();
    expect(stepProfileIds(one)).toEqual(['a']);
  });
});
