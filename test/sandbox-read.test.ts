// The sandbox's own reading of plain messages (server/sandbox-read.ts) against mailparser's, on the
// bytes a real sandbox SMTP server received from nodemailer: the same fields, or mailparser decides.
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReceivedMessage } from '../server/db/sandbox';
import { readMessage, readMessageParts, readPlainMessage, readWithMailparser as byMailparser } from '../server/sandbox-read';
import { SANDBOX_HTML_POLICY, sandboxedHtml } from '../domain/sandbox-html';
import { type SandboxSmtp, startSandboxSmtp } from '../server/sandbox-smtp';
import { composeMessage } from '../server/smtp/message';

const campaign = (name: string, email: string, subject: string, text: string, url = 'https://mail.example.test/unsubscribe/tok') =>
  composeMessage(
    { fromName: 'Dripline Sandbox', fromEmail: 'hello@dripline.test', replyTo: 'support@dripline.test' },
    { name, email },
    { subject, text },
    `<${Math.random().toString(16).slice(2)}@dripline.test>`,
    { unsubscribeUrl: `${url}/${'x'.repeat(80)}`, unsubscribeMailto: 'mailto:unsubscribe@dripline.test' },
  );

/** Plain messages the sandbox reads itself. */
const plain: Mail.Options[] = await Promise.all([
  campaign('Bench 12', 'bench-0000012@bench.test', 'Bench for {{name}}', 'Hello {{name}},\n\nthis is a benchmark message.\n'),
  campaign('O\'Brien, "Pat"', 'pat@example.test', 'Re: offer #3 - 100% off', 'Hi {{name}}\n= equals = sign, 100% sure=\ntrailing  \n\n\nend'),
  campaign(
    'Ann',
    'ann@example.test',
    'A very long subject line that goes on and on so that nodemailer has to fold it over several lines {{name}}',
    `${'long line '.repeat(40)}\n`,
  ),
  {
    from: 'plain@example.test',
    to: ['a@example.test', 'B Person <b@example.test>'],
    subject: 'No names',
    text: 'short',
    messageId: '<id-1@example.test>',
  },
  { from: 'x@example.test', to: 'y@example.test', subject: '', text: '' },
]);
/** Messages left to mailparser: encoded words in headers, HTML, attachments, base64. */
const other: Mail.Options[] = await Promise.all([
  campaign('O\'Brien, "Pat"', 'pat@example.test', 'Re: {{name}}', 'Hi {{name}}'),
  campaign('Zoë Ångström', 'zoe@example.test', 'Grüße, {{name}}', 'Hallo {{name}}, schön!\n'),
  { from: 'x@example.test', to: 'y@example.test', subject: 'html', text: 'text part', html: '<p>html part</p>' },
  { from: 'x@example.test', to: 'y@example.test', subject: 'file', text: 'see attached', attachments: [{ filename: 'a.txt', content: 'hello' }] },
  { from: 'x@example.test', to: 'y@example.test', subject: 'latin', text: 'caf\u00e9', textEncoding: 'base64' },
  composeMessage(
    { fromName: 'Dripline Sandbox', fromEmail: 'hello@dripline.test', replyTo: '' },
    { name: 'Ada', email: 'ada@example.test' },
    { subject: 'Hello {{name}}', text: 'Hi {{name}}', html: '<h1>Hi {{name}}</h1><img src="https://tracker.example.test/p.gif" alt="">' },
    '<html-1@dripline.test>',
    { unsubscribeUrl: 'https://mail.example.test/unsubscribe/tok', unsubscribeMailto: 'mailto:unsubscribe@dripline.test' },
  ),
]);

let smtp: SandboxSmtp;
const received: ReceivedMessage[] = [];

beforeAll(async () => {
  smtp = await startSandboxSmtp({ port: 0, onMessage: async (m) => void received.push(m) });
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true });
  for (const mail of [...plain, ...other]) await transport.sendMail(mail);
  transport.close();
});
afterAll(async () => {
  await smtp?.close();
});

