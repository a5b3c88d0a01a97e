/**
 * SMTP conversations: one pooled nodemailer transport per profile version, spoken to by messages
 * (open a pool, close it, send on it) and answering by messages (sent, failed, open connections). The
 * worker runs it in the sending thread (send-thread.ts, send-thread-main.ts), off the event loop that
 * commits outcomes; the web app's test emails run it in process (InProcessSender). It only speaks SMTP:
 * which message goes, when, and what its outcome means is decided by the caller.
 */
import type net from 'node:net';
import type { Writable } from 'node:stream';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import { fromWire, type WireTarget } from './allow-list';
import { classifySmtpError } from './classify';
import type { RawMail } from './mime';
import { type SmtpServerSettings, transportOptions } from './transport';

/** What a send returns: the server's reply to the message. */
export interface SentInfo {
  response: string;
}

/** A nodemailer error's fields that say what happened (server/smtp/classify.ts reads them). */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  /** The system or TLS error's own code under nodemailer's (DEPTH_ZERO_SELF_SIGNED_CERT, ECONNREFUSED, ...). */
  originalCode?: string;
  /** How much of the message's data went out; 'unknown' when the thread was lost with the send. */
  dataSent?: 'none' | 'some' | 'all' | 'unknown';
  /** The connection speaks TLS from its first byte (SSL): a TLS failure is at connect, not at STARTTLS. */
  implicitTls?: boolean;
  beforeSmtp?: boolean;
}

export interface OpenPool {
  type: 'open';
  pool: string;
  settings: SmtpServerSettings;
  password: string;
  allowed: WireTarget[];
}
export type ToWire = OpenPool | { type: 'close'; pool: string } | { type: 'send'; id: number; pool: string; mail: RawMail };
export type FromWire =
  | { type: 'sent'; id: number; info: SentInfo }
  | { type: 'failed'; id: number; error: WireError }
  | { type: 'sockets'; pool: string; open: number };

export const asError = (e: WireError): Error => Object.assign(new Error(e.message), e);

/** Where TransportPool's conversations run: the sending thread (send-thread.ts) or this process (InProcessSender). */
export interface SmtpSender {
  open(pool: string, settings: SmtpServerSettings, password: string, allowed: WireTarget[]): void;
  close(pool: string): void;
  send(pool: string, mail: RawMail): Promise<SentInfo>;
  stop(): void;
}

/** How much of a send's data went out (nodemailer names a lost connection 'CONN' whatever the stage). */
interface Progress {
  dataSent: 'none' | 'some' | 'all';
}

/** What a pooled transport's own sender takes: a message as nodemailer's Mailer hands it on (nodemailer's custom transport API). */
interface PoolSender {
  send(mail: unknown, callback: (err: Error | null, info?: { response?: string }) => void): void;
}

/**
 * The message as the pool reads it: its envelope, its Message-ID, and its bytes, written into the DATA
 * stream once the server answered DATA with 354; the stream ends once the last byte and the final "."
 * were handed to the socket. `readableDidRead` tells the pool whether any of it went (a message not
 * started on a connection the server had closed goes out on another one).
 */
function pooledMessage(mail: RawMail, progress: Progress) {
  return {
    data: {},
    message: {
      getEnvelope: () => ({ from: mail.envelope.from, to: [...mail.envelope.to] }),
      messageId: () => mail.messageId,
      getHeader: (key: string) => (key.toLowerCase() === 'message-id' ? mail.messageId : undefined),
      createReadStream: () => {
        const bytes = {
          readableDidRead: false,
          pipe(into: Writable) {
            bytes.readableDidRead = true;
            progress.dataSent = 'some';
            into.once('end', () => {
              progress.dataSent = 'all';
            });
            into.end(mail.raw);
            return into;
          },
        };
        return bytes;
      },
    },
  };
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

/** What of nodemailer's pool retireCarrier touches: its own fields, not its API (test/send-thread.test.ts checks they still do what they did). */
interface PoolInternals {
  _connections?: { queueEntry?: { mail?: unknown } | false; messages: number }[];
}

/**
 * The connection that carried a message the server throttled before its data (at MAIL FROM or RCPT TO,
 * where servers that count a client refuse it: Postfix's anvil, caps per minute or hour) is not used
 * again: nodemailer closes it once its RSET is answered, as it closes one that has sent maxMessages.
 * Such servers slow down a session that made errors (Postfix answers each command a second late after
 * smtpd_soft_error_limit errors and hangs up at its hard limit): the session would carry the next
 * messages at a crawl and answer the pace's probes late. A throttle reply to the data (SES's 454) keeps
 * the session: a server refusing 30% that way made every third message reconnect, five times slower.
 * Called from the message's own callback, while the pool still has it assigned.
 */
function retireCarrier(transport: Transporter<SMTPPool.SentMessageInfo>, message: unknown): void {
  const connections = (transport.transporter as unknown as PoolInternals)._connections;
  const carrier = connections?.find((c) => c.queueEntry && c.queueEntry.mail === message);
  if (carrier) carrier.messages = Number.POSITIVE_INFINITY;
}

/** Speaks SMTP as `take`'s messages say, answering through `post`. */
export function smtpWire(post: (message: FromWire) => void): (message: ToWire) => void {
  /** The pools, with whether their connections speak TLS from the first byte (else TLS comes with STARTTLS). */
  const pools = new Map<string, { transport: Transporter<SMTPPool.SentMessageInfo>; secure: boolean }>();
  return take;

  function take(m: ToWire): void {
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
      pools.set(m.pool, { transport: nodemailer.createTransport(options), secure: m.settings.secure });
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
      const message = pooledMessage(m.mail, progress);
      (pool.transport.transporter as unknown as PoolSender).send(message, (err, info) => {
        if (!err) return post({ type: 'sent', id: m.id, info: { response: info?.response ?? '' } });
        const outcome = classifySmtpError(err);
        if (outcome.kind === 'throttled' && outcome.stage !== 'end of data') retireCarrier(pool.transport, message);
        post({ type: 'failed', id: m.id, error: wireError(err, progress, pool.secure) });
      });
    }
  }
}

/**
 * The SMTP conversations on this event loop: for the web app, whose test emails are few and must not
 * bundle a thread's entry file. The same pools and answers as the sending thread.
 */
export class InProcessSender implements SmtpSender {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (info: SentInfo) => void; reject: (err: Error) => void }>();
  private readonly take: (message: ToWire) => void;
  private readonly pools = new Set<string>();

  constructor(onSockets: (pool: string, open: number) => void) {
    this.take = smtpWire((m) => {
      if (m.type === 'sockets') return onSockets(m.pool, m.open);
      const waiting = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.type === 'sent') waiting?.resolve(m.info);
      else waiting?.reject(asError(m.error));
    });
  }

  open(pool: string, settings: SmtpServerSettings, password: string, allowed: WireTarget[]): void {
    this.pools.add(pool);
    this.take({ type: 'open', pool, settings, password, allowed });
  }

  close(pool: string): void {
    this.pools.delete(pool);
    this.take({ type: 'close', pool });
  }

  send(pool: string, mail: RawMail): Promise<SentInfo> {
    const id = ++this.nextId;
    return new Promise<SentInfo>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.take({ type: 'send', id, pool, mail });
    });
  }

  stop(): void {
    for (const pool of this.pools) this.take({ type: 'close', pool });
    this.pools.clear();
  }
}
