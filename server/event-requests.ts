/**
 * What `POST /api/v1/events` checks around acceptEvent (server/events.ts): each API key's rate, the
 * body (with at most MAX_EVENT_ATTRIBUTES attributes), and its idempotency key, which belongs to the
 * API key and to the body it first came with: the same key and body again get the first answer back
 * without touching the contact; the same key with another body is refused (409).
 */
import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { EventRequest, IdempotencyKey, MAX_EVENT_ATTRIBUTES } from '../domain/events';
import type { Config } from './config';
import type { Db } from './db';
import type { ApiKey } from './db/api-keys';
import { claimEventRequest, releaseEventRequest, saveEventAnswer } from './db/event-requests';
import { UserError } from './errors';
import { acceptEvent, type EventAccepted } from './events';

export type KeyedEventRequest = EventRequest & { idempotencyKey: string };

/** The body and the Idempotency-Key header as one request; 400 naming the bad field, 422 over the attribute cap. */
export function parseEventRequest(body: unknown, header: string | null): KeyedEventRequest {
  const parsed = EventRequest.safeParse(body);
  if (!parsed.success) {
    const [first] = parsed.error.issues;
    const field = first?.path.map(String).join('.') || 'body';
    throw new UserError(400, 'invalid_event', `${field}: ${first?.message ?? 'invalid'}`, { field, issues: parsed.error.issues });
  }
  const count = Object.keys(parsed.data.attributes ?? {}).length;
  if (count > MAX_EVENT_ATTRIBUTES) {
    throw new UserError(
      422,
      'too_many_attributes',
      `an event may carry at most ${MAX_EVENT_ATTRIBUTES} attributes, and this one has ${count}; send only the attributes that changed`,
      { field: 'attributes', limit: MAX_EVENT_ATTRIBUTES },
    );
  }
  const fromHeader = header === null ? undefined : IdempotencyKey.safeParse(header);
  if (fromHeader && !fromHeader.success) {
    throw new UserError(400, 'invalid_event', `Idempotency-Key: ${fromHeader.error.issues[0]?.message ?? 'invalid'}`, { field: 'Idempotency-Key' });
  }
  const key = parsed.data.idempotencyKey ?? fromHeader?.data;
  if (key === undefined) {
    throw new UserError(
      400,
      'invalid_event',
      'idempotencyKey is required (in the body, or as the Idempotency-Key header): the same key twice starts one journey',
      { field: 'idempotencyKey' },
    );
  }
  if (parsed.data.idempotencyKey !== undefined && fromHeader?.data !== undefined && fromHeader.data !== parsed.data.idempotencyKey) {
    throw new UserError(400, 'invalid_event', 'idempotencyKey and the Idempotency-Key header differ; send one of them', { field: 'idempotencyKey' });
  }
  return { ...parsed.data, idempotencyKey: key };
}

/** The request's content without its key, attributes in name order: the same event however it is written. */
export function eventBodyHash(request: KeyedEventRequest): string {
  const attributes = Object.entries(request.attributes ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const content = JSON.stringify([request.event, request.email, request.name ?? null, attributes]);
  return createHash('sha256').update(content, 'utf8').digest('base64url');
}

/** Accepts the event once per API key and idempotency key; `replayed` when the answer is the first one's, given again. */
export async function receiveEvent(
  db: Db,
  temporal: Client,
  config: Config,
  apiKey: ApiKey,
  request: KeyedEventRequest,
): Promise<{ answer: EventAccepted; replayed: boolean }> {
  const key = request.idempotencyKey;
  const hash = eventBodyHash(request);
  const earlier = await claimEventRequest(db, apiKey.id, key, hash);
  if (earlier && earlier.bodyHash !== hash) {
    throw new UserError(
      409,
      'idempotency_key_reused',
      `the idempotency key "${key}" was used with another body; send a new key for a new event, or the first body again`,
      { field: 'idempotencyKey' },
    );
  }
  if (earlier?.answer) {
    // Answers kept from before warnings existed carry none.
    const first = JSON.parse(earlier.answer) as Partial<EventAccepted> & Omit<EventAccepted, 'warnings'>;
    return { answer: { ...first, warnings: first.warnings ?? [] }, replayed: true };
  }
  try {
    const answer = await acceptEvent(db, temporal, config, apiKey, request);
    await saveEventAnswer(db, apiKey.id, key, JSON.stringify(answer));
    return { answer, replayed: false };
  } catch (err) {
    await releaseEventRequest(db, apiKey.id, key);
    throw err;
  }
}
