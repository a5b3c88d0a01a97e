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

/** At most this many properties in one event, and this many characters of JSON in all: they travel in the journey's workflow input. */
export const MAX_EVENT_PROPERTIES = 50;
export const MAX_EVENT_PROPERTIES_JSON = 8_000;

/** A property's value: text, a number, true/false or null (a template prints it as `{{ event.<name> }}`). */
const EventPropertyValue = z.union(
  [z.string().max(2_000, 'a property value is at most 2,000 characters'), z.number().finite(), z.boolean(), z.null()],
  {
    error: 'each property must be text, a number, true/false or null',
  },
);

const PropertyName = z
  .string()
  .max(64, 'a property name is at most 64 characters')
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a property name uses letters, digits and _ and starts with a letter or _ (e.g. order_id)');

/** The event's own properties, e.g. `{ "order_id": "A-1001" }`: for the journey it starts, not stored on the contact. */
export const EventProperties = z
  .record(PropertyName, EventPropertyValue, {
    // A bad name's own message (zod says only "Invalid key in record").
    error: (issue) =>
      issue.code === 'invalid_type'
        ? 'properties must be an object of name: value'
        : issue.code === 'invalid_key'
          ? (issue.issues[0]?.message ?? 'a property name uses letters, digits and _')
          : undefined,
  })
  .refine((p) => Object.keys(p).length <= MAX_EVENT_PROPERTIES, `properties may have at most ${MAX_EVENT_PROPERTIES} names`)
  .refine((p) => JSON.stringify(p).length <= MAX_EVENT_PROPERTIES_JSON, `properties must be at most ${MAX_EVENT_PROPERTIES_JSON} characters as JSON`);
export type EventProperties = z.output<typeof EventProperties>;

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
      "Attributes to set on the contact (null removes one); each value must suit its attribute type. A Wait until's or a goal's filters test them too, with the properties.",
    ),
  properties: EventProperties.optional().describe(
    "The event's own values for the journey it starts (not stored on the contact): a template prints one as {{ event.<name> }}, and a Wait until's or a goal's filters test them (e.g. cart_id).",
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
