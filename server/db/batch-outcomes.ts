/**
 * The send path's writes, grouped: a batch claims its sends a chunk at a time and commits its
 * outcomes a group at a time, each group in one transaction with one statement per kind of row.
 * Per message, the database is the most expensive thing a sender does; grouped, it is not.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { now, type Db } from '.';
import type { DeliveryAttempt, SendClaim, SendKey } from './deliveries';
import { type GuardKind, type GuardTally, insertGuardTally } from './guard';
import { claimSend, finishSends, lastAttemptNumber, sendsOf } from './deliveries';
import { moveRecipient, type RecipientMove } from './recipients';
import { noteAccepted, recordAccepted, takeUntold } from './throttle';

const CHUNK = 200;
const chunks = <T>(items: T[], size = CHUNK): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

export interface ClaimOptions {
  owner: string;
  nowMs: number;
  leaseMs: number;
}

/**
 * Claims many sends of one run and node at once (committed before any of their DATA): new ones in one
 * multi-row insert; the few that already have a ledger row go through claimSend's compare-and-set.
 */
export async function claimSends(
  db: Db,
  runId: string,
  nodeId: string,
  sends: { contactId: string; messageId: string }[],
  claim: ClaimOptions,
): Promise<Map<string, SendClaim>> {
  const claims = new Map<string, SendClaim>();
  const leaseUntil = claim.nowMs + claim.leaseMs;
  const at = now();
  for (const group of chunks(sends)) {
    // The rows this insert wrote are the claims; a conflict (a send seen before) writes and returns nothing.
    const inserted = await db
      .insertInto('sends')
      .values(
        group.map((s) => ({
          runId,
          nodeId,
          contactId: s.contactId,
          messageId: s.messageId,
          status: 'SENDING' as const,
          leaseUntil,
          leaseOwner: claim.owner,
          updatedAt: at,
        })),
      )
      .onConflict((oc) => oc.columns(['runId', 'nodeId', 'contactId']).doNothing())
      .returning('contactId')
      .execute();
    const mine = new Set(inserted.map((r) => r.contactId));
    for (const s of group) {
      if (mine.has(s.contactId)) claims.set(s.contactId, { kind: 'claimed', uncertain: false });
      else {
        // A send seen before (released, or left by an attempt that stopped): its log numbers on.
        const key = { runId, nodeId, contactId: s.contactId };
        const found = await claimSend(db, key, { ...claim, messageId: s.messageId });
        claims.set(s.contactId, found.kind === 'claimed' ? { ...found, lastAttempt: await lastAttemptNumber(db, key) } : found);
      }
    }
  }
  return claims;
}

/** One finished or noted attempt, as a batch commits it. */
export interface BatchOutcome {
  attempt: Omit<DeliveryAttempt, 'id' | 'at'>;
  /** The ledger's final word (SENT, FAILED) or none: the batch still holds the send (a retry follows). */
  ledger?: 'SENT' | 'FAILED';
  /** Where the recipient goes (only with a final word). */
  move?: RecipientMove;
  /** What the reputation guard counts of this attempt (a server's answer): see server/sending/guard.ts. */
  guard?: GuardKind;
}

/**
 * Commits a group of outcomes of one run and node in one transaction: the delivery log rows, the
 * ledger's final statuses, the recipients' next steps, and how many the server accepted this second.
 */
