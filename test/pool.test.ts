/**
 * Pools of profiles: the weighted choice of each recipient's member and the failover rule (domain/flow/pool.ts,
 * pure), then on SQLite and PostgreSQL: publishing's check of each member, a run's pool, and the member chosen
 * when one is at its daily cap or paused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SendEmailStep } from '../domain/flow/plan';
import type { FlowGraph } from '../domain/flow/schema';
import type { Db } from '../server/db';
import { recordDeliveryAttempt } from '../server/db/deliveries';
import { saveFlowDraft } from '../server/db/flows';
import { listRunAttempts } from '../server/db/runs';
import { getSmtpProfile, insertSmtpProfile, markProfileFailing } from '../server/db/smtp-profiles';
import { reserveSendSlot } from '../server/db/throttle';
import type { UserError } from '../server/errors';
import { publishFlow } from '../server/flows';
import { resolvePlanSenders } from '../server/runs/start';
import { memberFor } from '../server/sending/pool';
import { nextProfile, startPool, withPool } from '../web/components/flow-editor/pool-edits';
import { AGENT_DEFAULT } from '../domain/senders';
import { databases, tempInstallOn } from './databases';
import { profileInput, sendGraph } from './helpers';
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

describe('the editor’s pool edits', () => {
  const profiles = [
    { id: 'sandbox', name: 'Sandbox', fromEmail: 'a@x.test', fromName: '', isDefault: true },
    { id: 'ses', name: 'SES', fromEmail: 'b@x.test', fromName: '', isDefault: false },
  ];
  const data = { profileId: 'sandbox', subject: 'Hi', text: 'Hello' };

  it('starts a pool of two from the one sender, adds profiles not in it yet, and a pool of one is a sender again', () => {
    const started = startPool(data, profiles);
    expect(started.pool).toEqual([
      { profileId: 'sandbox', weight: 1 },
      { profileId: 'ses', weight: 1 },
    ]);
    expect(nextProfile(started.pool!, profiles)).toBe(AGENT_DEFAULT);
    // The first member is the node's profile, whatever order the pool is in.
    const swapped = withPool(started, [...started.pool!].reverse());
    expect(swapped.profileId).toBe('ses');
    const one = withPool(swapped, [{ profileId: 'sandbox', weight: 3 }]);
    expect(one).toEqual({ ...data, profileId: 'sandbox' });
    expect(SendEmailData.safeParse(started).success).toBe(true);
  });
});

describe.each(databases)('pools on %s', (dialect) => {
  const admin = { id: 'admin-test', role: 'admin' as const };
  const pool = [
    { profileId: 'sandbox', weight: 1 },
    { profileId: 'second', weight: 1 },
  ];
  const pooled = (members: typeof pool): FlowGraph => {
    const graph = sendGraph('sandbox');
    return { ...graph, nodes: graph.nodes.map((n) => (n.type === 'sendEmail' ? { ...n, data: { ...n.data, pool: members } } : n)) };
  };
  let db: Db;
  beforeAll(async () => {
    ({ db } = await tempInstallOn(dialect));
    await insertSmtpProfile(db, profileInput({ name: 'Second', dailyCap: 1 }), { id: 'second', passwordEnc: '', ownerId: null });
  });
  afterAll(async () => db?.destroy());

  it('publishing checks each member of the pool, naming the member that does not exist', async () => {
    await saveFlowDraft(db, { id: 'ghost-pool', name: 'Ghost pool', graph: pooled([pool[0]!, { profileId: 'ghost', weight: 1 }]) });
    const refused = await publishFlow(db, 'ghost-pool', admin).catch((err: unknown) => err);
    expect(refused).toMatchObject({ status: 422, code: 'unknown_profile' });
    expect((refused as UserError).details).toEqual([
      { nodeId: 's', field: 'data.pool.1.profileId', message: 'SMTP profile "ghost" does not exist; choose another sender' },
    ]);
    await saveFlowDraft(db, { id: 'good-pool', name: 'Good pool', graph: pooled(pool) });
    await expect(publishFlow(db, 'good-pool', admin)).resolves.toMatchObject({ version: 1 });
  });

  it('starting a run keeps the pool; sending every step with one profile drops it', async () => {
    const plan = {
      schemaVersion: 1,
      flowId: 'f',
      version: 1,
      entry: 's',
      steps: { s: sendEmail.step({ profileId: 'sandbox', subject: 'Hi', text: 'Hello', pool }, 'x', {})! },
    };
    const kept = (await resolvePlanSenders(db, admin, plan as never)).steps.s as SendEmailStep;
    expect(kept.pool).toEqual(pool);
    const one = (await resolvePlanSenders(db, admin, plan as never, 'second')).steps.s as SendEmailStep;
    expect(one).toMatchObject({ profileId: 'second' });
    expect(one.pool).toBeUndefined();
  });

  it('fails over from a member at its daily cap, and from a paused one, and records the profile of each attempt', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `ct_${i}`);
    const second = ids.filter((c) => poolMember(c, pool) === 'second');
    expect(second.length).toBeGreaterThan(0);
    for (const c of second) expect(await memberFor(db, c, pool)).toBe('second');
    // One send today reaches Second's cap of one: its recipients go to the sandbox, the others stay.
    const profile = await getSmtpProfile(db, 'second');
    expect(await reserveSendSlot(db, profile!, Date.now())).toMatchObject({ ok: true });
    for (const c of ids) expect(await memberFor(db, c, pool)).toBe('sandbox');
    await markProfileFailing(db, 'sandbox', '535 refused');
    // Every member unusable: each contact keeps their own member (whose send then waits as a paused profile's does).
    for (const c of second) expect(await memberFor(db, c, pool)).toBe('second');

    await recordDeliveryAttempt(db, {
      runId: 'run_pool',
      nodeId: 's',
      contactId: 'ct_0',
      workflowId: 'wf',
      attempt: 1,
      outcome: 'sent',
      smtpCode: 250,
      smtpReply: '250 OK',
      messageId: '<m@x>',
      profileId: 'second',
    });
    const [row] = (await listRunAttempts(db, 'run_pool', { offset: 0, limit: 10 })).items;
    expect(row?.profileId).toBe('second');
  });
});
