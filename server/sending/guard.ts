/**
 * The reputation guard: a profile whose recent attempts meet too many hard bounces (5.1.x), policy
 * blocks (5.7.x) or throttle replies pauses itself before the provider blocks it (Amazon SES and
 * Microsoft 365 escalate), says why with the replies that tripped it, and waits for an admin to resume
 * it. Its sends wait meanwhile, as they do on a profile paused for refused settings.
 *
 * The batch sender commits its outcomes a group at a time; each group's count is one row
 * (server/db/guard.ts), and the guard looks once per group at the profile's newest rows: about the last
 * `guardWindow` attempts (whole groups, so a little more). The decision itself is pure: `guardTrip`.
 */
import { GUARD_MIN_ATTEMPTS, type SmtpProfile } from '../../domain/smtp-profile';
import type { Db } from '../db';
import { type GuardKind, type GuardTally, insertGuardTally, pauseByGuard, pruneGuardTallies, recentGuardTallies } from '../db/guard';
import type { SendOutcome } from './policy';

export type Thresholds = Pick<SmtpProfile, 'guardWindow' | 'guardBouncePercent' | 'guardBlockPercent' | 'guardThrottlePercent'>;

const HARD_BOUNCE = /\b5\.1\.\d{1,3}\b/;
const POLICY_BLOCK = /\b5\.7\.\d{1,3}\b/;

/**
 * What the guard counts of an attempt. Only a server's answer counts: a connection that failed or broke
 * says nothing of the sender's reputation, and refused settings pause the profile on their own.
 */
export function guardKind(outcome: SendOutcome): GuardKind | undefined {
  if (outcome.accepted) return 'accepted';
  if (outcome.code === null || outcome.kind === 'configuration') return undefined;
  if (outcome.kind === 'throttled') return 'throttle';
  if (outcome.kind === 'permanent' && POLICY_BLOCK.test(outcome.reply)) return 'block';
  if (outcome.kind === 'permanent' && (HARD_BOUNCE.test(outcome.reply) || outcome.badMailbox)) return 'bounce';
  return 'other';
}

/** Sums what attempts counted, keeping the commonest replies of each kind against the profile. */
export function tallyOf(attempts: { kind: GuardKind; reply: string }[]): GuardTally {
  const tally: GuardTally = { attempts: attempts.length, bounces: 0, blocks: 0, throttles: 0, replies: [] };
  for (const { kind, reply } of attempts) {
    if (kind === 'accepted' || kind === 'other') continue;
    tally[`${kind}s`]++;
    tally.replies.push([kind, reply.slice(0, 300), 1]);
  }
  return { ...tally, replies: commonest(tally.replies) };
}

/** The newest tallies (newest first) that hold the last `window` attempts, summed; and how many rows that took. */
export function windowOf(rows: GuardTally[], window: number): { tally: GuardTally; rows: number } {
  const tally: GuardTally = { attempts: 0, bounces: 0, blocks: 0, throttles: 0, replies: [] };
  let used = 0;
  for (; used < rows.length && tally.attempts < window; used++) {
    const row = rows[used]!;
    tally.attempts += row.attempts;
    tally.bounces += row.bounces;
    tally.blocks += row.blocks;
    tally.throttles += row.throttles;
    tally.replies.push(...row.replies);
  }
  return { tally: { ...tally, replies: commonest(tally.replies) }, rows: used };
}

/** At most this many different replies are kept per kind: enough to say why, not a log. */
const REPLIES_KEPT = 3;

/** The same replies added up, the commonest REPLIES_KEPT of each kind. */
function commonest(replies: GuardTally['replies']): GuardTally['replies'] {
  const sums = new Map<string, [GuardKind, string, number]>();
  for (const [kind, reply, count] of replies) {
    const key = `${kind}\n${reply}`;
    const seen = sums.get(key) ?? [kind, reply, 0];
    seen[2] += count;
    sums.set(key, seen);
  }
  const sorted = [...sums.values()].sort((a, b) => b[2] - a[2]);
  return (['bounce', 'block', 'throttle'] as const).flatMap((kind) => sorted.filter((r) => r[0] === kind).slice(0, REPLIES_KEPT));
}

