/**
 * The sending thread (server/smtp/send-thread.ts): the worker's SMTP conversations, one pooled
 * nodemailer transport per profile version, off the event loop that commits outcomes to SQLite.
 * It only speaks SMTP: which message goes, when, and what its outcome means is decided by the caller.
 */
import type net from 'node:net';
import { parentPort } from 'node:worker_threads';
import type { Readable, Writable } from 'node:stream';
import nodemailer, { type Transporter } from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import type MailMessage from 'nodemailer/lib/mailer/mail-message';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import { fromWire } from './allow-list';
import type { FromThread, ToThread, WireError } from './send-thread';
import { transportOptions } from './transport';

const port = parentPort;
if (!port) throw new Error('send-thread-main runs in a worker thread (server/smtp/send-thread.ts starts it)');
// Replies leave together once per turn of the event loop: a message to the worker is a wake-up of its loop.
let outbox: FromThread[] = [];
const post = (message: FromThread) => {
  if (outbox.length === 0)
    setImmediate(() => {
      const batch = outbox;
      outbox = [];
      port.postMessage(batch);
    });
  outbox.push(message);
};
/** The pools, with whether their connections speak TLS from the first byte (else TLS comes with STARTTLS). */
const pools = new Map<string, { transport: Transporter<SMTPPool.SentMessageInfo>; secure: boolean }>();

/** How much of a send's data went out (nodemailer names a lost connection 'CONN' whatever the stage). */
interface Progress {
  dataSent: 'none' | 'some' | 'all';
}
/** The key under which a send's Progress travels with its message to the 'stream' step below. */
const PROGRESS = 'dripline.progress';

/**
 * Follows a message onto the wire: nodemailer pipes it into the connection once DATA was answered
 * with 354, and the data stream ends once its last byte and the final "." were handed to the socket.
 */
function followData(mail: MailMessage, done: (err?: Error | null) => void): void {
  const progress = (mail.data as Record<string, unknown>)[PROGRESS] as Progress | undefined;
  const message = mail.message as unknown as { createReadStream: () => Readable };
  const create = message.createReadStream.bind(message);
  if (progress)
    message.createReadStream = () => {
      const stream = create();
      const pipe = stream.pipe.bind(stream);
      stream.pipe = <T extends NodeJS.WritableStream>(into: T, options?: { end?: boolean }) => {
        progress.dataSent = 'some';
        (into as unknown as Writable).once('end', () => {
          progress.dataSent = 'all';
        });
        return pipe(into, options);
      };
      return stream;
    };
  done();
}

/** What the caller's classification reads of a nodemailer error (server/smtp/classify.ts). */
function wireError(err: unknown, progress: Progress, secure: boolean): WireError {
  const e = (err ?? {}) as Partial<WireError>;
  return {
    dataSent: progress.dataSent,
    ...(secure ? { implicitTls: true } : {}),
    message: err instanceof Error ? err.message : String(err),
    name: typeof e.name === 'string' ? e.name : 'Error',
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(typeof e.responseCode === 'number' ? { responseCode: e.responseCode } : {}),
    ...(typeof e.response === 'string' ? { response: e.response } : {}),
    ...(typeof e.command === 'string' ? { command: e.command } : {}),
    ...(typeof e.originalCode === 'string' ? { originalCode: e.originalCode } : {}),
    ...(e.beforeSmtp === true ? { beforeSmtp: true } : {}),
  };
}

/** A Buffer crosses threads as a Uint8Array; nodemailer wants a Buffer back. */
function withBuffers(mail: Mail.Options): Mail.Options {
  const raw: unknown = mail.raw;
  return raw instanceof Uint8Array && !Buffer.isBuffer(raw) ? { ...mail, raw: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength) } : mail;
}

port.on('message', (batch: ToThread[]) => {
  for (const m of batch) take(m);
});

function take(m: ToThread): void {
  if (m.type === 'open') {
    const options = transportOptions(m.settings, m.password, { allowed: fromWire(m.allowed) });
    // Counts the pool's open connections for the caller (TransportPool.warmUp).
    let open = 0;
    const getSocket = options.getSocket!;
    options.getSocket = (o, callback) =>
      getSocket(o, (err, socketOptions) => {
        const socket: net.Socket | undefined = socketOptions ? socketOptions.connection : undefined;
        if (socket) {
          post({ type: 'sockets', pool: m.pool, open: ++open });
          socket.once('close', () => post({ type: 'sockets', pool: m.pool, open: --open }));
        }
        callback(err, socketOptions);
      });
    pools.get(m.pool)?.transport.close();
    const transport = nodemailer.createTransport(options);
    transport.use('stream', followData);
    pools.set(m.pool, { transport, secure: m.settings.secure });
  } else if (m.type === 'close') {
    pools.get(m.pool)?.transport.close();
    pools.delete(m.pool);
  } else {
    const pool = pools.get(m.pool);
    if (!pool) {
      post({
        type: 'failed',
        id: m.id,
        error: {
          name: 'Error',
          code: 'ECONNECTION',
          beforeSmtp: true,
          message: 'the SMTP pool of this profile was closed before the send; it is tried again',
        },
      });
      return;
    }
    const progress: Progress = { dataSent: 'none' };
    pool.transport.sendMail({ ...withBuffers(m.mail), [PROGRESS]: progress } as Mail.Options).then(
      (info) => post({ type: 'sent', id: m.id, info: { response: info.response ?? '' } }),
      (err: unknown) => post({ type: 'failed', id: m.id, error: wireError(err, progress, pool.secure) }),
    );
  }
}
