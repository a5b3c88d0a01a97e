/**
 * The Webhook step's call: the body rendered for one contact, signed with the flow's secret, POSTed
 * through the outbound guard (server/smtp/outbound.ts: no internal address unless
 * DRIPLINE_WEBHOOK_ALLOWED_HOSTS allows it; the connection goes to the address that was checked, so a
 * DNS answer that changes in between cannot send it elsewhere). docs/webhooks.md says how to verify.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ContactAttributes } from '../domain/contact';
import type { Config } from './config';
import { purposeKey } from './crypto';
import { checkedAddresses, type OutboundPolicy, OutboundRefusedError } from './smtp/outbound';
import { renderFields, type TemplateScope } from './templates';

export const SIGNATURE_HEADER = 'X-Dripline-Signature';
/** How long one call may take, from connecting to the answer's status line. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/** The policy for webhooks: only the admin's allow-list (the sandbox SMTP server is no web server). */
export const webhookOutboundPolicy = (config: Pick<Config, 'DRIPLINE_WEBHOOK_ALLOWED_HOSTS'>): OutboundPolicy => ({
  allowed: config.DRIPLINE_WEBHOOK_ALLOWED_HOSTS,
});

/**
 * A flow's webhook signing secret, derived from the install's secret key and the flow id: every flow
 * has its own, none is stored, and the web app and every worker agree on it. Rotating DRIPLINE_SECRET_KEY
 * changes it (the receivers need the new one).
 */
export const webhookSecret = (installKey: Buffer, flowId: string) =>
  `whsec_${createHmac('sha256', purposeKey(installKey, 'webhook-signing')).update(flowId).digest('hex')}`;

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>`, as Stripe signs. */
export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}

/** A text value as it goes inside a JSON string: `"{{ name }}"` stays valid JSON whatever the name holds. */
const jsonStringContent = (value: string) => JSON.stringify(value).slice(1, -1);

/** The scope a webhook body is rendered with: the contact's attributes, name and email, text escaped for JSON. */
export function webhookScope(contact: { name: string; email: string; attributes: ContactAttributes }): TemplateScope {
  const scope: TemplateScope = {};
  for (const [name, value] of Object.entries({ ...contact.attributes, name: contact.name, email: contact.email })) {
    if (value === null || value === undefined) continue;
    scope[name] = typeof value === 'string' ? jsonStringContent(value) : (value as number | boolean);
  }
  return scope;
}

/** The body for one contact; an Error saying so when it is not JSON once rendered. */
export async function renderWebhookBody(body: string, scope: TemplateScope): Promise<string> {
  const rendered = (await renderFields([{ name: 'text', source: body, kind: 'text' }], scope)).text ?? '';
  try {
    JSON.parse(rendered);
  } catch (err) {
    throw new Error(`the body is not valid JSON once rendered (${(err as Error).message}); fix the body's template`);
  }
  return rendered;
}

/** What a call got: the answer's status, or no answer (the reason in words). */
export type WebhookReply = { status: number; statusText: string } | { status: null; error: string; refused?: true };

/** POSTs the body, signed, to the URL through the guard; never throws for the network's doing. */
export async function postWebhook(
  policy: OutboundPolicy,
  target: string,
  body: string,
  signature: string,
  timeoutMs = WEBHOOK_TIMEOUT_MS,
): Promise<WebhookReply> {
  const url = new URL(target);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  let address: string;
  try {
    [address = ''] = await checkedAddresses(policy, url.hostname, port);
  } catch (err) {
    // The guard's refusal is final (only an admin can change it); a name that does not resolve may yet.
    return err instanceof OutboundRefusedError
      ? { status: null, error: err.message, refused: true }
      : { status: null, error: (err as Error).message };
  }
  // Connect to the checked address; the host name stays for TLS (SNI, the certificate) and the Host header.
  const lookup: LookupFunction = (_host, options, callback) => {
    const family = address.includes(':') ? 6 : 4;
    if (options.all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        lookup,
        timeout: timeoutMs,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          'User-Agent': 'Dripline-Webhook/1',
          [SIGNATURE_HEADER]: signature,
        },
      },
      (res) => {
        res.resume(); // the answer's body is not read, nor kept
        resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '' });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', (err: Error & { code?: string }) => resolve({ status: null, error: err.code ? `${err.code}: ${err.message}` : err.message }));
    req.end(body);
  });
}
