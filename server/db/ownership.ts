/**
 * Who owns what (one workspace): flows and runs have an owner; messages sent outside a run (one-off
 * messages, test emails) have a `direct_sends` row naming who sent them. The scoping queries that
 * span several areas live here; the rules themselves are in server/access.ts.
 */
import { now, type Db } from '.';
import type { Tables } from './tables';

/** Gives flows, runs, segments and lists without an owner (from before owners, or seeded before any user) to this user. */
export async function adoptOwnerless(db: Db, userId: string): Promise<void> {
  for (const table of ['flows', 'runs', 'segments', 'lists'] as const) {
    await db.updateTable(table).set({ ownerId: userId }).where('ownerId', 'is', null).execute();
  }
}

export type DirectSend = Tables['directSends'];

/** Notes who sent a one-off message or a test email, before it is sent: its id is the runId of its ledger rows. */
export async function insertDirectSend(db: Db, send: Omit<DirectSend, 'createdAt'>): Promise<void> {
  await db
    .insertInto('directSends')
    .values({ ...send, createdAt: now() })
    .execute();
}

/**
 * The Message-IDs of the latest sends this user may see (runs they started or of their flows, their own
 * one-off messages and test emails), newest first: what scopes the sandbox mailbox for an agent.
 */
export async function visibleMessageIds(db: Db, userId: string, limit = 1000): Promise<string[]> {
  const fromRuns = await db
    .selectFrom('sends')
    .innerJoin('runs', 'runs.id', 'sends.runId')
    .innerJoin('flows', 'flows.id', 'runs.flowId')
    .select(['sends.messageId', 'sends.updatedAt'])
    .where((eb) => eb.or([eb('runs.ownerId', '=', userId), eb('flows.ownerId', '=', userId)]))
    .orderBy('sends.updatedAt', 'desc')
    .limit(limit)
    .execute();
  const direct = await db
    .selectFrom('sends')
    .innerJoin('directSends', 'directSends.id', 'sends.runId')
    .select(['sends.messageId', 'sends.updatedAt'])
    .where('directSends.sentBy', '=', userId)
    .orderBy('sends.updatedAt', 'desc')
    .limit(limit)
    .execute();
  return [...fromRuns, ...direct]
    .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
    .slice(0, limit)
    .map((r) => r.messageId);
}

/** Whether this user may see the send with this Message-ID (as visibleMessageIds, for one message). */
export async function mayViewMessage(db: Db, userId: string, messageId: string): Promise<boolean> {
  const ofRun = await db
    .selectFrom('sends')
    .innerJoin('runs', 'runs.id', 'sends.runId')
    .innerJoin('flows', 'flows.id', 'runs.flowId')
    .select('sends.messageId')
    .where('sends.messageId', '=', messageId)
    .where((eb) => eb.or([eb('runs.ownerId', '=', userId), eb('flows.ownerId', '=', userId)]))
    .executeTakeFirst();
  if (ofRun) return true;
  const direct = await db
    .selectFrom('sends')
    .innerJoin('directSends', 'directSends.id', 'sends.runId')
    .select('sends.messageId')
    .where('sends.messageId', '=', messageId)
    .where('directSends.sentBy', '=', userId)
    .executeTakeFirst();
  return direct !== undefined;
}

export interface TestSend {
  id: string;
  recipient: string;
  sentBy: string;
  createdAt: string;
  /** The last attempt's outcome and the server's reply; null while none is logged. */
  outcome: string | null;
  smtpCode: number | null;
  smtpReply: string | null;
  messageId: string | null;
}

/** A profile's latest test emails with their last logged attempt; with `sentBy`, only that user's. */
export async function listTestSends(db: Db, profileId: string, options: { sentBy?: string; limit?: number } = {}): Promise<TestSend[]> {
  let q = db
    .selectFrom('directSends')
    .leftJoin('deliveryAttempts', 'deliveryAttempts.runId', 'directSends.id')
    .select([
      'directSends.id',
      'directSends.recipient',
      'directSends.sentBy',
      'directSends.createdAt',
      'deliveryAttempts.outcome',
      'deliveryAttempts.smtpCode',
      'deliveryAttempts.smtpReply',
      'deliveryAttempts.messageId',
    ])
    .where('directSends.profileId', '=', profileId)
    .where('directSends.kind', '=', 'test');
  if (options.sentBy !== undefined) q = q.where('directSends.sentBy', '=', options.sentBy);
  const rows = await q
    .orderBy('directSends.createdAt', 'desc')
    .orderBy('deliveryAttempts.id', 'desc')
    .limit((options.limit ?? 20) * 3)
    .execute();
  // One row per test email: its newest attempt.
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(r.id) && seen.add(r.id)).slice(0, options.limit ?? 20);
}
