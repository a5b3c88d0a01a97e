/**
 * The body of `POST /api/v1/events`: an event, the contact it is about, and an idempotency key.
 * Shared by the route (validation) and the OpenAPI description it serves. Pure: zod only.
 */
import { z } from 'zod';
import { AttributeName, AttributeValue } from './contact';
import { EVENT_NAME, EVENT_NAME_HINT } from './flow/nodes/trigger';
import { CONTROL_CHARACTERS, emailAddress } from './text';

/** An idempotency key: the same key twice (for one contact and flow) starts one journey. */
export const IdempotencyKey = z
  .string({ error: 'idempotencyKey must be a string' })
  .min(1, 'idempotencyKey must not be empty')
  .max(200, 'idempotencyKey must be at most 200 characters')
  .refine((s) => !CONTROL_CHARACTERS.test(s), 'idempotencyKey must not contain control characters');

/** At most this many attributes in one event (server/contacts.ts caps a contact's and the workspace's). */
export const MAX_EVENT_ATTRIBUTES = 100;

export const EventRequest = z.object({
  event: z
    .string({ error: (i) => (i.input === undefined ? 'event is required' : 'event must be a string') })
    .regex(EVENT_NAME, `event must be an event name: ${EVENT_NAME_HINT}`)
    .describe(
      "The event name; every published flow whose Trigger listens to it starts a journey for the contact, and the contact's running journeys waiting for it (a Wait until step, a flow's goal) hear it.",
    ),
  email: z
    .string({ error: (i) => (i.input === undefined ? 'email is required' : 'email must be a string') })
    .pipe(emailAddress('email', 'ada@example.com'))
    .describe("The contact's email: the contact is created if it does not exist (case-insensitive)."),
  name: z
    .string({ error: 'name must be a string' })
    .trim()
    .max(200, 'name must be at most 200 characters')
    .refine((s) => !CONTROL_CHARACTERS.test(s), 'name must not contain line breaks or control characters')
    .optional()
    .describe("The contact's name (set when given)."),
  attributes: z
    .record(AttributeName, AttributeValue.nullable(), { error: 'attributes must be an object of name: value' })
    .optional()
    .describe(
      "Attributes to set on the contact (null removes one); each value must suit its attribute type. They are also the event's properties that a Wait until's or a goal's filters test (e.g. cart_id).",
    ),
  idempotencyKey: IdempotencyKey.optional().describe('The same key twice starts one journey. Or send the Idempotency-Key header.'),
});
export type EventRequest = z.output<typeof EventRequest>;

/**
 * The body as the API documents it (web/lib/events-openapi.ts): with its idempotency key, which the
 * server requires (the Idempotency-Key header may carry it instead).
 */
export const KeyedEventRequest = EventRequest.extend({
  idempotencyKey: IdempotencyKey.describe(
    'Required: the same key twice (for this API key) starts one journey, and the same key and body again get the first answer back. The Idempotency-Key header may carry it instead.',
  ),
});
