/** Failed sign-ins per email, for the per-account lockout (the policy is in server/sign-in-lockout.ts). */
import { type Db, dialectOf, lockingOnPostgres } from '.';

export interface LockoutPolicy {
  /** Failures within `windowMs` that lock the account. */
  maxFailures: number;
  windowMs: number;
  /** How long the lock holds. */
  lockMs: number;
}

/** Until when sign-ins to this email are refused (ms since the epoch), if they are now. */
export async function lockedUntil(db: Db, email: string, nowMs: number): Promise<number | undefined> {
  const row = await db.selectFrom('signInFailures').select('lockedUntil').where('email', '=', email).executeTakeFirst();
  return row && row.lockedUntil > nowMs ? row.lockedUntil : undefined;
}

/** Counts a failed sign-in; returns the lock's end when this failure locked the account. */
export async function recordSignInFailure(db: Db, email: string, nowMs: number, policy: LockoutPolicy): Promise<number | undefined> {
  return db.transaction().execute(async (trx) => {
    // SQLite has one writer at a time; on PostgreSQL the email's row is locked until commit, so failures at once each count.
    const postgres = dialectOf(db) === 'postgres';
    if (postgres)
      await trx
        .insertInto('signInFailures')
        .values({ email, failures: 0, firstFailedAt: 0, lockedUntil: 0 })
        .onConflict((oc) => oc.column('email').doNothing())
        .execute();
    const row = await lockingOnPostgres(trx, trx.selectFrom('signInFailures').selectAll().where('email', '=', email)).executeTakeFirst();
    const fresh = !row || row.firstFailedAt <= nowMs - policy.windowMs;
    const failures = fresh ? 1 : row.failures + 1;
    const locks = failures >= policy.maxFailures;
    const values = {
      failures: locks ? 0 : failures,
      firstFailedAt: fresh || locks ? nowMs : row.firstFailedAt,
      lockedUntil: locks ? nowMs + policy.lockMs : (row?.lockedUntil ?? 0),
    };
    await trx
      .insertInto('signInFailures')
      .values({ email, ...values })
      .onConflict((oc) => oc.column('email').doUpdateSet(values))
      .execute();
    return locks ? values.lockedUntil : undefined;
  });
}

export async function clearSignInFailures(db: Db, email: string): Promise<void> {
  await db.deleteFrom('signInFailures').where('email', '=', email).execute();
}
