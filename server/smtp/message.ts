/** One campaign message: its Message-ID, derived from the ledger key, and what nodemailer sends. */
import { createHmac } from 'node:crypto';
import type Mail from 'nodemailer/lib/mailer';
import type { ContactAttributes } from '../../domain/contact';
import type { SmtpProfile } from '../../domain/smtp-profile';
import { printsVariable } from '../../domain/flow/nodes/send-email';
import { renderFields, type FieldSource } from '../templates';
import type { SendKey } from '../db/deliveries';
import { type TrackingOptions, trackLinks } from '../tracking';

/** The same run, node and contact always get the same Message-ID, so a resend can be recognised as one. */
export function messageIdFor(secret: Buffer, key: SendKey, fromEmail: string): string {
  const domain = fromEmail.split('@')[1] ?? 'dripline.local';
  const digest = createHmac('sha256', secret).update(`${key.runId}\n${key.nodeId}\n${key.contactId}`).digest('hex');
  return `<${digest.slice(0, 32)}@${domain}>`;
}

/** The contact as a message sees it; attributes may come as the stored JSON (the send path parses them only here). */
export interface MessageContact {
  name: string;
  email: string;
  attributes?: ContactAttributes | string;
}

function attributesOf(contact: MessageContact): ContactAttributes {
  if (typeof contact.attributes !== 'string') return contact.attributes ?? {};
  try {
    const parsed: unknown = JSON.parse(contact.attributes);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as ContactAttributes) : {};
  } catch {
    return {};
  }
}

/** RFC 2369: the HTTPS link first (the one RFC 8058's One-Click POST goes to), then the mailto when the profile has one. */
const listUnsubscribe = (url: string, mailto: string | undefined) => (mailto ? `<${url}>, <${mailto}>` : `<${url}>`);

/** What a Send step (or a preview, or a one-off) gives a message: Liquid templates, prepared by server/email-content.ts. */
export interface MessageContent {
  subject: string;
  text: string;
  preheader?: string | undefined;
  /** The HTML part; without it the message is text only. */
  html?: string | undefined;
  /** Replies go here instead of the profile's reply-to. */
  replyTo?: string | undefined;
  /** The properties of the API event that started the journey: `{{ event.<name> }}`. */
  event?: Readonly<Record<string, string | number | boolean | null>> | undefined;
}

/** The preheader as inbox preview text: first in the body, invisible when the message is opened. */
const PREHEADER_STYLE =
  'display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all;color:transparent';

function withPreheader(html: string, preheader: string): string {
  const hidden = `<div style="${PREHEADER_STYLE}">${preheader}</div>`;
  const body = /<body\b[^>]*>/i.exec(html);
  return body ? `${html.slice(0, body.index + body[0].length)}${hidden}${html.slice(body.index + body[0].length)}` : `${hidden}${html}`;
}

function withUnsubscribeFooter(html: string, url: string): string {
  const escaped = url.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const footer = `<p style="font-size:12px;color:#666">To stop receiving these emails, <a href="${escaped}">unsubscribe</a>.</p>`;
  const end = html.search(/<\/body>/i);
  return end >= 0 ? `${html.slice(0, end)}${footer}${html.slice(end)}` : `${html}${footer}`;
}

/**
 * The message for one contact. With an unsubscribe URL (campaign messages) it carries
 * `List-Unsubscribe` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058, as Gmail and
 * Yahoo require of bulk senders; with a `mailto:` too where the profile has an unsubscribe mailbox),
 * `{{ unsubscribe_url }}` fills in the body, and a part that does not use it gets the link appended.
 * Templates are Liquid, rendered per contact in a template thread (server/templates.ts), values
 * HTML-escaped in the HTML part; a template that fails throws `TemplateRenderError` (permanent for this contact). Links and images are left as written,
 * unless `tracking` is given (a flow that tracks opens and clicks): then links go through signed redirects and the HTML gets an open pixel (server/tracking.ts).
 */
export async function composeMessage(
  profile: Pick<SmtpProfile, 'fromName' | 'fromEmail' | 'replyTo'>,
  contact: MessageContact,
  content: MessageContent,
  messageId: string,
  options: {
    unsubscribeUrl?: string | undefined;
    unsubscribeMailto?: string | undefined;
    until?: number;
    tracking?: TrackingOptions | undefined;
  } = {},
): Promise<Mail.Options> {
  const url = options.unsubscribeUrl;
  const scope = {
    ...attributesOf(contact),
    name: contact.name,
    email: contact.email,
    unsubscribe_url: url ?? '',
    ...(content.event ? { event: content.event } : {}),
  };
  const fields: FieldSource[] = [
    { name: 'subject', source: content.subject, kind: 'text' },
    { name: 'text', source: content.text, kind: 'text' },
    ...(content.html ? [{ name: 'html' as const, source: content.html, kind: 'html' as const }] : []),
    ...(content.html && content.preheader ? [{ name: 'preheader' as const, source: content.preheader, kind: 'html' as const }] : []),
  ];
  const rendered = await renderFields(fields, scope, options.until);
  // Before the unsubscribe link is added (and a printed one is left alone by trackLinks).
  if (options.tracking) Object.assign(rendered, trackLinks({ html: rendered.html, text: rendered.text ?? '' }, options.tracking));
  let text = rendered.text ?? '';
  if (url && !printsVariable(content.text, 'unsubscribe_url'))
    text = `${text.replace(/\s+$/, '')}\n\n--\nTo stop receiving these emails, unsubscribe: ${url}\n`;
  let html = rendered.html;
  if (html !== undefined) {
    if (url && !printsVariable(content.html ?? '', 'unsubscribe_url')) html = withUnsubscribeFooter(html, url);
    if (rendered.preheader) html = withPreheader(html, rendered.preheader);
  }
  const replyTo = content.replyTo || profile.replyTo;
  return {
    from: { name: profile.fromName, address: profile.fromEmail },
    to: { name: contact.name, address: contact.email },
    ...(replyTo ? { replyTo } : {}),
    subject: rendered.subject ?? '',
    text,
    ...(html !== undefined ? { html } : {}),
    messageId,
    ...(url
      ? { headers: { 'List-Unsubscribe': listUnsubscribe(url, options.unsubscribeMailto), 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } }
      : {}),
  };
}
