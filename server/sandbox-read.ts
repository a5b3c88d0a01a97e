/**
 * What the sandbox's mailbox keeps of a message (addresses, subject, Message-ID, text), read from its
 * bytes. mailparser reads any message; it also costs most of the sandbox's time per message, so the
 * common shape, a plain-text message with plain ASCII headers, is read here directly, with the same
 * result mailparser gives (test/sandbox-read.test.ts compares them). Anything else, or anything in
 * doubt, goes to mailparser.
 */
import { parseAddressHeader, simpleParser, type AddressObject } from 'mailparser';

export interface MessageFields {
  fromHeader: string;
  toHeader: string;
  replyTo: string;
  subject: string;
  messageId: string;
  text: string;
}

const addressText = (a: AddressObject | AddressObject[] | undefined) => (Array.isArray(a) ? a.map((x) => x.text).join(', ') : a?.text) ?? '';

export async function readMessage(raw: Buffer): Promise<MessageFields> {
  return readPlainMessage(raw) ?? readWithMailparser(raw);
}

/** Any message, read by mailparser: what readPlainMessage must agree with. */
export async function readWithMailparser(raw: Buffer): Promise<MessageFields> {
  // Only the text is kept: no HTML made of it, no links found in it (linkify's patterns cost more than the rest of the parse).
  const parsed = await simpleParser(raw, { skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
  return {
    fromHeader: addressText(parsed.from),
    toHeader: addressText(parsed.to),
    replyTo: addressText(parsed.replyTo),
    subject: parsed.subject ?? '',
    messageId: parsed.messageId ?? '',
    text: parsed.text ?? '',
  };
}

/** What an opened message shows besides its text: its HTML part (null without one) and its headers, as sent. */
export interface MessageParts {
  html: string | null;
  /** Every header line in order, unfolded, its value as it was sent (encoded words left as they are). */
  headers: { name: string; value: string }[];
}

/** The HTML part and the headers of a message, read by mailparser when the message is opened (never while storing it). */
export async function readMessageParts(raw: string): Promise<MessageParts> {
  const parsed = await simpleParser(raw, { skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
  const headers = parsed.headerLines.map(({ line }) => {
    const colon = line.indexOf(':');
    const unfolded = (text: string) => text.replace(/\r?\n[ \t]*/g, ' ').trim();
    return colon < 0 ? { name: unfolded(line), value: '' } : { name: line.slice(0, colon).trim(), value: unfolded(line.slice(colon + 1)) };
  });
  return { html: typeof parsed.html === 'string' ? parsed.html : null, headers };
}

/** Headers read here: each at most once. */
const KEPT = new Set(['from', 'to', 'reply-to', 'subject', 'message-id', 'content-type', 'content-transfer-encoding', 'content-disposition']);
const PLAIN_TEXT = /^text\/plain(?:;\s*charset="?(?:utf-8|us-ascii)"?)?$/i;
const ENCODINGS = new Set(['', '7bit', '8bit', 'quoted-printable']);

/**
 * A single-part text/plain message (UTF-8 or ASCII; 7bit, 8bit or quoted-printable) whose headers are
 * printable ASCII without encoded words; undefined for any other.
 */
export function readPlainMessage(raw: Buffer): MessageFields | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const head = raw.toString('latin1', 0, end);
  // Printable ASCII, tabs and CRLF line breaks only; no encoded word (=?charset?...?=) to decode.
  if (/[^\t\r\n\x20-\x7e]|\r(?!\n)|(?<!\r)\n/.test(head) || head.includes('=?')) return undefined;
  const headers = new Map<string, string>();
  for (const line of head.split(/\r\n(?![ \t])/)) {
    // Unfolded and trimmed as mailparser does (libmime's decodeHeader).
    const match = /^\s*([^:]+):(.*)$/s.exec(line.replace(/\r?\n[ \t]*/g, ' ').trim());
    if (!match) return undefined;
    const key = match[1]!.trim().toLowerCase();
    if (!KEPT.has(key)) continue;
    if (headers.has(key)) return undefined;
    headers.set(key, match[2]!.trim());
  }
  const type = headers.get('content-type');
  const encoding = (headers.get('content-transfer-encoding') ?? '').toLowerCase();
  if ((type !== undefined && !PLAIN_TEXT.test(type)) || !ENCODINGS.has(encoding) || headers.has('content-disposition')) return undefined;
  const messageId = headers.get('message-id') ?? '';
  if (messageId && !/^<[^<>\s]+>$/.test(messageId)) return undefined;
  const body = encoding === 'quoted-printable' ? decodeQuotedPrintable(raw.subarray(end + 4)) : raw.subarray(end + 4);
  if (!body) return undefined;
  const address = (key: string) => {
    const value = headers.get(key);
    return value ? parseAddressHeader(value).text : '';
  };
  return {
    fromHeader: address('from'),
    toHeader: address('to'),
    replyTo: address('reply-to'),
    subject: headers.get('subject') ?? '',
    messageId,
    text: body.toString('utf8').replace(/\r?\n/g, '\n'),
  };
}

/**
 * Quoted-printable bytes decoded, when nothing in them is left to a decoder's judgement: every `=` is a
 * soft line break or starts a hex pair, and no line ends in a space or tab (decoders strip those).
 * Otherwise undefined.
 */
function decodeQuotedPrintable(body: Buffer): Buffer | undefined {
  const text = body.toString('latin1');
  if (/[ \t](?:\r?\n|$)/.test(text) || /=(?![0-9A-Fa-f]{2}|\r\n)/.test(text)) return undefined;
  return Buffer.from(
    text.replace(/=\r\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    'latin1',
  );
}
