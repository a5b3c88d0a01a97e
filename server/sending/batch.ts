/**
 * The batch sender: one Send step for a batch of a campaign's due recipients, through the profile's
 * pooled transport, as fast as the server accepts and never above the profile's pace (server/db/throttle.ts).
 * A pipeline, because per message the database costs more than SMTP: sends are claimed a chunk at a
 * time (batch-claims.ts), lanes send them as connections free up, each outcome is decided by the send
 * policy (policy.ts), and outcomes are committed a group at a time (log rows, ledger, next steps: one
 * transaction, server/db/batch-outcomes.ts). A crash can leave the last group's sends SENDING: the next
 * attempt logs them uncertain and resends with the same Message-ID. Recipients still failing after quick
 * retries are handed off to a retry workflow of their own, so their history is theirs alone.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { SendEmailStep } from '../../domain/flow/plan';
import type { Db } from '../db';
import { type BatchOutcome, OutcomeGroups } from '../db/batch-outcomes';
import { recordDeliveryAttempt, releaseSend } from '../db/deliveries';
import { moveRecipient, releaseClaim } from '../db/recipients';
import { getSmtpProfile, markProfileFailing } from '../db/smtp-profiles';
import { suppressContact } from '../db/suppression';
import type { AttemptOutcome } from '../db/tables';
import {
  connectionLimit,
  ensureThrottleRow,
  isPaced,
  recordThrottleReply,
  recordTooManyConnections,
  refundDailySlot,
  refundPaceSlot,
  restartPace,
} from '../db/throttle';
import { classifySmtpError } from '../smtp/classify';
import { waitForSlot } from '../smtp/pace';
import { SendLeases } from '../smtp/send-leases';
import type { TransportPool } from '../smtp/transport-pool';
import { BatchClaims, CLAIM_CHUNK, type Queued } from './batch-claims';
import { log } from '../log';
import { countSend, metrics, since } from '../metrics';
import * as say from './messages';
import { guardKind, guardLook, tallyOf } from './guard';
import { decide, type SendOutcome } from './policy';
import { type MemberShare, sendPoolBatch } from './pool';

export interface SendBatchInput {
  runId: string;
  nodeId: string;
  step: SendEmailStep;
  /** Names this batch's claim on its recipients; the same on every retry of the activity. */
  claim: string;
  limit: number;
  campaignWorkflowId: string;
}

export interface SendBatchResult {
  sent: number;
  failed: number;
  handedOff: number;
  /** Found SENT in the ledger (an earlier attempt of this batch sent them): not sent again. */
  alreadySent: number;
  /** Sent although an earlier attempt may have sent it already (it stopped after DATA): same Message-ID. */
  uncertain: number;
  throttleReplies: number;
  /** Sends whose outcome is unknown, held for a person because the profile says so. */
  held: number;
  /** Sends a newer attempt of this batch took over while this one was stopped: left to it, not sent. */
  takenOver: number;
  /** Set when the profile paused (its settings were refused): nothing more is sent until it is fixed. */
  profileFailing?: string;
}

export interface BatchDeps {
  db: Db;
  transports: TransportPool;
  messageIdSecret: Buffer;
  publicUrl?: string;
}

/** One attempt of the batch, as the activity runs it (activities/send-batch.ts). */
export interface BatchAttempt {
  /** Names this attempt: the batch's claim and the activity's attempt number. */
  owner: string;
  cancelled: AbortSignal;
  /** Called now and then with how many sends are done. */
  heartbeat: (done: number) => void;
  /** Moves the recipient to 'retrying' and starts its own retry workflow (its send released already). */
  handOff: (contactId: string) => Promise<void>;
}

/** A batch's quick retries before a recipient is handed off: transient failures, and throttle replies (it waits for slots there). */
const QUICK = { failures: 3, throttled: 20 };
/** Outcomes committed at a time (or every FLUSH_MS). */
const FLUSH_AT = 100;
const FLUSH_MS = 50;
/** Sends accepted through a profile's gate in this process after which more wait behind each connection (gateLimit). */
const DEEP_AFTER = 100;