const KINDS = [
  { kind: 'block', field: 'blocks', limit: 'guardBlockPercent', says: 'policy blocks (5.7.x)' },
  { kind: 'bounce', field: 'bounces', limit: 'guardBouncePercent', says: 'hard bounces (5.1.x)' },
  { kind: 'throttle', field: 'throttles', limit: 'guardThrottlePercent', says: 'throttle replies' },
] as const;

export interface Trip {
  kind: 'block' | 'bounce' | 'throttle';
  count: number;
  attempts: number;
  limitPercent: number;
  /** Why, in words, with the replies that tripped it. */
  reason: string;
}

/**
 * Whether the attempts counted trip the guard: at least GUARD_MIN_ATTEMPTS of them, and more replies of
 * one kind than its share of the window (of the attempts counted, once there are more): 2% of 200 is
 * more than 4 policy blocks, whether in the last 40 attempts or the last 200. So a recipient's own
 * server refusing one message does not pause a small campaign, and a block on the sender does within a
 * few replies. A share of 0 is off. Policy blocks are looked at first: they hurt most.
 */
export function guardTrip(tally: GuardTally, t: Thresholds): Trip | undefined {
  if (tally.attempts < GUARD_MIN_ATTEMPTS) return undefined;
  const over = Math.max(tally.attempts, t.guardWindow);
  for (const k of KINDS) {
    const count = tally[k.field];
    const limitPercent = t[k.limit];
    if (limitPercent <= 0 || count * 100 <= limitPercent * over) continue;
    const replies = tally.replies
      .filter(([kind]) => kind === k.kind)
      .map(([, reply, n]) => `"${reply}" ×${n}`)
      .join('; ');
    const reason =
      `The reputation guard paused sending: ${count} of the last ${tally.attempts} attempts were ${k.says}, ` +
      `more than its limit of ${limitPercent}% of ${over} attempts. Replies: ${replies}. ` +
      'Its sends wait; once the cause is dealt with, an admin resumes sending on the profile';
    return { kind: k.kind, count, attempts: tally.attempts, limitPercent, reason };
  }
  return undefined;
}

/**
 * After a group of attempts is counted: counts them for the profile, and pauses it if the last
 * `guardWindow` attempts trip the guard (guardLook). Returns why when they do.
 */
export async function guardAfterGroup(
  db: Db,
  profile: Thresholds & { id: string },
  attempts: { kind: GuardKind; reply: string }[],
): Promise<string | undefined> {
  if (attempts.length === 0) return undefined;
  await insertGuardTally(db, profile.id, tallyOf(attempts));
  return guardLook(db, profile);
}

/**
 * Looks at the profile's last `guardWindow` attempts and pauses it if they trip the guard. Returns why
 * when they do, so that every batch sending with the profile stops, not only the one whose group
 * tripped it (the pause keeps the first reason). The batch sender writes each group's tally in the
 * group's own commit and looks after it; a read, so no commit of its own. Older tallies are forgotten
 * once the profile has `guardWindow` rows (each holds one attempt or more, so those always cover the
 * window): a delete every many groups, not one per group.
 */
export async function guardLook(db: Db, profile: Thresholds & { id: string }): Promise<string | undefined> {
  const rows = await recentGuardTallies(db, profile.id, profile.guardWindow);
  const { tally, rows: used } = windowOf(rows, profile.guardWindow);
  const oldest = rows[used - 1];
  if (oldest && rows.length >= profile.guardWindow && used < rows.length) await pruneGuardTallies(db, profile.id, oldest.id);
  const trip = guardTrip(tally, profile);
  if (!trip) return undefined;
  await pauseByGuard(db, profile.id, trip.reason);
  return trip.reason;
}
