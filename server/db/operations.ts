/**
 * What an operator's endpoints read from the database (server/operations.ts): whether it answers, and
 * the gauges collected on each scrape. Cheap by design: they look at running campaigns only, through
 * their (run_id, …) indexes, and at one row per SMTP profile.
 */
import { sql, type Db } from '.';
import type { AttemptOutcome } from './tables';

/** Throws when the database cannot answer a query. */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`SELECT 1`.execute(db);
}

export interface CohortCounts {
  /** Pending recipients whose next step is due now, and those waiting for a later time. */
  due: number;
  waiting: number;
  sending: number;
  retrying: number;
  held: number;
}

/** Recipients of running campaigns by where they are. */
export async function cohortCounts(db: Db, nowMs: number): Promise<CohortCounts> {
  const rows = await db
    .selectFrom('runRecipients')
    .innerJoin('runs', 'runs.id', 'runRecipients.runId')
    .where('runs.status', '=', 'running')
    .where('runRecipients.status', 'in', ['pending', 'sending', 'retrying', 'held'])
    .select((eb) => [
      'runRecipients.status as status',
      eb.case().when('runRecipients.dueAt', '<=', nowMs).then(1).else(0).end().as('due'),
      eb.fn.countAll<number | string>().as('count'),
    ])
    .groupBy(['runRecipients.status', 'due'])
    .execute();
  const counts: CohortCounts = { due: 0, waiting: 0, sending: 0, retrying: 0, held: 0 };
  for (const row of rows) {
    const n = Number(row.count);
    if (row.status === 'pending') counts[Number(row.due) === 1 ? 'due' : 'waiting'] += n;
    else counts[row.status as 'sending' | 'retrying' | 'held'] += n;
  }
  return counts;
}

/** The delivery log of running campaigns by outcome: rises as they send. */
export async function runningAttemptCounts(db: Db): Promise<{ outcome: AttemptOutcome; count: number }[]> {
  const rows = await db
    .selectFrom('deliveryAttempts')
    .innerJoin('runs', 'runs.id', 'deliveryAttempts.runId')
    .where('runs.status', '=', 'running')
    .select(['deliveryAttempts.outcome as outcome', (eb) => eb.fn.countAll<number | string>().as('count')])
    .groupBy('deliveryAttempts.outcome')
    .execute();
  return rows.map((r) => ({ outcome: r.outcome, count: Number(r.count) }));
}

export interface ProfileRates {
  profileId: string;
  /** The profile's own limit (messages/s), null when it has none. */
  limit: number | null;
  /** What it learned from the server's answers, null while nothing was learned. */
  learned: number | null;
}

/** Each SMTP profile's rates (server/db/throttle.ts). */
export async function profileRates(db: Db): Promise<ProfileRates[]> {
  return db
    .selectFrom('smtpProfiles')
    .leftJoin('smtpThrottle', 'smtpThrottle.profileId', 'smtpProfiles.id')
    .select(['smtpProfiles.id as profileId', 'smtpProfiles.ratePerSecond as limit', 'smtpThrottle.rate as learned'])
    .execute();
}
