/**
 * A batch's claiming (server/sending/batch.ts): its recipients a chunk at a time (first what an earlier
 * attempt of the batch left, then more due ones, up to its limit), their sends claimed in the ledger
 * (committed before any of their DATA) and composed; each one's bytes are built as it goes out (server/smtp/mime.ts).
 * The first chunk is small, so the first messages go out while the next chunk is claimed.
 */
import type Mail from 'nodemailer/lib/mailer';
import type { SendEmailStep } from '../../domain/flow/plan';
import type { Db } from '../db';
import { claimSends, settleClaimedAgain } from '../db/batch-outcomes';
import { type ClaimedRecipient, claimNextRecipients, moveRecipient, type RecipientMove, recipientsHeldBy } from '../db/recipients';
import type { StoredSmtpProfile } from '../db/smtp-profiles';
import { skipUnmailable } from '../db/suppression';
import type { FrequencyCap } from '../../domain/frequency-cap';
import { capRecipients, getFrequencyCap } from '../db/frequency-cap';
import { composeMessage, messageIdFor } from '../smtp/message';
import { CLAIM_LEASE_MS } from '../smtp/send-leases';
import type { TransportPool } from '../smtp/transport-pool';
import { unsubscribeLinks } from '../unsubscribe';
import { tracksEngagement } from '../db/tracking';
import { metrics, since } from '../metrics';

/** Sends claimed in the ledger at a time. */
const [FIRST_CHUNK, CLAIM_CHUNK] = [20, 100];

export interface Queued extends ClaimedRecipient {
  messageId: string;
  uncertain: boolean;
  /** The number of the send's latest logged attempt: its next row has the next one. */
  lastAttempt: number;
  /** The message, composed when the send was claimed (its templates rendered in a template thread). */
  mail: Mail.Options | undefined;
  /** Why the message could not be composed (a template that failed for this contact): that send's outcome at its turn. */
  composeError?: unknown;
}

export interface ClaimsContext {
  db: Db;
  transports: TransportPool;
  messageIdSecret: Buffer;
  publicUrl: string;
  runId: string;
  nodeId: string;
  workflowId: string;
  step: SendEmailStep;
  profile: StoredSmtpProfile;
  /** Names this batch's claim on its recipients; `owner` names this attempt of it. */
  claim: string;
  owner: string;
  limit: number;
  nextStep: () => RecipientMove;
  /** Commits the outcomes noted so far (before recipients claimed again are settled). */
  flush: () => Promise<void>;
  /** A send whose outcome is unknown, for a profile that holds them. */
  hold: (r: { contactId: string; messageId: string; lastAttempt: number }) => Promise<void>;
  counts: { alreadySent: number; failed: number };
  /** A pool member's share of the batch's recipients (server/sending/pool.ts), instead of claiming them itself. */
  source?: (n: number) => Promise<ClaimedRecipient[]>;
}

export class BatchClaims {
  /** Claimed, waiting for a lane. */
  readonly queue: Queued[] = [];
  /** Taken by a lane, not finished: with the queue, the next to go out (their leases are extended first). */
  readonly taken = new Set<string>();
  /**
   * Contacts this attempt has taken on. One that comes due again meanwhile (another attempt found it
   * busy and put it back, or let its claim go) is claimed again while the ledger may still say SENDING
   * for this attempt (its outcome not committed yet): it is settled, never sent twice.
   */
  private readonly inHand = new Set<string>();
  private claiming: Promise<void> | undefined;
  /** The workspace's frequency cap, read once per batch. */
  private cap: Promise<FrequencyCap | undefined> | undefined;
  /** Whether the run's flow tracks opens and clicks, read once per batch. */
  private tracking: Promise<boolean> | undefined;
  private claimedCount: number;
  private exhausted = false;

  private constructor(
    private readonly c: ClaimsContext,
    private readonly leftovers: ClaimedRecipient[],
  ) {
    this.claimedCount = leftovers.length;
  }

  static async open(c: ClaimsContext): Promise<BatchClaims> {
    return new BatchClaims(c, c.source ? [] : await recipientsHeldBy(c.db, c.runId, c.claim));
  }

  /** Recipients, a chunk at a time: what an earlier attempt of this batch left first, then more due ones. */
  async nextRecipients(n: number): Promise<ClaimedRecipient[]> {
    const c = this.c;
    if (this.leftovers.length > 0) return this.leftovers.splice(0, n);
    if (c.source) {
      const share = await c.source(n);
      if (share.length === 0) this.exhausted = true;
      return share;
    }
    const room = Math.min(n, c.limit - this.claimedCount);
    const startedAt = Date.now();
    const more = room > 0 ? await claimNextRecipients(c.db, c.runId, c.nodeId, c.claim, Date.now(), room) : [];
    if (room > 0) metrics.claimSeconds.observe(since(startedAt));
    this.claimedCount += more.length;
    if (more.length === 0) this.exhausted = true;
    return more;
  }

