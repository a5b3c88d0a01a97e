/**
 * The worker's SMTP conversations run in a thread of their own (send-thread-main.ts). On the worker's
 * event loop they waited behind everything else it does — SQLite commits of outcomes, claims,
 * composing — and every reply that waits holds its connection idle: with five connections and two
 * round trips a message, that wait, not the server, set the pace. In the thread, a reply is answered
 * as soon as it arrives. The caller still decides everything about a send (its slot, its lease, what
 * its outcome means); the thread only holds the pooled transports and speaks SMTP.
 *
 * If the thread dies, sends in flight fail as "connection lost" (outcome unknown: resent with the same
 * Message-ID, or held, as the profile says), and the next send starts a new thread with the same pools.
 */
import { Worker } from 'node:worker_threads';
import type { WireTarget } from './allow-list';
import type { RawMail } from './mime';
import { asError, type FromWire, type OpenPool, type SentInfo, type SmtpSender, type ToWire, type WireError } from './smtp-wire';
import type { OutboundPolicy } from './outbound';
import type { SmtpServerSettings } from './transport';
import { TransportPool } from './transport-pool';

/** Nothing was handed to the server: safe to try again (server/smtp/classify.ts). */
const notSent = (message: string): WireError => ({ name: 'Error', code: 'ECONNECTION', beforeSmtp: true, dataSent: 'none', message });

export class SendingThread implements SmtpSender {
  private thread: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (info: SentInfo) => void; reject: (err: Error) => void }>();
  /** Pools the thread holds, opened again in a new thread if it had to be restarted. */
  private readonly pools = new Map<string, OpenPool>();
  private outbox: ToWire[] = [];

  /** onSockets: a pool's open connections, as they open and close (0 for all when the thread is gone). */
  constructor(private readonly onSockets: (pool: string, open: number) => void) {}

  open(pool: string, settings: SmtpServerSettings, password: string, allowed: WireTarget[]): void {
    const message: OpenPool = { type: 'open', pool, settings, password, allowed };
    this.start();
    this.pools.set(pool, message);
    this.post(message);
  }

  close(pool: string): void {
    this.pools.delete(pool);
    if (this.thread) this.post({ type: 'close', pool });
  }

  send(pool: string, mail: RawMail): Promise<SentInfo> {
    this.start();
    const id = ++this.nextId;
    return new Promise<SentInfo>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.post({ type: 'send', id, pool, mail });
    });
  }

  /** Messages leave together once per turn of the event loop: a message to the thread is a wake-up of its loop. */
  private post(message: ToWire): void {
    if (this.outbox.length === 0) setImmediate(() => this.flush());
    this.outbox.push(message);
  }

  private flush(): void {
    const batch = this.outbox;
    this.outbox = [];
    const thread = this.thread;
    if (!thread || batch.length === 0) return;
    try {
      thread.postMessage(batch);
    } catch {
      // One of them cannot be copied (a stream, a function in a message): the others go, it fails here.
      for (const message of batch) {
        try {
          thread.postMessage([message]);
        } catch (err) {
          if (message.type === 'send')
            this.fail(message.id, notSent(`the message cannot be handed to the sending thread: ${(err as Error).message}`));
        }
      }
    }
  }

  private fail(id: number, error: WireError): void {
    this.pending.get(id)?.reject(asError(error));
    this.pending.delete(id);
  }

  private start(): Worker {
    if (this.thread) return this.thread;
    const thread = new Worker(new URL('./send-thread-boot.mjs', import.meta.url));
    // Never what keeps the process alive: the sends in flight are awaited by their activities.
    thread.unref();
    thread.on('message', (batch: FromWire[]) => {
      for (const m of batch) {
        if (m.type === 'sockets') {
          this.onSockets(m.pool, m.open);
          continue;
        }
        const waiting = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.type === 'sent') waiting?.resolve(m.info);
        else waiting?.reject(asError(m.error));
      }
    });
    const gone = (why: string) => {
      if (this.thread !== thread) return;
      this.thread = undefined;
      // Sends still in the outbox never reached the thread: not sent, tried again.
      for (const message of this.outbox.splice(0))
        if (message.type === 'send') this.fail(message.id, notSent('the sending thread stopped before the send'));
      for (const pool of this.pools.keys()) this.onSockets(pool, 0);
      // Lost with the thread: maybe after DATA, so "outcome unknown", never "not sent".
      const lost: WireError = {
        name: 'Error',
        code: 'ESOCKET',
        dataSent: 'unknown',
        message: `Connection lost: the sending thread stopped (${why})`,
      };
      for (const { reject } of this.pending.values()) reject(asError(lost));
      this.pending.clear();
    };
    thread.on('error', (err) => gone(err.message));
    thread.on('exit', (code) => gone(`exit code ${code}`));
    this.thread = thread;
    for (const message of this.pools.values()) this.post(message);
    return thread;
  }

  stop(): void {
    const thread = this.thread;
    this.thread = undefined;
    this.pools.clear();
    for (const message of this.outbox.splice(0)) if (message.type === 'send') this.fail(message.id, notSent('the worker is shutting down'));
    for (const { reject } of this.pending.values())
      reject(asError({ name: 'Error', code: 'ESOCKET', dataSent: 'unknown', message: 'Connection lost: the worker is shutting down' }));
    this.pending.clear();
    void thread?.terminate();
  }
}

/** The worker's transports: SMTP in the sending thread (each message's bytes are built before, server/smtp/mime.ts). */
export function threadedTransports(decrypt: (passwordEnc: string, profileId: string) => string, policy: OutboundPolicy): TransportPool {
  return new TransportPool(decrypt, policy, { sender: (onSockets) => new SendingThread(onSockets) });
}
