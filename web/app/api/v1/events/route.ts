import { EventRequest, IdempotencyKey } from '@domain/events';
import { authenticateApiKey } from '@server/api-keys';
import { UserError } from '@server/errors';
import { acceptEvent } from '@server/events';
import type { EventAnswer } from '@/lib/api-types';
import { apiRoute, getConfig, getDb, getTemporal, readJson } from '@/lib/server';

export const dynamic = 'force-dynamic';

/**
 * An event about a contact, with `Authorization: Bearer <API key>` (no session): the contact is
 * created or updated and every published flow listening to the event starts a journey for them.
 * 202 with what started (or why not); 400 naming the bad field; 401 for a missing, unknown or revoked
 * key; 422 for an attribute value of the wrong type. Described at /api/v1/openapi.json.
 */
export const POST = apiRoute(async (request: Request) => {
  const db = await getDb();
  const apiKey = await authenticateApiKey(db, request.headers.get('authorization'));
  const parsed = EventRequest.safeParse(await readJson(request));
  if (!parsed.success) {
    const [first] = parsed.error.issues;
    const field = first?.path.map(String).join('.') || 'body';
    throw new UserError(400, 'invalid_event', `${field}: ${first?.message ?? 'invalid'}`, { field, issues: parsed.error.issues });
  }
  const header = request.headers.get('idempotency-key');
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
      {
        field: 'idempotencyKey',
      },
    );
  }
  if (parsed.data.idempotencyKey !== undefined && fromHeader?.data !== undefined && fromHeader.data !== parsed.data.idempotencyKey) {
    throw new UserError(400, 'invalid_event', 'idempotencyKey and the Idempotency-Key header differ; send one of them', { field: 'idempotencyKey' });
  }
  const answer = await acceptEvent(db, await getTemporal(), getConfig(), apiKey, { ...parsed.data, idempotencyKey: key });
  return Response.json(answer satisfies EventAnswer, { status: 202 });
});