  /** The next send for a lane, claiming more while the queue runs low; undefined once none are left. */
  async take(): Promise<Queued | undefined> {
    for (;;) {
      if (this.queue.length < CLAIM_CHUNK / 2 && !this.exhausted && !this.claiming) {
        this.claiming = this.claimMore().finally(() => {
          this.claiming = undefined;
        });
      }
      const next = this.queue.shift();
      if (next) {
        this.taken.add(next.contactId);
        return next;
      }
      if (!this.claiming) return undefined;
      await this.claiming;
    }
  }

  /** Resolves once no claiming is under way. */
  async settled(): Promise<void> {
    await this.claiming;
  }

  /** The message (composed again for a send whose bytes are not ready); throws what composing it threw at its claim. */
  async compose(r: Queued): Promise<Mail.Options> {
    if (r.composeError) throw r.composeError;
    const { db, profile, step, publicUrl, messageIdSecret, runId, nodeId } = this.c;
    this.tracking ??= tracksEngagement(db, runId);
    const tracking = (await this.tracking) ? { publicUrl, secret: messageIdSecret, message: { runId, nodeId, contactId: r.contactId } } : undefined;
    const links = unsubscribeLinks(publicUrl, messageIdSecret, profile.unsubscribeMailbox, r.contactId);
    return composeMessage(profile, r, step, r.messageId, { ...links, tracking });
  }

  private async claimMore(): Promise<void> {
    const c = this.c;
    const { db, runId, nodeId } = c;
    const claimed = await this.nextRecipients(this.inHand.size === 0 ? FIRST_CHUNK : CLAIM_CHUNK);
    const again = claimed.filter((r) => this.inHand.has(r.contactId)).map((r) => r.contactId);
    if (again.length > 0) {
      await c.flush();
      c.counts.alreadySent += await settleClaimedAgain(db, runId, nodeId, again, c.nextStep());
    }
    // Unsubscribed or suppressed since the run started: skipped (logged with the reason), never sent.
    const mailable = await skipUnmailable(
      db,
      { runId, nodeId, workflowId: c.workflowId },
      claimed.filter((r) => !this.inHand.has(r.contactId)),
    );
    // At the frequency cap: skipped or put off (the step's choice), one query for the chunk.
    this.cap ??= getFrequencyCap(db);
    const run = { runId, nodeId, workflowId: c.workflowId, whenCapped: c.step.whenCapped ?? ('skip' as const) };
    const chunk = await capRecipients(db, await this.cap, run, mailable, Date.now());
    const withIds = chunk.map((r) => ({
      ...r,
      messageId: messageIdFor(c.messageIdSecret, { runId, nodeId, contactId: r.contactId }, c.profile.fromEmail),
    }));
    const claims = await claimSends(db, runId, nodeId, withIds, { owner: c.owner, nowMs: Date.now(), leaseMs: CLAIM_LEASE_MS });
    const fresh: Queued[] = [];
    for (const r of withIds) {
      const claim = claims.get(r.contactId);
      if (claim?.kind === 'claimed' && claim.uncertain && c.profile.uncertainPolicy === 'hold') {
        await c.hold({ ...r, lastAttempt: claim.lastAttempt ?? 0 });
      } else if (claim?.kind === 'claimed') {
        fresh.push({ ...r, uncertain: claim.uncertain, lastAttempt: claim.lastAttempt ?? 0, mail: undefined });
        this.inHand.add(r.contactId);
      } else if (claim?.kind === 'sent') {
        // Sent by an earlier attempt of this batch, which died before moving the recipient on.
        await moveRecipient(db, runId, r.contactId, 'sending', c.nextStep());
        c.counts.alreadySent++;
      } else if (claim?.kind === 'failed') {
        await moveRecipient(db, runId, r.contactId, 'sending', { to: 'failed' });
        c.counts.failed++;
      } else {
        // Another live attempt holds it (a retry workflow's, say): leave it due for a later batch.
        await moveRecipient(db, runId, r.contactId, 'sending', {
          to: 'next',
          nodeId,
          dueAt: Date.now() + (claim?.kind === 'busy' ? claim.retryAfterMs : 1000),
        });
      }
    }
    // Rendered in the template threads (this event loop keeps heartbeating and sending meanwhile); a
    // template that fails for a contact fails that send, at its turn, with the reason.
    await Promise.all(
      fresh.map(async (q) => {
        try {
          q.mail = await this.compose(q);
        } catch (err) {
          q.composeError = err;
        }
      }),
    );
    this.queue.push(...fresh);
  }
}

export { CLAIM_CHUNK };
