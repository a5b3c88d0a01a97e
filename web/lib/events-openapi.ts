/** The OpenAPI 3.1 description of the events API, built from the schema the route validates with. */
import { z } from 'zod';
import { EventRequest } from '@domain/events';
import { REENTRY_POLICIES } from '@domain/flow/nodes/trigger';

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
  const { $schema: _, ...request } = z.toJSONSchema(EventRequest, { io: 'input', unrepresentable: 'any' });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Dripline events API',
      version: '1.0.0',
      description: `Send an event about a contact: the contact is created or updated, and every published flow whose Trigger listens to the event starts a journey for them. A flow's Trigger sets whether a contact may enter again (${REENTRY_POLICIES.join(', ')}; default once). Unsubscribed and suppressed contacts enter no flow.`,
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
              description: 'Instead of idempotencyKey in the body. The same key twice starts one journey.',
              schema: { type: 'string', minLength: 1, maxLength: 200 },
            },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/EventRequest' } } } },
          responses: {
            '202': {
              description:
                'Accepted: the contact is saved; each listening flow says whether a journey started, had started for this key, or why the contact did not enter.',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/EventAccepted' } } },
            },
            '400': errorResponse('The body is not valid: error.details.field names the field.'),
            '401': errorResponse('No API key, or an unknown or revoked one.'),
            '422': errorResponse("An attribute's value does not suit its type: error.details.field is attributes.<name>."),
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
          required: ['event', 'idempotencyKey', 'contactId', 'contactCreated', 'journeys'],
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
          },
        },
        Error: error,
      },
    },
  };
}
