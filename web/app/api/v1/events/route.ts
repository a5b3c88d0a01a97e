import { authenticateApiKey } from '@server/api-keys';
import { parseEventRequest, receiveEvent } from '@server/event-requests';
import { takeEvent } from '@server/rate-limits';
import type { EventAnswer } from '@/lib/api-types';
import { apiRoute, getConfig, getDb, getTemporal, readJson } from '@/lib/server';

export const dynamic = 'force-dynamic';

/**
 * An event about a contact, with `Authorization: Bearer <API key>` (no session): the contact is
 * created or updated and every published flow listening to the event starts a journey for them.
 * 202 with what started (or why not; a warning, with the closest known name, for an event no published
 * flow listens to; the first answer again, with Idempotent-Replayed: true, for a key
 * sent before with the same body); 400 naming the bad field; 401 for a missing, unknown or revoked
 * key; 409 for a key sent before with another body; 422 for an attribute value of the wrong type or
 * over a cap; 429 with Retry-After over the key's rate. Described at /api/v1/openapi.json.
 */
export const POST = apiRoute(async (request: Request) => {
  const db = await getDb();
  const apiKey = await authenticateApiKey(db, request.headers.get('authorization'));
  await takeEvent(db, getConfig(), apiKey.id);
  const event = parseEventRequest(await readJson(request), request.headers.get('idempotency-key'));
  const { answer, replayed } = await receiveEvent(db, await getTemporal(), getConfig(), apiKey, event);
  return Response.json(answer satisfies EventAnswer, { status: 202, headers: replayed ? { 'idempotent-replayed': 'true' } : {} });
});
