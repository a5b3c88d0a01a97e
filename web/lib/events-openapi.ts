/** The OpenAPI 3.1 description of the events API, built from the schema the route validates with. */
import { z } from 'zod';
import { KeyedEventRequest, MAX_EVENT_ATTRIBUTES } from '@domain/events';
import { REENTRY_POLICIES } from '@domain/flow/nodes/trigger';
import { MAX_ATTRIBUTE_NAMES, MAX_ATTRIBUTES_PER_CONTACT } from '@server/contacts';

const error = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
    },
  },
};
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

export function eventsOpenApi(serverUrl: string) {
  const { $schema: _, ...request } = z.toJSONSchema(KeyedEventRequest, { io: 'input', unrepresentable: 'any' });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Dripline events API',
      version: '1.0.0',
      description: `Send an event about a contact: the contact is created or updated, and every published flow whose Trigger listens to the event starts a journey for them. A flow's Trigger sets whether a contact may enter again (${REENTRY_POLICIES.join(', ')}; default once). Unsubscribed and suppressed contacts enter no flow. Limits: at most ${MAX_EVENT_ATTRIBUTES} attributes per event, ${MAX_ATTRIBUTES_PER_CONTACT} per contact and ${MAX_ATTRIBUTE_NAMES} attribute names in the workspace (422 naming the cap); each API key may send a configured number of events a second (DRIPLINE_EVENTS_PER_SECOND, default 100, in bursts of DRIPLINE_EVENTS_BURST, default 200), over which it gets 429 with Retry-After. An idempotency key belongs to the API key that sent it and to its first body: the same key and body again get the first answer back (Idempotent-Replayed: true) without the contact being written again; the same key with another body gets 409.`,
    },
    servers: [{ url: serverUrl }],
    security: [{ apiKey: [] }],
    paths: {
      '/api/v1/events': {
        post: {
          operationId: 'sendEvent',
          summary: 'Send an event about a contact',
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              description:
                'Instead of idempotencyKey in the body (a request needs one of the two; when both are sent they must be equal). The same key (for this API key) and body again get the first answer back; with another body, 409.',
              schema: { type: 'string', minLength: 1, maxLength: 200 },
            },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/EventRequest' } } } },
          responses: {
            '202': {
              description:
                'Accepted: the contact is saved; each listening flow says whether a journey started, had started for this key, or why the contact did not enter.',
              headers: {
                'Idempotent-Replayed': {
                  description: 'true when this is the answer to an earlier request with the same idempotency key and body, given again.',
                  schema: { type: 'string', enum: ['true'] },
                },
              },
              content: { 'application/json': { schema: { $ref: '#/components/schemas/EventAccepted' } } },
            },
            '400': errorResponse('The body is not valid: error.details.field names the field.'),
            '401': errorResponse('No API key, or an unknown or revoked one.'),
            '409': errorResponse('The idempotency key was sent before by this API key with another body (idempotency_key_reused): use a new key.'),
            '422': errorResponse(
              `An attribute's value does not suit its type (error.details.field is attributes.<name>), or a cap is exceeded: more than ${MAX_EVENT_ATTRIBUTES} attributes in the event, ${MAX_ATTRIBUTES_PER_CONTACT} on the contact, or ${MAX_ATTRIBUTE_NAMES} names in the workspace (error.code too_many_attributes or too_many_attribute_names; error.details.limit is the cap).`,
            ),
            '429': {
              ...errorResponse('This API key sent more events than its rate allows (rate_limited): wait Retry-After seconds.'),
              headers: { 'Retry-After': { description: 'Seconds to wait before sending again.', schema: { type: 'integer' } } },
            },
            '503': errorResponse('Temporal is unreachable: send the same event (same idempotency key) again later.'),
          },
        },
      },
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key made by an admin under Settings → API keys.' } },
      schemas: {
        EventRequest: request,
        EventAccepted: {
          type: 'object',
          required: ['event', 'idempotencyKey', 'contactId', 'contactCreated', 'journeys', 'warnings'],
          properties: {
            event: { type: 'string' },
            idempotencyKey: { type: 'string' },
            contactId: { type: 'string' },
            contactCreated: { type: 'boolean' },
            journeys: {
              type: 'array',
              items: {
                type: 'object',
                required: ['flowId', 'version', 'status'],
                properties: {
                  flowId: { type: 'string' },
                  version: { type: 'integer' },
                  status: { type: 'string', enum: ['started', 'duplicate', 'refused', 'failed'] },
                  workflowId: { type: 'string' },
                  reason: { type: 'string' },
                },
              },
            },
            warnings: {
              type: 'array',
              description:
                'What the sender should know; unknown_event: no published flow listens to this event name (it started nothing), with didYouMean, the closest name one listens to.',
              items: {
                type: 'object',
                required: ['code', 'message', 'event'],
                properties: {
                  code: { type: 'string', enum: ['unknown_event'] },
                  message: { type: 'string' },
                  event: { type: 'string' },
                  didYouMean: { type: 'string' },
                },
              },
            },
          },
        },
        Error: error,
      },
    },
  };
}
