/**
 * The bundled sandbox SMTP server: keeps every message it accepts, so flows can be tried safely.
 * `startSandboxSmtp` is also what tests and benchmarks use as a real SMTP server, and it can behave
 * like a real server under load: `faults` (server/sandbox-faults.ts, SANDBOX_FAULTS for the product's
 * sandbox process) adds a throttle, the limits real servers count (a window per client, caps per minute and hour, per connection), 421 disconnects, greylisting, rejects, 454 to AUTH, connections
 * dropped after DATA and slow replies.
 */
import type net from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import type { ReceivedMessage } from './db/sandbox';
import { type MessageFields, readMessage } from './sandbox-read';
import { coalesceWrites } from './smtp/socket-writes';
import { createFaultInjector, type FaultReply, type Faults, type SandboxStats } from './sandbox-faults';
import { log } from './log';

export interface SandboxSmtp {
  port: number;
  /** What the server did so far: messages accepted, and every refusal by fault. */
  stats(): SandboxStats;
  close(): Promise<void>;
}

/** An smtp-server handler error: the client is answered `code text`. */
const refusal = (reply: FaultReply) => Object.assign(new Error(reply.text), { responseCode: reply.code });

/** The socket of a session: the one from its peer port, and its address when several clients share that port. */
function sessionSocket(sockets: Map<number, Set<net.Socket>>, session: SMTPServerSession): net.Socket | undefined {
  const candidates = [...(sockets.get(session.remotePort) ?? [])];
  // smtp-server strips the IPv4-mapped prefix and lowercases (session.remoteAddress).
  const address = (s: net.Socket) => (s.remoteAddress ?? '').replace(/^::ffff:/i, '').toLowerCase();
  return candidates.find((s) => address(s) === session.remoteAddress) ?? candidates[0];
}

export async function startSandboxSmtp(options: {
  port: number;
  host?: string;
  /** When set, a message needs this login (the product's sandbox always sets one); otherwise none is needed and any is accepted. */
  login?: { user: string; password: string };
  /** The largest message accepted, in bytes (default 10 MB). */
  maxMessageBytes?: number;
  onMessage: (message: ReceivedMessage) => Promise<void>;
  /** A reply to RCPT TO instead of accepting the recipient (tests inject 4xx and 5xx answers with it). */
  answerRecipient?: (address: string) => { code: number; text: string } | undefined;
  /** Faults to inject (none by default). */
  faults?: Faults;
}): Promise<SandboxSmtp> {
  let received = 0;
  const maxBytes = options.maxMessageBytes ?? 10 * 1024 * 1024;
  const faults = createFaultInjector(options.faults ?? {});
  const { later } = faults;
  // The raw sockets, by peer port: dropping a connection after DATA destroys one without a reply.
  const sockets = new Map<number, Set<net.Socket>>();
  const server = new SMTPServer({
    name: 'dripline-sandbox',
    banner: 'Dripline sandbox SMTP: messages are kept, never delivered',
    authOptional: !options.login,
    // The sandbox offers no TLS (it is local, or on the compose network): its login goes in plain text.
    allowInsecureAuth: true,
    onConnect(session, callback) {
      const refused = faults.connect(session.id);
      faults.greet(() => callback(refused && refusal(refused)));
    },
    onClose(session) {
      faults.close(session.id);
    },
    onAuth(auth, _session, callback) {
      const refused = faults.auth();
      const { login } = options;
      later(() => {
        if (refused) return callback(refusal(refused));
        if (login && (auth.username !== login.user || auth.password !== login.password)) {
          return callback(refusal({ code: 535, text: '5.7.8 Username and Password not accepted' }));
        }
        callback(null, { user: auth.username ?? 'sandbox' });
      });
    },
    onMailFrom(_address, session, callback) {
      const refused = faults.mailFrom(session.remoteAddress, session.id);
      // A 421 reply makes smtp-server close the connection after sending it.
      later(() => callback(refused && refusal(refused)));
    },
    onRcptTo(address, session, callback) {
      const answer =
        options.answerRecipient?.(address.address) ??
        faults.rcptTo(session.envelope.mailFrom ? session.envelope.mailFrom.address : '', address.address);
      later(() => callback(answer && refusal(answer)));
    },
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    size: maxBytes,
    // On shutdown, connections still open (a killed client's) are closed after this long.
    closeTimeout: 2000,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      // Past the size limit the rest is read and dropped (smtp-server sets sizeExceeded), then refused.
      stream.on('data', (c: Buffer) => {
        if (!stream.sizeExceeded) chunks.push(c);
      });
      stream.on('error', callback);
      stream.on('end', () => {
        if (stream.sizeExceeded) return callback(refusal({ code: 552, text: `5.3.4 Message too big for the sandbox (at most ${maxBytes} bytes)` }));
        // Amazon SES answers its throttle after DATA ("Message failed: 454 ..." in nodemailer).
        const throttled = faults.dataEnd();
        if (throttled) return later(() => callback(refusal(throttled)));
        const raw = Buffer.concat(chunks);
        readMessage(raw)
          .then((fields) => options.onMessage(receivedMessage(session, fields, raw)))
          .then(
            () => {
              if (!faults.dropAfterStore()) return later(() => callback(null, `Message queued as sandbox-${++received}`));
              // Kept, but the client never hears so: for it, the outcome is unknown. The callback is
              // never called; the destroyed socket ends the session.
              later(() => sessionSocket(sockets, session)?.destroy());
            },
            (err: unknown) => callback(refusal({ code: 451, text: `sandbox could not store the message: ${String(err)}` })),
          );
      });
    },
  });
  server.server.on('connection', (socket: net.Socket) => {
    // Replies to pipelined commands (MAIL, RCPT, DATA) leave in one segment instead of one each.
    coalesceWrites(socket);
    const port = socket.remotePort ?? 0;
    const same = sockets.get(port) ?? new Set<net.Socket>();
    sockets.set(port, same.add(socket));
    socket.once('close', () => {
      same.delete(socket);
      if (same.size === 0 && sockets.get(port) === same) sockets.delete(port);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  server.on('error', (err) => log.error({ err, service: 'sandbox-smtp' }, 'the sandbox SMTP server failed'));
  const address = server.server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    stats: () => ({ ...faults.stats }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function receivedMessage(session: SMTPServerSession, fields: MessageFields, raw: Buffer): ReceivedMessage {
  return {
    envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
    envelopeTo: session.envelope.rcptTo.map((r) => r.address).join(', '),
    ...fields,
    raw: raw.toString('utf8'),
  };
}
