/**
 * A message's bytes, built before it goes to the SMTP conversations (smtp-wire.ts), which then only
 * hand them to the server. nodemailer builds a message through a tree of streams with a pipeline per
 * part: in the sending thread that cost about three times what speaking SMTP for it did, and the
 * thread set the pace of every campaign. The messages Dripline composes (server/smtp/message.ts: from,
 * to, reply-to, subject, text, HTML, Message-ID, the unsubscribe headers) are built here as one string,
 * encoded as nodemailer encodes them (its own MIME functions: encoded words, quoting, quoted-printable).
 * Anything else (an address outside plain ASCII, a control character in a header, other options)
 * is built by nodemailer's MailComposer, so every message still goes out exactly as nodemailer would write it.
 */
import { randomUUID } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';
import { encodeWord, encodeWords, foldLines, hasLongerLines, isPlainText, quoteString } from 'nodemailer/lib/mime-funcs';
import { encode as qpEncode, wrap as qpWrap } from 'nodemailer/lib/qp';
import { CONTROL_CHARACTERS } from '../../domain/text';

/** A message ready for the wire: its envelope and its bytes (CRLF line ends). */
export interface RawMail {
  envelope: { from: string; to: string[] };
  messageId: string;
  raw: string;
}

interface Address {
  name: string;
  address: string;
}

/** Addresses the quick path writes as they are: ASCII, no quoting, no international domain. */
const PLAIN_ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const HEADER_NAME = /^[A-Za-z0-9-]+$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const MESSAGE_ID = /^<[\x21-\x7e]+>$/;
const QUICK_OPTIONS = new Set(['from', 'to', 'replyTo', 'subject', 'text', 'html', 'messageId', 'headers']);

function plainAddress(value: unknown): Address | undefined {
  if (typeof value === 'string') return PLAIN_ADDRESS.test(value) ? { name: '', address: value } : undefined;
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { name = '', address } = value as { name?: unknown; address?: unknown };
  if (typeof address !== 'string' || !PLAIN_ADDRESS.test(address) || typeof name !== 'string' || CONTROL_CHARACTERS.test(name)) return undefined;
  return { name, address };
}

/** nodemailer's choice: Q while most letters are latin, else B. */
function wordEncoding(value: string): 'Q' | 'B' {
  let [other, latin] = [0, 0];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x80) other++;
    else if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) latin++;
  }
  return other < latin ? 'Q' : 'B';
}

const headerText = (value: string) => (isPlainText(value) ? value : encodeWords(value, wordEncoding(value), 52, true));

function addressHeader({ name, address }: Address): string {
  if (!name) return address;
  const shown = /^[\w ]*$/.test(name) ? name : PRINTABLE_ASCII.test(name) ? quoteString(name) : encodeWord(name, wordEncoding(name), 52);
  return `${shown} <${address}>`;
}

const crlf = (s: string) => s.replace(/\r\n|\r|\n/g, '\r\n');

/** A text part: as it is when it is short-lined ASCII, else quoted-printable. */
function textPart(type: 'plain' | 'html', content: string): string {
  const lf = content.replace(/\r\n|\r/g, '\n');
  const plain = isPlainText(lf) && !hasLongerLines(lf, 76);
  const body = plain ? lf : qpWrap(qpEncode(lf), 76);
  const encoding = plain ? '7bit' : 'quoted-printable';
  return `Content-Type: text/${type}; charset=utf-8\r\nContent-Transfer-Encoding: ${encoding}\r\n\r\n${crlf(body)}`;
}

/** The quick path's message, or undefined for one it leaves to nodemailer (exported for its test). */
export function quickRawMail(mail: Mail.Options, date: Date): RawMail | undefined {
  if (Object.keys(mail).some((key) => !QUICK_OPTIONS.has(key))) return undefined;
  const from = plainAddress(mail.from);
  const to = plainAddress(mail.to);
  const replyTo = mail.replyTo === undefined ? undefined : plainAddress(mail.replyTo);
  const { subject = '', text = '', html, messageId, headers = {} } = mail;
  if (!from || !to || (mail.replyTo !== undefined && !replyTo)) return undefined;
  if (typeof subject !== 'string' || CONTROL_CHARACTERS.test(subject) || typeof text !== 'string' || (html !== undefined && typeof html !== 'string'))
    return undefined;
  if (typeof messageId !== 'string' || !MESSAGE_ID.test(messageId)) return undefined;
  if (typeof headers !== 'object' || Array.isArray(headers)) return undefined;
  const extra: string[] = [];
  for (const [key, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(key) || typeof value !== 'string' || !PRINTABLE_ASCII.test(value)) return undefined;
    extra.push(foldLines(`${key}: ${value}`, 76));
  }
  const head = [
    foldLines(`From: ${addressHeader(from)}`, 76),
    foldLines(`To: ${addressHeader(to)}`, 76),
    ...(replyTo ? [foldLines(`Reply-To: ${addressHeader(replyTo)}`, 76)] : []),
    foldLines(`Subject: ${headerText(subject)}`, 76),
    `Message-ID: ${messageId}`,
    ...extra,
    `Date: ${date.toUTCString().replace(/GMT/, '+0000')}`,
    'MIME-Version: 1.0',
  ].join('\r\n');
  let body: string;
  if (html === undefined) body = textPart('plain', text);
  else {
    let boundary = `--_dripline-${randomUUID()}`;
    while (text.includes(boundary) || html.includes(boundary)) boundary = `--_dripline-${randomUUID()}`;
    body =
      `Content-Type: multipart/alternative; boundary="${boundary}"\r\n\r\n` +
      `--${boundary}\r\n${textPart('plain', text)}\r\n--${boundary}\r\n${textPart('html', html)}\r\n--${boundary}--\r\n`;
  }
  const raw = `${head}\r\n${body}`;
  return { envelope: { from: from.address, to: [to.address] }, messageId, raw: raw.endsWith('\r\n') ? raw : `${raw}\r\n` };
}

/** The message's envelope and bytes. */
export async function rawMail(mail: Mail.Options, date = new Date()): Promise<RawMail> {
  const built = quickRawMail(mail, date);
  if (built) return built;
  const node = new MailComposer({ date, ...mail, disableFileAccess: true, disableUrlAccess: true }).compile();
  const envelope = node.getEnvelope();
  return { envelope: { from: envelope.from || '', to: envelope.to }, messageId: node.messageId(), raw: (await node.build()).toString('utf8') };
}
