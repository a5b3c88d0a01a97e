/**
 * The leases one batch attempt holds on its sends (the send ledger, server/db/deliveries.ts), kept
 * alive while the attempt lives and checked right before each DATA.
 *
 * A send claimed by an attempt stays leased to it; a newer attempt takes it over only once the lease
 * has run out. So an attempt that was stopped (a paused or partitioned worker) and comes back must not
 * send what it no longer holds: right before DATA it needs a lease that outlasts the SMTP transaction
 * (DATA_LEASE_MS, past its 60 s timeouts). Asking the database for each message costs more than the
 * message; instead one statement extends the leases of the sends about to go out (the next in the
 * queue) a little beyond that, and a send goes out on its own check only while what the database
 * promised still covers a whole transaction from now. A send not held any more (taken over) is never
 * in the answer, so its own turn asks the database again and finds it gone.
 */
import type { Db } from '../db';
import { holdSends, renewLeases } from '../db/deliveries';

/** A lease checked right before DATA runs at least this long from then. */
export const DATA_LEASE_MS = 90_000;
/** How long after one bulk extension its sends may still go out on it. */
const HOLD_AHEAD_MS = 2_000;
/** Sends extended together: the one about to go out and the next ones in the queue. */
const HOLD_AHEAD = 64;
/** A claimed send is held this long, renewed every RENEW_EVERY_MS while the attempt lives. */
export const CLAIM_LEASE_MS = 30_000;
const RENEW_EVERY_MS = 5_000;

export class SendLeases {
  /** Per send about to go out: until when the database has it leased to this attempt. */
  private readonly heldUntil = new Map<string, number>();
  private waiting: { contactId: string; answer: (held: boolean) => void; fail: (err: unknown) => void }[] = [];
  /** One extension at a time: two at once would write overlapping sends in different orders (PostgreSQL deadlocks). */
  private extending = false;
  private readonly renewer: NodeJS.Timeout;

  constructor(
    private readonly db: Db,
    private readonly runId: string,
    private readonly nodeId: string,
    private readonly owner: string,
    /** The sends queued to go out next, so one statement extends them together. */
    private readonly upcoming: (n: number) => string[],
  ) {
    // One renewal at a time: on a slow database, renewals of thousands of sends must not queue behind each other.
    let renewing = false;
    this.renewer = setInterval(() => {
      if (renewing) return;
      renewing = true;
      void renewLeases(db, runId, nodeId, owner, Date.now() + CLAIM_LEASE_MS)
        .catch(() => undefined)
        .finally(() => {
          renewing = false;
        });
    }, RENEW_EVERY_MS);
  }

  /** Right before DATA: does this attempt still hold the send, for a whole SMTP transaction from now? */
  stillHeld(contactId: string): Promise<boolean> {
    const until = this.heldUntil.get(contactId);
    this.heldUntil.delete(contactId);
    if (until !== undefined && Date.now() + DATA_LEASE_MS <= until) return Promise.resolve(true);
    return new Promise<boolean>((answer, fail) => {
      this.waiting.push({ contactId, answer, fail });
      // The checks asked for in one turn of the event loop, or while the last extension ran, share one statement.
      if (this.waiting.length === 1 && !this.extending) setImmediate(() => void this.extend());
    });
  }

  private async extend() {
    if (this.extending || this.waiting.length === 0) return;
    this.extending = true;
    const group = this.waiting;
    this.waiting = [];
    const asked = new Set(group.map((w) => w.contactId));
    const ahead = this.upcoming(HOLD_AHEAD).filter((id) => !asked.has(id) && !this.heldUntil.has(id));
    const until = Date.now() + DATA_LEASE_MS + HOLD_AHEAD_MS;
    // A statement that failed is asked again (another statement's lock may refuse it). One that keeps
    // failing fails the checks, as a send that could not be tried (retried later): answering "not held"
    // would leave the send to a newer attempt, and none may come.
    try {
      for (let tries = 1; ; tries++) {
        try {
          const held = await holdSends(this.db, this.runId, this.nodeId, [...asked, ...ahead], this.owner, until);
          for (const id of ahead) if (held.has(id)) this.heldUntil.set(id, until);
          for (const w of group) w.answer(held.has(w.contactId));
          return;
        } catch (err) {
          if (tries >= 3) {
            for (const w of group) w.fail(err);
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 50 * tries));
        }
      }
    } finally {
      this.extending = false;
      if (this.waiting.length > 0) setImmediate(() => void this.extend());
    }
  }

  stop() {
    clearInterval(this.renewer);
    this.heldUntil.clear();
  }
}
