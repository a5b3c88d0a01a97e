// The bytes Dripline builds for its own messages (server/smtp/mime.ts) against nodemailer's for the
// same options: mailparser reads the same fields from both, the envelope is the same, and the
// sandbox's plain reader still reads a campaign's text message itself.
import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';
import { describe, expect, it } from 'vitest';
import { readPlainMessage, readWithMailparser } from '../server/sandbox-read';
import { composeMessage } from '../server/smtp/message';
import { quickRawMail, rawMail } from '../server/smtp/mime';

const profile = { fromName: 'Dripline Sandbox', fromEmail: 'hello@dripline.test', replyTo: 'support@dripline.test' };
const links = { unsubscribeUrl: `https://mail.example.test/unsubscribe/${'t'.repeat(90)}`, unsubscribeMailto: 'mailto:unsubscribe@dripline.test' };
const date = new Date('2026-12-07T01:02:03Z');

/** Messages as the send paths compose them: the quick path builds these. */
const composed: [string, Mail.Options][] = [
  [
    'a campaign text message',
    await composeMessage(
      profile,
      { name: 'Bench 12', email: 'bench-12@bench.test' },
      { subject: 'Bench for {{name}}', text: 'Hello {{name}},\n\nthis is a benchmark message.\n' },
      '<a1@dripline.test>',
      links,
    ),
  ],
  [
    'quotes, non-ASCII, long and trailing-space lines',
    await composeMessage(
      profile,
      { name: 'O\'Brien, "Pat"', email: 'pat@example.test' },
      {
        subject: 'Grüße 🎉 für {{name}}: a subject long enough that it has to be folded over more than one line',
        text: `Héllo {{name}}  \n.dot line\nFrom here\n${'long line '.repeat(20)}\n= sign =3D\r\nend`,
      },
      '<a2@dripline.test>',
      links,
    ),
  ],
  [
    'text and HTML with a preheader and a reply-to',
    await composeMessage(
      profile,
      { name: 'José Müller', email: 'jose@example.test' },
      {
        subject: 'Hi',
        text: 'Plain {{name}}',
        html: '<html><body><p>Hello <b>{{name}}</b> – ünïcode</p></body></html>',
        preheader: 'Peek',
        replyTo: 'replies@example.test',
      },
      '<a3@dripline.test>',
      links,
    ),
  ],
  [
    'a long name',
    {
      from: { name: 'Ops', address: 'ops@example.test' },
      to: { name: `${'Very Long Name '.repeat(12)}Ünïcode ${'x'.repeat(30)}`, address: 'long@example.test' },
      subject: 's',
      text: 't',
      messageId: '<a5@example.test>',
    },
  ],
  [
    'a long ASCII name',
    {
      from: 'ops@example.test',
      to: { name: `${'Plain Name, '.repeat(15)}end`, address: 'l2@example.test' },
      subject: 's',
      text: 't',
      messageId: '<a6@example.test>',
    },
  ],
  [
    'a test email',
    {
      from: { name: 'Ops', address: 'ops@example.test' },
      to: 'me@example.test',
      subject: 'Test email from Ops',
      text: 'It works.',
      messageId: '<a4@example.test>',
    },
  ],
];

/** Messages the quick path leaves to nodemailer. */
const others: [string, Mail.Options][] = [
  ['an international domain', { from: 'a@example.test', to: 'user@bücher.example', subject: 'x', text: 'y', messageId: '<b1@example.test>' }],
  ['a line break in the subject', { from: 'a@example.test', to: 'b@example.test', subject: 'one\ntwo', text: 'y', messageId: '<b2@example.test>' }],
  [
    'several recipients',
    { from: 'a@example.test', to: ['b@example.test', 'C <c@example.test>'], subject: 'x', text: 'y', messageId: '<b3@example.test>' },
  ],
  [
    'a header with a line break',
    {
      from: 'a@example.test',
      to: 'b@example.test',
      subject: 'x',
      text: 'y',
      messageId: '<b4@example.test>',
      headers: { 'X-A': 'one\r\nBcc: c@example.test' },
    },
  ],
];

async function nodemailerBytes(mail: Mail.Options) {
  const node = new MailComposer({ ...mail, date }).compile();
  return { envelope: node.getEnvelope(), raw: await node.build() };
}

async function read(raw: Buffer | string) {
  const p = await simpleParser(raw, { skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
  const header = (key: string) => JSON.stringify(p.headers.get(key) ?? null);
  return {
    from: p.from?.text,
    to: Array.isArray(p.to) ? p.to.map((t) => t.text) : p.to?.text,
    replyTo: p.replyTo?.text,
    subject: p.subject,
    messageId: p.messageId,
    date: p.date?.toISOString(),
    text: p.text,
    html: p.html,
    unsubscribe: header('list-unsubscribe'),
    unsubscribePost: header('list-unsubscribe-post'),
    bcc: header('bcc'),
  };
}

describe('message bytes (server/smtp/mime.ts)', () => {
  it.each(composed)('%s: built here, read as nodemailer writes it', async (_, mail) => {
    const built = quickRawMail(mail, date);
    expect(built).toBeDefined();
    const reference = await nodemailerBytes(mail);
    expect(built!.envelope).toEqual({ from: reference.envelope.from, to: reference.envelope.to });
    expect(built!.messageId).toBe(mail.messageId);
    expect(built!.raw).toMatch(/\r\n$/);
    expect(built!.raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    // RFC 5322's hard limit on a line.
    for (const line of built!.raw.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
    expect(await read(built!.raw)).toEqual(await read(reference.raw));
    const { text } = await read(built!.raw);
    expect(text).toContain(
      String(mail.text)
        .split('\n')[0]!
        .replace(/\{\{.*$/, '')
        .trim(),
    );
  });

  it('a campaign text message stays one the sandbox reads itself, as mailparser would', async () => {
    const raw = Buffer.from(quickRawMail(composed[0]![1], date)!.raw);
    const plain = readPlainMessage(raw);
    expect(plain).toBeDefined();
    expect(plain).toEqual(await readWithMailparser(raw));
  });

  it.each(others)('%s: left to nodemailer, the same bytes it writes', async (_, mail) => {
    expect(quickRawMail(mail, date)).toBeUndefined();
    const built = await rawMail(mail, date);
    const reference = await nodemailerBytes(mail);
    expect(built.envelope).toEqual({ from: reference.envelope.from, to: reference.envelope.to });
    expect(await read(built.raw)).toEqual(await read(reference.raw));
  });

  it('a header value cannot add a header of its own', async () => {
    const built = await rawMail(others[3]![1], date);
    expect(built.raw).not.toMatch(/^Bcc:/im);
  });
});
