/**
 * The reputation guard: the decision over every threshold (pure), the form's limits, and the count, pause
 * and resume on SQLite and on PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GUARD_DEFAULTS, SmtpProfileInput } from '../domain/smtp-profile';
import type { AppUser } from '../server/auth';
import { createFaultInjector, describeFaults, FAULT_REPLIES, parseFaults } from '../server/sandbox-faults';
import { makeKeyring } from '../server/crypto';
import type { Db } from '../server/db';
import { type GuardKind, pauseByGuard, recentGuardTallies } from '../server/db/guard';
import { getSmtpProfile, markProfileFailing, updateSmtpProfile } from '../server/db/smtp-profiles';
import { createProfile, profileFor, profileView, resumeProfile } from '../server/profiles';
import { guardAfterGroup, guardKind, guardTrip, tallyOf, type Thresholds, windowOf } from '../server/sending/guard';
import type { SendOutcome } from '../server/sending/policy';
import { databaseEnv, databases } from './databases';
import { installWithUsers, profileInput } from './helpers';

const BLOCK = '550 5.7.1 Message rejected: sender blocked by policy';
const BOUNCE = '550 5.1.1 <x@example.test>: mailbox unavailable';
const THROTTLE = '454 4.7.0 Throttling failure: Maximum sending rate exceeded.';

const attempts = (kind: GuardKind, n: number, reply = '250 OK') => Array.from({ length: n }, () => ({ kind, reply }));
const refused = (reply: string, over: Partial<Extract<SendOutcome, { accepted: false }>> = {}): SendOutcome => ({
  accepted: false,
  kind: 'permanent',
  stage: 'RCPT',
  code: Number.parseInt(reply, 10),
  reply,
  unknown: false,
  badMailbox: false,
  ...over,
});

describe('what the guard counts', () => {
  it('names hard bounces, policy blocks and throttle replies, and leaves out answers no server gave', () => {
    expect(guardKind({ accepted: true, reply: '250 OK' })).toBe('accepted');
    expect(guardKind(refused(BLOCK))).toBe('block');
    expect(guardKind(refused(BOUNCE))).toBe('bounce');
    // A 550 without an enhanced code that names the mailbox is a hard bounce too.
    expect(guardKind(refused('550 No such user', { badMailbox: true }))).toBe('bounce');
    expect(guardKind(refused(THROTTLE, { kind: 'throttled' }))).toBe('throttle');
    expect(guardKind(refused('552 5.3.4 Message too big'))).toBe('other');
    expect(guardKind(refused('451 4.3.0 Try later', { kind: 'transient' }))).toBe('other');
    expect(guardKind(refused('connection refused', { kind: 'transient', code: null }))).toBeUndefined();
    expect(guardKind(refused('535 5.7.8 Authentication failed', { kind: 'configuration' }))).toBeUndefined();
  });
});

describe('the guard’s decision', () => {
  const t: Thresholds = { ...GUARD_DEFAULTS };
  const trip = (...groups: { kind: GuardKind; reply: string }[][]) => guardTrip(tallyOf(groups.flat()), t);

  it('trips on more than 2% policy blocks of the last 200 attempts, even before there are 200', () => {
    expect(trip(attempts('block', 5, BLOCK), attempts('accepted', 195))).toMatchObject({ kind: 'block', count: 5, attempts: 200, limitPercent: 2 });
    expect(trip(attempts('block', 4, BLOCK), attempts('accepted', 196))).toBeUndefined();
    // Four blocks in 40 attempts are 10% of them, but not more than 2% of 200: a recipient's own server refusing a few.
    expect(trip(attempts('block', 4, BLOCK), attempts('accepted', 36))).toBeUndefined();
    expect(trip(attempts('block', 5, BLOCK), attempts('accepted', 35))).toMatchObject({ kind: 'block', count: 5, attempts: 40 });
    // Past the window (whole groups may hold a little more), the share is of the attempts counted.
    expect(trip(attempts('block', 6, BLOCK), attempts('accepted', 294))).toBeUndefined();
    expect(trip(attempts('block', 7, BLOCK), attempts('accepted', 293))).toMatchObject({ kind: 'block', count: 7, attempts: 300 });
  });

  it('trips on more than 10% hard bounces, not at 10%', () => {
    expect(trip(attempts('bounce', 21, BOUNCE), attempts('accepted', 179))).toMatchObject({ kind: 'bounce', count: 21, attempts: 200 });
    expect(trip(attempts('bounce', 20, BOUNCE), attempts('accepted', 180))).toBeUndefined();
  });

  it('trips on more than 50% throttle replies, not at 50%', () => {
    expect(trip(attempts('throttle', 101, THROTTLE), attempts('accepted', 99))).toMatchObject({ kind: 'throttle', count: 101 });
    expect(trip(attempts('throttle', 100, THROTTLE), attempts('accepted', 100))).toBeUndefined();
  });

  it('never trips on fewer than 20 attempts, however bad they are', () => {
    expect(trip(attempts('block', 19, BLOCK))).toBeUndefined();
    expect(trip(attempts('block', 20, BLOCK))).toMatchObject({ kind: 'block', count: 20, attempts: 20 });
  });

  it('a limit of 0 turns that check off; the profile’s own limits apply', () => {
    expect(guardTrip(tallyOf(attempts('block', 50, BLOCK)), { ...t, guardBlockPercent: 0 })).toBeUndefined();
    const bounces = tallyOf([...attempts('bounce', 11, BOUNCE), ...attempts('accepted', 89)]);
    expect(guardTrip(bounces, t)).toBeUndefined();
    expect(guardTrip(bounces, { ...t, guardBouncePercent: 5 })).toMatchObject({ kind: 'bounce' });
    expect(guardTrip(bounces, { ...t, guardWindow: 100 })).toMatchObject({ kind: 'bounce' });
  });

  it('says why with the replies that tripped it, the commonest first', () => {
    const found = trip(
      attempts('block', 4, BLOCK),
      attempts('block', 1, '554 5.7.1 Spam detected'),
      attempts('bounce', 2, BOUNCE),
      attempts('accepted', 40),
    );
    expect(found?.reason).toContain('5 of the last 47 attempts were policy blocks (5.7.x), more than its limit of 2% of 200 attempts');
    expect(found?.reason).toContain(`"${BLOCK}" ×4; "554 5.7.1 Spam detected" ×1`);
    // Only the replies of the kind that tripped it.
    expect(found?.reason).not.toContain(BOUNCE);
    expect(found?.reason).toMatch(/an admin resumes sending/);
  });

  it('sums the newest groups until they hold the window’s attempts', () => {
    const rows = [tallyOf(attempts('accepted', 150)), tallyOf(attempts('block', 10, BLOCK)), tallyOf(attempts('block', 90, BLOCK))];
    // 150 + 10 = 160 < 200, so the third group is in too; a fourth would not be.
    expect(windowOf(rows, 200)).toMatchObject({ rows: 3, tally: { attempts: 250, blocks: 100 } });
    expect(windowOf(rows, 150)).toMatchObject({ rows: 1, tally: { attempts: 150, blocks: 0 } });
    expect(windowOf(rows, 150).tally.replies).toEqual([]);
  });
});

describe('the sandbox’s block550 fault', () => {
  it('answers the first K messages 550 5.7.1 after DATA, then accepts', () => {
    const faults = parseFaults('block550=2');
    expect(faults).toEqual({ block550: 2 });
    expect(describeFaults(faults)).toBe('block550=2');
    const injector = createFaultInjector(faults);
    expect([injector.dataEnd(), injector.dataEnd(), injector.dataEnd()]).toEqual([FAULT_REPLIES.blocked, FAULT_REPLIES.blocked, undefined]);
    expect(injector.stats.blocked).toBe(2);
    expect(() => parseFaults('block550=none')).toThrow(/block550 takes how many first messages to refuse, at least 1, like block550=25/);
  });
});

describe('the guard’s settings on the profile form', () => {
  it('defaults to 200 attempts, 10% bounces, 2% blocks, 50% throttle replies', () => {
    expect(profileInput()).toMatchObject(GUARD_DEFAULTS);
  });

  it('refuses limits out of range with a message naming the field and the fix', () => {
    const issues = (over: Record<string, unknown>) => SmtpProfileInput.safeParse({ ...profileInput(), ...over }).error?.issues ?? [];
    expect(issues({ guardBlockPercent: 101 })).toMatchObject([
      { path: ['guardBlockPercent'], message: expect.stringMatching(/policy blocks .* between 0 \(off\) and 100/) },
    ]);
    expect(issues({ guardBouncePercent: 'ten' })).toMatchObject([
      { path: ['guardBouncePercent'], message: 'Guard: hard bounces (%) must be a number' },
    ]);
    expect(issues({ guardThrottlePercent: 2.5 })).toMatchObject([{ path: ['guardThrottlePercent'], message: expect.stringMatching(/whole number/) }]);
    expect(issues({ guardWindow: 5 })).toMatchObject([{ path: ['guardWindow'], message: expect.stringMatching(/at least 20; 200 is usual/) }]);
  });
});

const keyring = makeKeyring(randomBytes(32));

describe.each(databases)('the guard on %s', (dialect) => {
  let db: Db;
  const users = {} as Record<'admin' | 'agent', AppUser>;
  beforeAll(async () => {
    const install = await installWithUsers(
      [
        ['admin', 'admin'],
        ['agent', 'agent'],
      ],
      await databaseEnv(dialect),
    );
    db = install.db;
    Object.assign(users, install.users);
  });
  afterAll(async () => db?.destroy());

  const newProfile = async (over: Partial<SmtpProfileInput> = {}) =>
    (await createProfile(db, keyring, users.admin, { ...profileInput(over), sharedWith: [users.agent.id] })).id;

  it('counts group by group and pauses the profile once the last attempts trip it, with the replies', async () => {
    const id = await newProfile();
    const profile = (await getSmtpProfile(db, id))!;
    // 19 attempts: too few to judge, although every one was blocked.
    expect(await guardAfterGroup(db, profile, attempts('block', 19, BLOCK))).toBeUndefined();
    expect((await getSmtpProfile(db, id))?.failingSince).toBeNull();
    const reason = await guardAfterGroup(db, profile, attempts('accepted', 1));
    expect(reason).toContain('19 of the last 20 attempts were policy blocks (5.7.x)');
    expect(reason).toContain(`"${BLOCK}" ×19`);
    expect(await getSmtpProfile(db, id)).toMatchObject({ failingReason: reason, failingCause: 'guard' });
    // Paused already: another batch's group says so too (so it stops), and the pause keeps its first reason.
    expect(await guardAfterGroup(db, profile, attempts('block', 5, BLOCK))).toContain('24 of the last 25 attempts were policy blocks');
    expect((await getSmtpProfile(db, id))?.failingReason).toBe(reason);
  });

  it('forgets what is older than the window, once the profile has a window of rows', async () => {
    const id = await newProfile({ guardWindow: 20 });
    const profile = (await getSmtpProfile(db, id))!;
    for (let i = 0; i < 19; i++) await guardAfterGroup(db, profile, attempts('accepted', 10));
    expect(await recentGuardTallies(db, id, 100)).toHaveLength(19);
    // The 20th row: the newest two groups hold the window's 20 attempts; the 18 before them are gone.
    for (let i = 0; i < 6; i++) await guardAfterGroup(db, profile, attempts('accepted', 10));
    expect((await recentGuardTallies(db, id, 100)).map((r) => r.attempts)).toEqual(Array(7).fill(10));
    // Blocks long ago do not count: 20 accepted since.
    expect(await guardAfterGroup(db, profile, attempts('accepted', 20))).toBeUndefined();
  });

  it('stays paused when the profile is saved, and resumes when an admin says so, recorded with who and when', async () => {
    const id = await newProfile();
    expect(await pauseByGuard(db, id, 'tripped')).toBe(true);
    await updateSmtpProfile(db, id, profileInput({ name: 'Saved again' }), '');
    expect(await getSmtpProfile(db, id)).toMatchObject({ name: 'Saved again', failingReason: 'tripped', failingCause: 'guard' });

    await expect(resumeProfile(db, users.agent, id)).rejects.toMatchObject({ status: 403, message: expect.stringMatching(/only an admin/) });
    await resumeProfile(db, users.admin, id);
    const view = await profileView(db, users.admin, await profileFor(db, users.admin, id));
    expect(view).toMatchObject({ failingSince: null, failingReason: null, failingCause: null, resumedBy: users.admin.id, resumedByName: 'admin' });
    expect(Date.now() - Date.parse(view.resumedAt!)).toBeLessThan(60_000);
    // Not paused any more: nothing to resume.
    await expect(resumeProfile(db, users.admin, id)).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/is not paused/) });
  });

  it('counts afresh after a resume: the attempts that tripped it do not trip it again', async () => {
    const id = await newProfile();
    const profile = (await getSmtpProfile(db, id))!;
    expect(await guardAfterGroup(db, profile, attempts('block', 20, BLOCK))).toBeDefined();
    await resumeProfile(db, users.admin, id);
    expect(await guardAfterGroup(db, profile, attempts('accepted', 1))).toBeUndefined();
    expect((await getSmtpProfile(db, id))?.failingSince).toBeNull();
  });

  it('leaves a profile paused for refused settings to its own fix: saving it resumes it, Resume sending does not', async () => {
    const id = await newProfile();
    await markProfileFailing(db, id, '535 5.7.8 Authentication failed');
    await expect(resumeProfile(db, users.admin, id)).rejects.toMatchObject({
      status: 409,
      message: expect.stringMatching(/fix them and save the profile/),
    });
    await updateSmtpProfile(db, id, profileInput(), '');
    expect((await getSmtpProfile(db, id))?.failingSince).toBeNull();
  });
});
