/** Failed sign-ins per email and client, for the sign-in lockout (the policy is in server/sign-in-lockout.ts). */
import { type Db, dialectOf, lockingOnPostgres } from '.';

export interface LockoutPolicy {
  /** Failures of one email from one client within `windowMs` that lock that pair. */
  maxFailures: number;
  windowMs: number;
  /** How long a pair's lock holds. */
  lockMs: number;
  /** Failures of one email from all clients within `windowMs` after which every attempt on it waits. */
  delayAfter: number;
  /** The wait grows by this per failure beyond `delayAfter`, up to `maxDelayMs`. */
  delayStepMs: number;
  maxDelayMs: number;
}

/** Until when sign-ins to this email from this client are refused (ms since the epoch), if they are now. */
export async function lockedUntil(db: Db, email: string, client: string, nowMs: number): Promise<number | undefined> {
  const row = await db.selectFrom('signInFailures').select('lockedUntil').where('email', '=', email).where('client', '=', client).executeTakeFirst();
  // Number(): PostgreSQL's driver answers a bigint as a string.
  const until = Number(row?.lockedUntil ?? 0);
  return until > nowMs ? until : undefined;
}

/** Failures of this email from every client, counted from windows that started after `since`. */
export async function accountFailures(db: Db, email: string, since: number): Promise<number> {
  const row = await db
    .selectFrom('signInFailures')
    .select((eb) => eb.fn.sum<number | string | null>('failures').as('total'))
    .where('email', '=', email)
    .where('firstFailedAt', '>', since)
    .executeTakeFirst();
  return Number(row?.total ?? 0);
}

/** Counts a failed sign-in of this email from this client; returns the lock's end when this failure locked the pair. */
export async function recordSignInFailure(db: Db, email: string, client: string, nowMs: number, policy: LockoutPolicy): Promise<number | undefined> {
  return db.transaction().execute(async (trx) => {
    // SQLite has one writer at a time; on PostgreSQL the pair's row is locked until commit, so failures at once each count.
    if (dialectOf(db) === 'postgres')
      await trx
        .insertInto('signInFailures')
        .values({ email, client, failures: 0, firstFailedAt: 0, lockedUntil: 0 })
        .onConflict((oc) => oc.columns(['email', 'client']).doNothing())
        .execute();
    const row = await lockingOnPostgres(
      trx,
      trx.selectFrom('signInFailures').selectAll().where('email', '=', email).where('client', '=', client),
    ).executeTakeFirst();
    const fresh = !row || Number(row.firstFailedAt) <= nowMs - policy.windowMs;
    const failures = fresh ? 1 : Number(row.failures) + 1;
    const locks = failures >= policy.maxFailures;
    const values = {
      failures,
      firstFailedAt: fresh ? nowMs : Number(row.firstFailedAt),
      lockedUntil: locks ? nowMs + policy.lockMs : Number(row?.lockedUntil ?? 0),
    };
    await trx
      .insertInto('signInFailures')
      .values({ email, client, ...values })
      .onConflict((oc) => oc.columns(['email', 'client']).doUpdateSet(values))
      .execute();
    return locks ? values.lockedUntil : undefined;
  });
}

/** A success from this client clears its count; other clients' failures keep counting toward the account's delay. */
export async function clearSignInFailures(db: Db, email: string, client: string): Promise<void> {
  await db.deleteFrom('signInFailures').where('email', '=', email).where('client', '=', client).execute();
}
