/**
 * A Send step with a pool of profiles (domain/flow/pool.ts). The batch's recipients are claimed once and
 * each goes to its member (`poolMember`, by contact id and weight, over the members not paused); each
 * member sends its share as a batch of its own (batch.ts: its transport, pace, gate and guard). A member
 * that pauses mid-batch passes the share it had not started to the others at once; what it had claimed
 * in the ledger goes back, due, for the next batch, which routes it without that member. The ledger's
 * claim on each send (one live attempt per message) is what keeps a moved recipient from being sent twice.
 */
import type { PoolMember } from '../../domain/flow/pool';
import { poolMember } from '../../domain/flow/pool';
import type { Db } from '../db';
import { type ClaimedRecipient, claimNextRecipients, recipientsHeldBy, releaseClaim } from '../db/recipients';
import { getSmtpProfile } from '../db/smtp-profiles';
import { throttleState } from '../db/throttle';
import type { BatchAttempt, BatchDeps, SendBatchInput, SendBatchResult } from './batch';
import * as say from './messages';

/** What a pool member's batch takes its recipients from. */
export interface MemberShare {
  source: (n: number) => Promise<ClaimedRecipient[]>;
}

/** The members that cannot send now, with why: deleted, paused (refused login or certificate, the reputation guard), or at their daily cap. */
async function pausedMembers(db: Db, pool: readonly PoolMember[]): Promise<Map<string, string>> {
  const paused = new Map<string, string>();
  for (const { profileId } of pool) {
    const profile = await getSmtpProfile(db, profileId);
    if (!profile) paused.set(profileId, say.noProfile(profileId));
    else if (profile.failingSince) paused.set(profileId, say.profilePaused(profile, profile.failingReason));
    else if (profile.dailyCap !== null && (await throttleState(db, profile)).sentToday >= profile.dailyCap)
      paused.set(profileId, say.atDailyCap(profile));
  }
  return paused;
}

/** The profile that sends to this contact now: its member among those not paused (its own member when all are). */
export async function memberFor(db: Db, contactId: string, pool: readonly PoolMember[]): Promise<string> {
  const paused = await pausedMembers(db, pool);
  return poolMember(contactId, pool, new Set(paused.keys())) ?? poolMember(contactId, pool) ?? pool[0]?.profileId ?? '';
}

/** The batch's recipients, claimed a chunk at a time, each routed to its member's share. */
class PoolRouter {
  private readonly shares = new Map<string, ClaimedRecipient[]>();
  private claimed = 0;
  private exhausted = false;
  private leftoversRead = false;
  private claiming: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly input: SendBatchInput,
    private readonly pool: readonly PoolMember[],
    readonly paused: Map<string, string>,
  ) {}

  /** Up to n of this member's recipients; none once the batch has no more for it. */
  async take(member: string, n: number): Promise<ClaimedRecipient[]> {
    for (;;) {
      const share = this.shares.get(member) ?? [];
      if (share.length > 0) return share.splice(0, n);
      if (this.paused.has(member) || this.exhausted) return [];
      this.claiming ??= this.claimMore(n).finally(() => {
        this.claiming = undefined;
      });
      await this.claiming;
    }
  }

  /** The member paused: its share not started goes to the others. */
  drop(member: string, reason: string): void {
    this.paused.set(member, reason);
    const orphans = this.shares.get(member) ?? [];
    this.shares.delete(member);
    this.route(orphans);
  }

  /** Members not paused that still have recipients waiting (passed on from one that paused). */
  waiting(): string[] {
    return [...this.shares].flatMap(([member, share]) => (share.length > 0 && !this.paused.has(member) ? [member] : []));
  }

  private async claimMore(n: number): Promise<void> {
    const { db, input } = this;
    if (!this.leftoversRead) {
      // What an earlier attempt of this batch claimed and did not finish comes first.
      this.leftoversRead = true;
      const leftovers = await recipientsHeldBy(db, input.runId, input.claim);
      this.claimed += leftovers.length;
      if (leftovers.length > 0) return this.route(leftovers);
    }
    const room = Math.min(n, input.limit - this.claimed);
    const more = room > 0 ? await claimNextRecipients(db, input.runId, input.nodeId, input.claim, Date.now(), room) : [];
    this.claimed += more.length;
    if (more.length === 0) this.exhausted = true;
    this.route(more);
  }

  private route(recipients: ClaimedRecipient[]): void {
    const unusable = new Set(this.paused.keys());
    for (const r of recipients) {
      // With every member paused they stay with their own member, and the claim gives them back.
      const member = poolMember(r.contactId, this.pool, unusable) ?? poolMember(r.contactId, this.pool) ?? '';
      const share = this.shares.get(member) ?? [];
      share.push(r);
      this.shares.set(member, share);
    }
  }
}

type MemberBatch = (deps: BatchDeps, input: SendBatchInput, run: BatchAttempt, share: MemberShare) => Promise<SendBatchResult>;

/** Sends a pooled step's batch: each member not paused sends its share at once, on its own pace. */
export async function sendPoolBatch(deps: BatchDeps, input: SendBatchInput, run: BatchAttempt, sendMember: MemberBatch): Promise<SendBatchResult> {
  const pool = input.step.pool ?? [];
  const router = new PoolRouter(deps.db, input, pool, await pausedMembers(deps.db, pool));
  const total: SendBatchResult = { sent: 0, failed: 0, handedOff: 0, alreadySent: 0, uncertain: 0, throttleReplies: 0, held: 0, takenOver: 0 };
  let members = pool.map((m) => m.profileId).filter((id) => !router.paused.has(id));
  const liveAtStart = members.length;
  while (members.length > 0 && !run.cancelled.aborted) {
    const results = await Promise.all(
      members.map(async (profileId) => {
        // Each member holds its sends under a name of its own, so their leases are renewed apart (never the same rows at once).
        const attempt = { ...run, owner: `${run.owner}@${profileId}` };
        const result = await sendMember(deps, { ...input, step: { ...input.step, profileId } }, attempt, {
          source: (n) => router.take(profileId, n),
        });
        if (result.profileFailing) router.drop(profileId, result.profileFailing);
        return result;
      }),
    );
    for (const r of results) {
      for (const key of ['sent', 'failed', 'handedOff', 'alreadySent', 'uncertain', 'throttleReplies', 'held', 'takenOver'] as const)
        total[key] += r[key];
    }
    members = router.waiting();
  }
  const live = pool.some((m) => !router.paused.has(m.profileId));
  // What a paused member had claimed and not sent is due again, for the next batch (and the next member).
  if (run.cancelled.aborted || !live || router.paused.size > pool.length - liveAtStart) await releaseClaim(deps.db, input.runId, input.claim);
  return live ? total : { ...total, profileFailing: say.poolPaused([...router.paused.values()]) };
}
