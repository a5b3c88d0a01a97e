/**
 * The bundled sandbox SMTP server: accepts every message and keeps it, so flows can be tried
 * safely. `startSandboxSmtp` is also what tests use as a real SMTP server.
 */
import { SMTPServer } from 'smtp-server';
import { simpleParser, type AddressObject } from 'mailparser';
import type { ReceivedMessage } from './db/sandbox';

export interface SandboxSmtp {
  port: number;
  close(): Promise<void>;
}

const addressText = (a: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(a) ? a.map((x) => x.text).join(', ') : a?.text) ?? '';

export async function startSandboxSmtp(options: {
  port: number;
  host?: string;
  /** When set, only this login is accepted (to try credential errors); otherwise any login is. */
  login?: { user: string; password: string };
  onMessage: (message: ReceivedMessage) => Promise<void>;
  /** A reply to RCPT TO instead of accepting the recipient (tests inject 4xx and 5xx answers with it). */
  answerRecipient?: (address: string) => { code: number; text: string } | undefined;
}): Promise<SandboxSmtp> {
  let received = 0;
  const server = new SMTPServer({
    name: 'dripline-sandbox',
    banner: 'Dripline sandbox SMTP: messages are kept, never delivered',
    authOptional: true,
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      const { login } = options;
      if (login && (auth.username !== login.user || auth.password !== login.password)) {
        return callback(Object.assign(new Error('5.7.8 Username and Password not accepted'), { responseCode: 535 }));
      }
      callback(null, { user: auth.username ?? 'sandbox' });
    },
    onRcptTo(address, _session, callback) {
      const answer = options.answerRecipient?.(address.address);
      if (answer) return callback(Object.assign(new Error(answer.text), { responseCode: answer.code }));
      callback();
    },
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    size: 25 * 1024 * 1024,
    // On shutdown, connections still open (a killed client's) are closed after this long.
    closeTimeout: 2000,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', callback);
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw)
          .then((parsed) =>
            options.onMessage({
              envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              envelopeTo: session.envelope.rcptTo.map((r) => r.address).join(', '),
              fromHeader: addressText(parsed.from),
              toHeader: addressText(parsed.to),
              replyTo: addressText(parsed.replyTo),
              subject: parsed.subject ?? '',
              messageId: parsed.messageId ?? '',
              text: parsed.text ?? '',
              raw: raw.toString('utf8'),
            }),
          )
          .then(() => callback(null, `Message queued as sandbox-${++received}`))
          .catch((err: unknown) => callback(Object.assign(new Error(`451 sandbox could not store the message: ${String(err)}`), { responseCode: 451 })));
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  server.on('error', (err) => console.error('[sandbox-smtp]', err));
  const address = server.server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
