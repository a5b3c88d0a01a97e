/**
 * The reputation guard's rows (server/sending/guard.ts decides): what each committed group of a batch's
 * attempts counted, per profile, read newest first; the pause it puts on a profile, and its resume.
 */
import { now, type Db } from '.';

/** What the guard counts of one attempt: a hard bounce (5.1.x), a policy block (5.7.x), a throttle reply, or any other answer. */
export type GuardKind = 'accepted' | 'bounce' | 'block' | 'throttle' | 'other';

export interface GuardTally {
  attempts: number;
  bounces: number;
  blocks: number;
  throttles: number;
  /** The replies counted against the profile, with how many of each: [kind, reply, count]. */
  replies: [GuardKind, string, number][];
}

export interface StoredTally extends GuardTally {
  id: number;
}

export async function insertGuardTally(db: Db, profileId: string, t: GuardTally): Promise<void> {
  const { attempts, bounces, blocks, throttles } = t;
  await db
    .insertInto('smtpGuardTallies')
    .values({ profileId, attempts, bounces, blocks, throttles, replies: JSON.stringify(t.replies) })
    .execute();
}

/** The profile's newest tallies, newest first: `limit` rows hold at least `limit` attempts (each holds one or more). */
export async function recentGuardTallies(db: Db, profileId: string, limit: number): Promise<StoredTally[]> {
  const rows = await db.selectFrom('smtpGuardTallies').selectAll().where('profileId', '=', profileId).orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => ({ ...r, id: Number(r.id), replies: JSON.parse(r.replies) as StoredTally['replies'] }));
}

/** Forgets the tallies older than the guard's window. */
export async function pruneGuardTallies(db: Db, profileId: string, beforeId: number): Promise<void> {
  await db.deleteFrom('smtpGuardTallies').where('profileId', '=', profileId).where('id', '<', beforeId).execute();
}

/** The guard pauses the profile (unless it is paused already): its sends wait until an admin resumes it. True if it paused it now. */
export async function pauseByGuard(db: Db, id: string, reason: string): Promise<boolean> {
  const r = await db
    .updateTable('smtpProfiles')
    .set({ failingSince: now(), failingReason: reason.slice(0, 2000), failingCause: 'guard' })
    .where('id', '=', id)
    .where('failingSince', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * "Resume sending": the guard's pause ends, recorded with who and when, and the guard counts afresh (the
 * attempts that tripped it are not counted again). False when the guard had not paused it.
 */
export async function resumeGuardedProfile(db: Db, id: string, by: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('smtpProfiles')
      .set({ failingSince: null, failingReason: null, failingCause: null, resumedBy: by, resumedAt: now() })
      .where('id', '=', id)
      .where('failingCause', '=', 'guard')
      .executeTakeFirst();
    await trx.deleteFrom('smtpGuardTallies').where('profileId', '=', id).execute();
    return Number(r.numUpdatedRows) > 0;
  });
}
