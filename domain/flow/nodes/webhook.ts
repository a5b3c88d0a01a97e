/**
 * Webhook: POSTs a JSON body, a Liquid template of the contact's attributes, to a URL, signed with the
 * flow's webhook secret (header `X-Dripline-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`,
 * docs/webhooks.md). Server errors, timeouts and connection errors are retried durably; the contact
 * then goes down "Succeeded" (a 2xx answer) or "Failed" (any other final answer, or retries spent).
 * In a campaign the cohort calls it a page of recipients at a time (server/cohort/webhook-page.ts).
 */
import { z } from 'zod';
import { nodeId, type NodeKind, position, stepName } from '../node';

export const WEBHOOK_SUCCESS = 'success';
export const WEBHOOK_FAILURE = 'failure';
export const MAX_WEBHOOK_BODY = 64 * 1024;
/** Its two outputs, in order. */
export const WEBHOOK_OUTPUTS = [
  { id: WEBHOOK_SUCCESS, label: 'Succeeded' },
  { id: WEBHOOK_FAILURE, label: 'Failed' },
];

const isHttpUrl = (s: string) => {
  try {
    const url = new URL(s);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
};

export const WebhookData = z.object({
  url: z
    .string({ error: 'enter the URL to POST to, e.g. https://example.com/hooks/dripline' })
    .trim()
    .max(2048, 'the URL is at most 2048 characters')
    .refine(isHttpUrl, 'enter an http:// or https:// URL without a login in it, e.g. https://example.com/hooks/dripline'),
  body: z
    .string({ error: 'write the JSON body to send, e.g. {"email": "{{ email }}"}' })
    .max(MAX_WEBHOOK_BODY, `the body is at most ${MAX_WEBHOOK_BODY / 1024} KB`),
});
export type WebhookData = z.output<typeof WebhookData>;

export const WebhookNode = z.object({ id: nodeId, type: z.literal('webhook'), name: stepName, position, data: WebhookData });

export interface WebhookStep {
  type: 'webhook';
  url: string;
  /** A Liquid template that renders to JSON (values are escaped for a JSON string). */
  body: string;
  /** The next node after a 2xx answer. */
  success: string;
  /** The next node after a final failure. */
  failure: string;
}

/**
 * How an answer counts: 2xx succeeded; 408, 429 and 5xx are worth another try; any other is final.
 * (Timeouts and connection errors are retried too, by the caller.)
 */
export const webhookAnswer = (status: number): 'succeeded' | 'retry' | 'failed' =>
  status >= 200 && status < 300 ? 'succeeded' : status === 408 || status === 429 || status >= 500 ? 'retry' : 'failed';

export const webhook: NodeKind<'webhook', WebhookData, WebhookStep> = {
  type: 'webhook',
  label: 'Webhook',
  outputs: 'branches',
  branches: () => WEBHOOK_OUTPUTS,
  unique: false,
  defaults: () => ({ url: '', body: '{\n  "email": "{{ email }}",\n  "name": "{{ name }}"\n}' }),
  summary: (data) => (data.url ? `POST to ${data.url}` : 'POST to a URL: enter it'),
  check: () => [],
  step: (data, _next, nextByBranch) => ({
    type: 'webhook',
    url: data.url,
    body: data.body,
    success: nextByBranch[WEBHOOK_SUCCESS] ?? '',
    failure: nextByBranch[WEBHOOK_FAILURE] ?? '',
  }),
};