export async function commitBatchOutcomes(
  db: Db,
  runId: string,
  nodeId: string,
  outcomes: BatchOutcome[],
  accepted: { profileId: string; nowMs: number; count: number },
  /** What the reputation guard counts of the group, written in the same commit (one commit per group, not two). */
  tally?: GuardTally,
): Promise<void> {
  if (outcomes.length === 0) return;
  const at = now();
  await db.transaction().execute(async (trx) => {
    for (const group of chunks(outcomes, 100)) {
      await trx
        .insertInto('deliveryAttempts')
        .values(group.map((o) => ({ ...o.attempt, at })))
        .execute();
    }
    for (const status of ['SENT', 'FAILED'] as const) {
      const ids = outcomes.filter((o) => o.ledger === status).map((o) => o.attempt.contactId);
      for (const group of chunks(ids)) await finishSends(trx, { runId, nodeId, contactIds: group }, status, at);
    }
    // Recipients moving on to the same step are one UPDATE; failures another. Each send noted its own
    // due time for the next step (when it was accepted); the group takes the latest of them, a few
    // milliseconds at most, so that a group is one statement and not one per millisecond.
    const moves = new Map<string, { move: RecipientMove; ids: string[] }>();
    for (const o of outcomes) {
      if (!o.move || o.move.to === 'retrying') continue;
      const key = o.move.to === 'next' ? `next:${o.move.nodeId}` : 'failed';
      const entry = moves.get(key) ?? { move: o.move, ids: [] };
      if (entry.move.to === 'next' && o.move.to === 'next' && o.move.dueAt > entry.move.dueAt) entry.move = o.move;
      entry.ids.push(o.attempt.contactId);
      moves.set(key, entry);
    }
    for (const { move, ids } of moves.values()) {
      const set = move.to === 'next' ? { status: 'pending' as const, nodeId: move.nodeId, dueAt: move.dueAt } : { status: 'failed' as const };
      for (const group of chunks(ids)) {
        await trx
          .updateTable('runRecipients')
          .set({ ...set, claim: null, updatedAt: at })
          .where('runId', '=', runId)
          .where('status', '=', 'sending')
          .where('contactId', 'in', group)
          .execute();
      }
    }
    if (tally) await insertGuardTally(trx, accepted.profileId, tally);
    if (accepted.count > 0) await recordAccepted(trx, accepted.profileId, accepted.nowMs, accepted.count);
  });
}

/**
 * A batch's outcomes, committed a group at a time: once `flushAt` of them wait, or every `flushMs`.
 * One commit at a time, in order; a failed write is retried, never turned into a resend.
 */
export class OutcomeGroups {
  private pending: BatchOutcome[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly db: Db,
    private readonly runId: string,
    private readonly nodeId: string,
    private readonly profileId: string,
    private readonly flushAt: number,
    flushMs: number,
    private readonly guard: {
      /** What the reputation guard counts of a group (none: nothing to count), committed with it. */
      tally: (group: BatchOutcome[]) => GuardTally | undefined;
      /** Called after each group is committed, in order (the guard looks then); its failure is its own. */
      committed: (group: BatchOutcome[]) => Promise<void>;
    } = { tally: () => undefined, committed: async () => undefined },
  ) {
    this.timer = setInterval(() => {
      if (this.pending.length > 0) void this.flush();
    }, flushMs);
  }

  note(o: BatchOutcome): void {
    this.pending.push(o);
    if (o.ledger === 'SENT') noteAccepted(this.profileId);
    if (this.pending.length >= this.flushAt) void this.flush();
  }

  /** Commits what waits; resolves once it (and every group before it) is committed. */
  flush(): Promise<void> {
    const group = this.pending;
    // The accepted ones not told to the pace yet, this batch's and any other's in this process (a throttle reply may have told some).
    const count = takeUntold(this.profileId);
    this.pending = [];
    this.flushing = this.flushing
      .then(() =>
        commitWithRetries(() =>
          commitBatchOutcomes(
            this.db,
            this.runId,
            this.nodeId,
            group,
            { profileId: this.profileId, nowMs: Date.now(), count },
            this.guard.tally(group),
          ),
        ),
      )
      .then(() => this.guard.committed(group));
    return this.flushing;
  }

  /** No more timed commits; commits what waits. */
  close(): Promise<void> {
    clearInterval(this.timer);
    return this.flush();
  }
}

/**
 * Recipients a batch attempt claimed again while it already had them (another attempt put them back
 * meanwhile). Their send is this attempt's, so it is not claimed twice: those whose send is over move
 * on here; the rest move on with their outcome's commit (they are 'sending' again, which is what it
 * looks for). Returns how many had been sent.
 */
export async function settleClaimedAgain(db: Db, runId: string, nodeId: string, contactIds: string[], next: RecipientMove): Promise<number> {
  let sent = 0;
  for (const row of await sendsOf(db, runId, nodeId, contactIds)) {
    if (row.status === 'SENT') sent++;
    if (row.status === 'SENT' || row.status === 'FAILED')
      await moveRecipient(db, runId, row.contactId, 'sending', row.status === 'SENT' ? next : { to: 'failed' });
  }
  return sent;
}

export type { SendKey };

/** The write after the server's answer: retried for up to a minute, never turned into a resend. */
export async function commitWithRetries(write: () => Promise<void>): Promise<void> {
  for (let tries = 1; ; tries++) {
    try {
      return await write();
    } catch (err) {
      if (tries >= 30) throw err;
      await delay(Math.min(2_000, 100 * tries));
    }
  }
}
