// The sandbox's own reading of plain messages (server/sandbox-read.ts) against mailparser's, on the
// bytes a real sandbox SMTP server received from nodemailer: the same fields, or mailparser decides.
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReceivedMessage } from '../server/db/sandbox';
import { readMessage, readPlainMessage, readWithMailparser as byMailparser } from '../server/sandbox-read';
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
});
