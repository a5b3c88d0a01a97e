/**
 * Builds campaign messages ahead of their turn, in a thread of their own: nodemailer's composing of a
 * message (headers, encodings, its streams) costs the worker's event loop more than sending it, and
 * that loop also answers every SMTP reply and commits every outcome. A batch hands over a chunk's
 * messages when it claims them; by the time a send's turn comes, its bytes are ready and nodemailer
 * only sends them (`raw`, with the same envelope). The bytes are exactly what nodemailer would have
 * sent (its own stream transport builds them). A message the thread could not build is built the
 * usual way when it is sent, so the thread never decides whether a message goes out.
 */
import { Worker } from 'node:worker_threads';
import type Mail from 'nodemailer/lib/mailer';

/** A message ready to go: its bytes and its envelope. */
export interface BuiltMessage {
  raw: Buffer;
  envelope: { from: string; to: string[] };
}

/** Messages handed to the thread at a time. */
const SLICE = 25;

type Reply = { id: number; built: ({ raw: Uint8Array; envelope: BuiltMessage['envelope'] } | { error: string })[] };

export class MessageBuilder {
  private thread: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, (built: Reply['built'] | null) => void>();

  /**
   * Each message's bytes, as soon as its slice is built (a slice at a time, so the first sends of a
   * chunk do not wait for the whole chunk); null for one the thread could not build (or if the thread
   * is gone). Never rejects.
   */
  buildMany(mails: Mail.Options[]): Promise<BuiltMessage | null>[] {
    const out: Promise<BuiltMessage | null>[] = [];
    for (let i = 0; i < mails.length; i += SLICE) {
      const slice = this.buildSlice(mails.slice(i, i + SLICE));
      for (let j = 0; j < Math.min(SLICE, mails.length - i); j++) out.push(slice.then((built) => built[j] ?? null));
    }
    return out;
  }

  private buildSlice(mails: Mail.Options[]): Promise<(BuiltMessage | null)[]> {
    const thread = this.start();
    const id = ++this.nextId;
    return new Promise<Reply['built'] | null>((resolve) => {
      this.pending.set(id, resolve);
      try {
        thread.postMessage({ id, mails });
      } catch {
        this.pending.delete(id);
        resolve(null);
      }
    }).then((built) =>
      mails.map((_, i) => {
        const b = built?.[i];
        return b && 'raw' in b ? { raw: Buffer.from(b.raw.buffer, b.raw.byteOffset, b.raw.byteLength), envelope: b.envelope } : null;
      }),
    );
  }

  /** Starts the thread now (it takes a moment), so the first messages do not wait for it. */
  prepare(): void {
    this.start();
  }

  private start(): Worker {
    if (this.thread) return this.thread;
    const thread = new Worker(new URL('./build-thread.cjs', import.meta.url));
    // Never what keeps the process alive.
    thread.unref();
    thread.on('message', (reply: Reply) => {
      this.pending.get(reply.id)?.(reply.built);
      this.pending.delete(reply.id);
    });
    const gone = () => {
      if (this.thread === thread) this.thread = undefined;
      for (const answer of this.pending.values()) answer(null);
      this.pending.clear();
    };
    thread.on('error', gone);
    thread.on('exit', gone);
    this.thread = thread;
    return thread;
  }

  close(): void {
    void this.thread?.terminate();
    this.thread = undefined;
  }
}
