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