describe('the sandbox reading messages', () => {
  it('stores what mailparser reads from every message, plain or not', async () => {
    expect(received).toHaveLength(plain.length + other.length);
    for (const m of received) {
      const raw = Buffer.from(m.raw, 'utf8');
      const expected = await byMailparser(raw);
      expect({ ...m, envelopeFrom: undefined, envelopeTo: undefined, raw: undefined }).toEqual({
        ...expected,
        envelopeFrom: undefined,
        envelopeTo: undefined,
        raw: undefined,
      });
      expect(await readMessage(raw)).toEqual(expected);
    }
  });

  it('reads the plain ones itself and leaves the others to mailparser', () => {
    const read = received.map((m) => readPlainMessage(Buffer.from(m.raw, 'utf8')) !== undefined);
    expect(read).toEqual([...plain.map(() => true), ...other.map(() => false)]);
    // The campaign message's own text, unsubscribe link included, decoded from quoted-printable.
    expect(received[0]!.text).toContain('Hello Bench 12,\n\nthis is a benchmark message.');
    expect(received[0]!.text).toContain(`https://mail.example.test/unsubscribe/tok/${'x'.repeat(80)}`);
  });

  it('leaves headers with bare line feeds to mailparser', async () => {
    const raw = Buffer.from('From: a@example.test\nTo: b@example.test\r\nSubject: s\nX-Other: y\r\n\r\nbody\r\n');
    expect(readPlainMessage(raw)).toBeUndefined();
    expect(await readMessage(raw)).toEqual(await byMailparser(raw));
  });

  it('leaves quoted-printable in doubt to mailparser', async () => {
    const head =
      'From: a@example.test\r\nTo: b@example.test\r\nSubject: s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n';
    for (const body of ['a lone = sign\r\n', 'trailing space \r\nnext\r\n', 'bad =ZZ escape\r\n']) {
      const raw = Buffer.from(head + body);
      expect(readPlainMessage(raw)).toBeUndefined();
      expect(await readMessage(raw)).toEqual(await byMailparser(raw));
    }
  });

  it('opens a message with its HTML part and every header as sent, List-Unsubscribe included', async () => {
    const campaignWithHtml = received.find((m) => m.subject === 'Hello Ada');
    const parts = await readMessageParts(campaignWithHtml!.raw);
    expect(parts.html).toContain('<h1>Hi Ada</h1>');
    const header = (name: string) => parts.headers.filter((h) => h.name.toLowerCase() === name).map((h) => h.value);
    expect(header('list-unsubscribe')).toEqual(['<https://mail.example.test/unsubscribe/tok>, <mailto:unsubscribe@dripline.test>']);
    expect(header('list-unsubscribe-post')).toEqual(['List-Unsubscribe=One-Click']);
    expect(header('message-id')).toEqual(['<html-1@dripline.test>']);
    expect(header('subject')).toEqual(['Hello Ada']);
    // A text-only message has no HTML part (none is made of its text).
    expect((await readMessageParts(received[0]!.raw)).html).toBeNull();
    // Folded headers come unfolded.
    const folded = await readMessageParts('Subject: a long\r\n subject\r\nX-Empty:\r\n\r\nbody');
    expect(folded.headers).toEqual([
      { name: 'Subject', value: 'a long subject' },
      { name: 'X-Empty', value: '' },
    ]);
  });

  it('frames an HTML part behind a policy that loads nothing from outside, set before any of the message', () => {
    const framed = sandboxedHtml('<img src="https://tracker.example.test/p.gif"><meta http-equiv="Content-Security-Policy" content="default-src *">');
    expect(framed.indexOf(`<meta http-equiv="Content-Security-Policy" content="${SANDBOX_HTML_POLICY}">`)).toBeLessThan(framed.indexOf('<img'));
    expect(SANDBOX_HTML_POLICY).toContain("default-src 'none'");
    expect(SANDBOX_HTML_POLICY).not.toMatch(/script-src|https?:|\*/);
  });
});
