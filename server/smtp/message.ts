/** One campaign message: its Message-ID, derived from the ledger key, and what nodemailer sends. */
import { createHmac } from 'node:crypto';
import type Mail from 'nodemailer/lib/mailer';
import type { ContactAttributes } from '../../domain/contact';
import type { SmtpProfile } from '../../domain/smtp-profile';
import { renderTemplate, usesTag } from '../../domain/text';
import type { SendKey } from '../db/deliveries';

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

/**
 * The message for one contact. With an unsubscribe URL (campaign messages) it carries
 * `List-Unsubscribe` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058, as Gmail and
 * Yahoo require of bulk senders; with a `mailto:` too where the profile has an unsubscribe mailbox), `{{ unsubscribe_url }}` fills in the body, and a body that does not
 * use it gets the link appended.
 */
export function composeMessage(
  profile: Pick<SmtpProfile, 'fromName' | 'fromEmail' | 'replyTo'>,
  contact: MessageContact,
  content: { subject: string; text: string },
  messageId: string,
  options: { unsubscribeUrl?: string | undefined; unsubscribeMailto?: string | undefined } = {},
): Mail.Options {
  const values = { name: contact.name, email: contact.email, attributes: attributesOf(contact), unsubscribeUrl: options.unsubscribeUrl ?? '' };
  let text = renderTemplate(content.text, values, false);
  const url = options.unsubscribeUrl;
  if (url && !usesTag(content.text, 'unsubscribe_url'))
    text = `${text.replace(/\s+$/, '')}\n\n--\nTo stop receiving these emails, unsubscribe: ${url}\n`;
  return {
    from: { name: profile.fromName, address: profile.fromEmail },
    to: { name: contact.name, address: contact.email },
    ...(profile.replyTo ? { replyTo: profile.replyTo } : {}),
    subject: renderTemplate(content.subject, values, true),
    text,
    messageId,
    ...(url
      ? { headers: { 'List-Unsubscribe': listUnsubscribe(url, options.unsubscribeMailto), 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } }
      : {}),
  };
}
