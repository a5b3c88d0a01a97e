/**
 * Unsubscribe links: every campaign message carries a URL with a token signed by the install's secret
 * key (HMAC-SHA256 of the contact id), so the public unsubscribe page needs no login and a token can
 * neither be guessed nor changed to another contact. Links keep working after a key rotation (the
 * previous keys still verify).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Run ids of one-off messages: transactional, so they go to unsubscribed contacts too, without a link. */
export const ONE_OFF_RUN_PREFIX = 'oneoff';
export const isTransactionalRun = (runId: string) => runId.startsWith(`${ONE_OFF_RUN_PREFIX}_`);

const signature = (secret: Buffer, contactId: string) =>
  createHmac('sha256', secret).update(`unsubscribe\n${contactId}`).digest('base64url').slice(0, 32);

export function unsubscribeToken(secret: Buffer, contactId: string): string {
  return `${Buffer.from(contactId).toString('base64url')}.${signature(secret, contactId)}`;
}

/** The contact a token names, or null when it was not signed by one of these keys. */
export function verifyUnsubscribeToken(secrets: Buffer[], token: string): string | null {
  const m = /^([A-Za-z0-9_-]{1,200})\.([A-Za-z0-9_-]{32})$/.exec(token);
  if (!m?.[1] || !m[2]) return null;
  const contactId = Buffer.from(m[1], 'base64url').toString();
  const given = Buffer.from(m[2]);
  for (const secret of secrets) {
    const expected = Buffer.from(signature(secret, contactId));
    if (expected.length === given.length && timingSafeEqual(expected, given)) return contactId;
  }
  return null;
}

/** The public unsubscribe URL for a contact, under the app's public URL (DRIPLINE_PUBLIC_URL). */
export function unsubscribeUrl(publicUrl: string, secret: Buffer, contactId: string): string {
  return urlFor(publicUrl, unsubscribeToken(secret, contactId));
}

const urlFor = (publicUrl: string, token: string) => `${publicUrl.replace(/\/+$/, '')}/unsubscribe/${token}`;

/**
 * A campaign message's unsubscribe link and, where the profile has an unsubscribe mailbox, the
 * `mailto:` for List-Unsubscribe ('' when it has none), signed once. The mailto's subject carries the
 * same signed token as the link (`unsubscribe-<token>`), so whoever reads that mailbox can tell which
 * contact asked, and that the request was not forged.
 */
export function unsubscribeLinks(publicUrl: string, secret: Buffer, mailbox: string, contactId: string) {
  const token = unsubscribeToken(secret, contactId);
  const at = mailbox.lastIndexOf('@');
  return {
    unsubscribeUrl: urlFor(publicUrl, token),
    unsubscribeMailto: mailbox ? `mailto:${encodeURIComponent(mailbox.slice(0, at))}@${mailbox.slice(at + 1)}?subject=unsubscribe-${token}` : '',
  };
}
