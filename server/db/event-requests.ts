/** Events API requests by API key and idempotency key (server/event-requests.ts decides what a repeat gets). */
import { now, type Db } from '.';

export interface EventRequestRow {
  bodyHash: string;
  /** The answer given (JSON), or null while the first request with this key has not finished. */
  answer: string | null;
}

/** Claims the key for this body; returns the row that was there before, if any (then nothing is written). */
export async function claimEventRequest(db: Db, apiKeyId: string, idempotencyKey: string, bodyHash: string): Promise<EventRequestRow | undefined> {
  const inserted = await db
    .insertInto('eventRequests')
    .values({ apiKeyId, idempotencyKey, bodyHash, answer: null, createdAt: now() })
    .onConflict((oc) => oc.columns(['apiKeyId', 'idempotencyKey']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return undefined;
  return db
    .selectFrom('eventRequests')
    .select(['bodyHash', 'answer'])
    .where('apiKeyId', '=', apiKeyId)
    .where('idempotencyKey', '=', idempotencyKey)
    .executeTakeFirst();
}

export async function saveEventAnswer(db: Db, apiKeyId: string, idempotencyKey: string, answer: string): Promise<void> {
  await db.updateTable('eventRequests').set({ answer }).where('apiKeyId', '=', apiKeyId).where('idempotencyKey', '=', idempotencyKey).execute();
}

/** Frees the key after a request that failed, so a corrected body may use it. */
export async function releaseEventRequest(db: Db, apiKeyId: string, idempotencyKey: string): Promise<void> {
  await db
    .deleteFrom('eventRequests')
    .where('apiKeyId', '=', apiKeyId)
    .where('idempotencyKey', '=', idempotencyKey)
    .where('answer', 'is', null)
    .execute();
}

/** An event request as the event log lists it: when, with which API key, and the answer given (null while in progress). */
export interface EventLogRow {
  createdAt: string;
  apiKeyName: string | null;
  idempotencyKey: string;
  answer: string | null;
}

/** A page of event requests, newest first; `more` when older ones follow. */
export async function listEventRequests(db: Db, page: { limit: number; offset: number }): Promise<{ rows: EventLogRow[]; more: boolean }> {
  const rows = await db
    .selectFrom('eventRequests as r')
    .leftJoin('apiKeys as k', 'k.id', 'r.apiKeyId')
    .select(['r.createdAt', 'k.name as apiKeyName', 'r.idempotencyKey', 'r.answer'])
    .orderBy('r.createdAt', 'desc')
    .orderBy('r.apiKeyId')
    .orderBy('r.idempotencyKey')
    .limit(page.limit + 1)
    .offset(page.offset)
    .execute();
  return { rows: rows.slice(0, page.limit), more: rows.length > page.limit };
}

/** The emails of these contacts, by id (deleted contacts are missing). */
export async function contactEmails(db: Db, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('contacts').select(['id', 'email']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r.email]));
}
