/** One campaign message: its Message-ID, derived from the ledger key, and what nodemailer sends. */
import { createHmac } from 'node:crypto';
import type Mail from 'nodemailer/lib/mailer';
import type { SmtpProfile } from '../../domain/smtp-profile';
import { renderTemplate } from '../../domain/text';
import type { SendKey } from '../db/deliveries';

/** The same run, node and contact always get the same Message-ID, so a resend can be recognised as one. */
export function messageIdFor(secret: Buffer, key: SendKey, fromEmail: string): string {
  const domain = fromEmail.split('@')[1] ?? 'dripline.local';
  const digest = createHmac('sha256', secret).update(`${key.runId}\n${key.nodeId}\n${key.contactId}`).digest('hex');
  return `<${digest.slice(0, 32)}@${domain}>`;
}

export function composeMessage(
  profile: Pick<SmtpProfile, 'fromName' | 'fromEmail' | 'replyTo'>,
  contact: { name: string; email: string },
  content: { subject: string; text: string },
  messageId: string,
): Mail.Options {
  return {
    from: { name: profile.fromName, address: profile.fromEmail },
    to: { name: contact.name, address: contact.email },
    ...(profile.replyTo ? { replyTo: profile.replyTo } : {}),
    subject: renderTemplate(content.subject, contact, true),
    text: renderTemplate(content.text, contact, false),
    messageId,
  };
}