export async function sendBatch(deps: BatchDeps, input: SendBatchInput, run: BatchAttempt): Promise<SendBatchResult> {
  const startedAt = Date.now();
  const ids = { runId: input.runId, nodeId: input.nodeId, workflowId: input.campaignWorkflowId, profile: input.step.profileId };
  try {
    const result = input.step.pool ? await sendPoolBatch(deps, input, run, sendBatchTimed) : await sendBatchTimed(deps, input, run);
    log.info({ ...ids, ...result, seconds: since(startedAt) }, 'send batch done');
    return result;
  } finally {
    metrics.batchSeconds.observe(since(startedAt));
  }
}

/** One profile's sending of the batch; for a pool member, `share` hands it its recipients and the pool releases the claim. */
async function sendBatchTimed(deps: BatchDeps, input: SendBatchInput, run: BatchAttempt, share?: MemberShare): Promise<SendBatchResult> {
  const { db, transports, messageIdSecret, publicUrl = 'http://localhost:3000' } = deps;
  const { runId, nodeId, step } = input;
  const workflowId = input.campaignWorkflowId;
  const result: SendBatchResult = { sent: 0, failed: 0, handedOff: 0, alreadySent: 0, uncertain: 0, throttleReplies: 0, held: 0, takenOver: 0 };
  const profile = await getSmtpProfile(db, step.profileId);
  if (profile?.failingSince) return { ...result, profileFailing: profile.failingReason ?? 'its settings were refused' };
  const entry = (r: { contactId: string; messageId: string; lastAttempt: number }, outcome: AttemptOutcome, code: number | null, reply: string) => ({
    runId,
    nodeId,
    contactId: r.contactId,
    workflowId,
    attempt: ++r.lastAttempt,
    outcome,
    smtpCode: code,
    smtpReply: reply,
    messageId: r.messageId,
    profileId: step.profileId,
  });
  const nextStep = () => ({ to: 'next' as const, nodeId: step.next, dueAt: Date.now() });
  /** Set when the profile paused (its settings were refused, or the reputation guard tripped): the lanes stop. */
  let stop: string | undefined;
  // Once per committed group, not per message: the group's commit counts it for the guard, which then
  // looks at the profile's last attempts.
  const counted = (group: BatchOutcome[]) => group.flatMap((o) => (o.guard ? [{ kind: o.guard, reply: o.attempt.smtpReply }] : []));
  const outcomes = new OutcomeGroups(db, runId, nodeId, step.profileId, FLUSH_AT, FLUSH_MS, {
    tally: (group) => {
      const attempts = profile ? counted(group) : [];
      return attempts.length > 0 ? tallyOf(attempts) : undefined;
    },
    committed: async (group) => {
      if (!profile || counted(group).length === 0) return;
      const paused = await guardLook(db, profile).catch((err: unknown) => log.warn({ err }, 'reputation guard failed'));
      if (!paused) return;
      if (!stop) log.error({ runId, nodeId, workflowId, profile: step.profileId, reason: paused }, 'SMTP profile paused by the reputation guard');
      stop ??= paused;
    },
  });
  const note = (o: BatchOutcome) => outcomes.note(o);
  const flush = () => outcomes.flush();
  /** The profile holds sends whose outcome is unknown: logged, left UNCERTAIN, the recipient held for a person to resend. */
  const hold = async (r: { contactId: string; messageId: string; lastAttempt: number }, why?: string) => {
    await recordDeliveryAttempt(db, entry(r, 'uncertain', null, say.heldForReview(why)), (trx) =>
      moveRecipient(trx, runId, r.contactId, 'sending', { to: 'held' }),
    );
    result.held++;
  };
  const claims = await BatchClaims.open({
    db,
    transports,
    messageIdSecret,
    publicUrl,
    runId,
    nodeId,
    workflowId,
    step,
    // Checked below before any claim is made.
    profile: profile!,
    claim: input.claim,
    owner: run.owner,
    limit: input.limit,
    nextStep,
    flush,
    hold,
    counts: result,
    ...(share ? { source: share.source } : {}),
  });

  let leases: SendLeases | undefined;
  try {
    let transport: ReturnType<typeof transports.get>;
    try {
      if (!profile) throw new Error(say.noProfile(step.profileId));
      transport = transports.get(profile);
    } catch (err) {
      // No profile, or a password that cannot be decrypted: no attempt can succeed, so none is made.
      const reply = profile ? say.undecryptable(profile, err) : (err as Error).message;
      for (let chunk = await claims.nextRecipients(CLAIM_CHUNK); chunk.length > 0; chunk = await claims.nextRecipients(CLAIM_CHUNK)) {
        for (const r of chunk) note({ attempt: entry({ ...r, messageId: '', lastAttempt: 0 }, 'failed', null, reply), move: { to: 'failed' } });
        result.failed += chunk.length;
      }
      return result;
    }
    await ensureThrottleRow(db, profile.id);
    let connections = await connectionLimit(db, profile, Date.now());
    let paced = await isPaced(db, profile);
    // Paced, a send takes its slot once a connection is free (it hits the wire at its slot). Unpaced, 1 waits behind each
    // connection, 3 once DEEP_AFTER were accepted unthrottled: none idles while sends cross to the sending thread.
    const gate = transports.gate(profile.id, connections);
    const gateLimit = () => (paced ? connections : connections * (gate.accepted >= DEEP_AFTER ? 4 : 2));
    gate.limit = gateLimit();
    const policy = { uncertainPolicy: profile.uncertainPolicy, retryForMs: profile.retryForHours * 3600_000 };
    /** Sends stopped short by a pause, nothing sent: given back with the queue, so the next attempt is not uncertain. */
    const putBack: Queued[] = [];
    // A batch holds the sends it claimed while it lives (a batch that died lets them go within the
    // lease); right before DATA each send checks it still holds its lease for the whole transaction.
    // Next to go out: the sends lanes have taken (waiting for their turn), then the queue.
    const held = new SendLeases(db, runId, nodeId, run.owner, (n) =>
      [...claims.taken, ...claims.queue.slice(0, n).map((q) => q.contactId)].slice(0, n),
    );
    leases = held;

    const handOff = async (r: Queued) => {
      // The ledger lets go first, so the retry workflow can claim the send; the recipient is moved
      // before the workflow starts: a crash in between leaves it 'retrying', and the campaign starts
      // the workflow again (ensureRetryWorkflows).
      await flush();
      await releaseSend(db, { runId, nodeId, contactId: r.contactId }, run.owner);
      await run.handOff(r.contactId);
      result.handedOff++;
    };

    const sendOne = async (r: Queued) => {
      if (r.uncertain) {
        // An earlier attempt stopped after DATA: the server may have it. Policy: resend, same Message-ID.
        note({ attempt: entry(r, 'uncertain', null, say.resending()) });
        result.uncertain++;
      }
      const firstTriedAt = Date.now();
      let [failures, throttled] = [0, 0];
      while (!stop) {
        await gate.acquire();
        if (stop) {
          // The profile paused while this send waited for its place.
          gate.release();
          putBack.push(r);
          return;
        }
        // Paced, the first send on a pool without a connection goes alone (TransportPool.warmUp).
        const opening = paced ? await transports.warmUp(profile.id) : undefined;
        const release = () => {
          opening?.();
          gate.release();
        };
        let outcome: SendOutcome;
        let error: unknown;
        let day = '';
        try {
          if (paced) {
            // The profile's pace holds across all workers and batches: wait for this send's slot.
            const slot = await waitForSlot(db, profile, { beat: () => run.heartbeat(done), cancelled: run.cancelled });
            if (!slot.ok) {
              release();
              if (!share) return handOff(r);
              // A pool member at its daily cap, or far behind its pace, passes its share to the others.
              putBack.push(r);
              stop ??= say.poolMemberHeld(profile);
              return;
            }
            day = slot.day;
          }
          // Still ours? An attempt that was stopped (a paused or partitioned worker) and came back must
          // not send what a newer attempt has taken over since.
          if (!(await held.stillHeld(r.contactId))) {
            release();
            result.takenOver++;
            return;
          }
          const info = await transport.sendMail(r.mail ?? (await claims.compose(r)));
          outcome = { accepted: true, reply: info.response || '250 OK' };
        } catch (err) {
          error = err;
          outcome = { accepted: false, ...classifySmtpError(err) };
        }
        // It also opened the connection, so it arrived late: the schedule goes on from now.
        if (opening && outcome.accepted) await restartPace(db, profile, Date.now()).catch(() => undefined);
        release();
        const decision = decide(outcome, { failures, throttled, firstTriedAt, now: Date.now(), random: Math.random(), quick: QUICK }, policy);
        countSend(profile.id, outcome, decision);
        const counted = guardKind(outcome);
        if (decision.kind === 'sent') {
          note({ attempt: entry(r, 'sent', decision.code, decision.reply), ledger: 'SENT', move: nextStep(), guard: counted });
          result.sent++;
          gate.accepted++;
          return;
        }
        if (day) await refundDailySlot(db, profile.id, day);
        if (day && !outcome.accepted && outcome.kind !== 'throttled' && (outcome.stage === 'MAIL' || outcome.stage === 'RCPT'))
          await refundPaceSlot(db, profile, Date.now());
        const { code, reply } = decision;
        if (decision.kind === 'failed' || decision.kind === 'suppress') {
          // A 5xx naming the mailbox (550 5.1.1 and the like): no campaign mails this address again.
          if (decision.kind === 'suppress') await suppressContact(db, r.contactId, reply);
          log.warn(
            { runId, nodeId, workflowId, contactId: r.contactId, profile: profile.id, code, reply },
            `send ${decision.kind === 'suppress' ? 'failed, address suppressed' : 'failed'}`,
          );
          note({ attempt: entry(r, 'failed', code, reply), ledger: 'FAILED', move: { to: 'failed' }, guard: counted });
          result.failed++;
          return;
        }
        if (decision.kind === 'hold') {
          await flush();
          return hold(r, say.lostAfterData(reply));
        }
        // Not final: logged, while this batch keeps holding the send.
        note({ attempt: entry(r, 'uncertain' in decision && decision.uncertain ? 'uncertain' : 'retrying', code, reply), guard: counted });
        switch (decision.kind) {
          case 'pause profile':
            // Every send would meet the same refusal: the profile pauses, with the fix, until someone saves it.
            // The first refusal stops the lanes at once; the sends already on the wire add nothing to it.
            putBack.push(r);
            if (stop) return;
            stop = reply;
            stop = say.pausedReason(reply, (await transports.explain(error, profile)).message);
            await markProfileFailing(db, profile.id, stop);
            log.error({ runId, nodeId, workflowId, profile: profile.id, reason: stop }, 'SMTP profile paused: its settings were refused');
            return;
          case 'slow down':
            result.throttleReplies++;
            throttled++;
            await recordThrottleReply(db, profile, reply, Date.now());
            paced = true;
            gate.limit = gateLimit();
            // Not a backoff: the next attempt waits for its slot at the slower pace.
            continue;
          case 'fewer connections':
            await recordTooManyConnections(db, profile.id, connections, Date.now());
            connections = await connectionLimit(db, profile, Date.now());
            gate.limit = gateLimit();
            result.throttleReplies++;
            continue;
          case 'hand off':
            return handOff(r);
          case 'retry':
            failures++;
            await delay(decision.retryInMs);
        }
      }
      // The profile paused while this send was between attempts: it goes back with the queue.
      putBack.push(r);
    };

    // More lanes than the gate lets through, so the gate never waits for our bookkeeping.
    const lanes = Math.max(1, profile.maxConnections * 6);
    let [done, lastBeat, lastPaceCheck] = [0, Date.now(), Date.now()];
    const lane = async () => {
      while (!run.cancelled.aborted && !stop) {
        const r = await claims.take();
        if (!r) return;
        await sendOne(r);
        claims.taken.delete(r.contactId);
        // Each heartbeat still encodes (and encrypts) its details: once every half second is plenty.
        done++;
        if (Date.now() - lastBeat > 500) {
          lastBeat = Date.now();
          run.heartbeat(done);
        }
        // Another worker may have learned a pace for this profile: look now and then.
        if (!paced && Date.now() - lastPaceCheck > 1000) {
          lastPaceCheck = Date.now();
          paced = await isPaced(db, profile);
        }
        gate.limit = gateLimit();
      }
    };
    await Promise.all(Array.from({ length: lanes }, lane));
    await claims.settled();
    // Cancelled, or the profile paused: what was not sent goes back, due, for a later batch.
    if (run.cancelled.aborted || stop) {
      await flush();
      for (const r of [...putBack, ...claims.queue.splice(0)]) await releaseSend(db, { runId, nodeId, contactId: r.contactId }, run.owner);
      if (!share) await releaseClaim(db, runId, input.claim);
    }
    return stop ? { ...result, profileFailing: stop } : result;
  } finally {
    leases?.stop();
    await outcomes.close();
  }
}
