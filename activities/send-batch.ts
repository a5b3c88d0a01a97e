/**
 * sendBatch: one Send step for a batch of a campaign's due recipients, through the profile's pooled
 * transport, as fast as the server accepts and never above the profile's pace (server/db/throttle.ts).
 * A pipeline, because per message the database costs more than SMTP: sends are claimed in the ledger
 * a chunk at a time (committed before any of their DATA), lanes send them as connections free up,
 * and outcomes are committed a group at a time (log rows, ledger, next steps: one transaction).
 * A crash can leave the last group's sends SENDING: the next attempt logs them uncertain and resends
 * with the same Message-ID. Recipients still failing after quick retries get their own retry
 * workflow, so their history is theirs alone.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import type { SendEmailStep } from '../domain/flow/plan';
import { type BatchOutcome, claimSends, OutcomeGroups, settleClaimedAgain } from '../server/db/batch-outcomes';
import { recordDeliveryAttempt, releaseSend } from '../server/db/deliveries';
import { type ClaimedRecipient, claimNextRecipients, moveRecipient, recipientsHeldBy, releaseClaim } from '../server/db/recipients';
import { getSmtpProfile, markProfileFailing } from '../server/db/smtp-profiles';
import type { AttemptOutcome } from '../server/db/tables';
import {
  connectionLimit,
  ensureThrottleRow,
  isPaced,
  recordThrottleReply,
  recordTooManyConnections,
  refundDailySlot,
  restartPace,
} from '../server/db/throttle';
import { suppressContact, skipUnmailable } from '../server/db/suppression';
import { classifySmtpError } from '../server/smtp/classify';
import type Mail from 'nodemailer/lib/mailer';
import { composeMessage, messageIdFor } from '../server/smtp/message';
import type { BuiltMessage } from '../server/smtp/message-builder';
import { waitForSlot } from '../server/smtp/pace';
import { CLAIM_LEASE_MS, SendLeases } from '../server/smtp/send-leases';
import { unsubscribeLinks } from '../server/unsubscribe';
import type { ActivityDeps } from '.';
import { retryWorkflowId, startRetryWorkflow } from './cohort';

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
  /** Set when the server refused the profile's login: nothing more is sent until the profile is fixed. */
  profileFailing?: string;
}

/** Non-throttle failures tried within the batch before a recipient gets its own retry workflow. */
const QUICK_ATTEMPTS = 3;
/** Throttle replies within the batch before a recipient gets its own retry workflow (it waits for slots there). */
const THROTTLED_ATTEMPTS = 20;
/** Sends claimed in the ledger at a time, and outcomes committed at a time (or every FLUSH_MS). */
const [FIRST_CHUNK, CLAIM_CHUNK] = [20, 100];
const FLUSH_AT = 100;
const FLUSH_MS = 50;
/** Sends accepted through a profile's gate in this process after which more wait behind each connection (gateLimit). */
const DEEP_AFTER = 100;

const NOT_BUILT: Promise<BuiltMessage | null> = Promise.resolve(null);

const RESENDING = 'outcome unknown: an earlier attempt stopped after sending DATA; resending with the same Message-ID';

interface Queued extends ClaimedRecipient {
  messageId: string;
  uncertain: boolean;
  /** The message, composed when the send was claimed (unless that failed: then at its turn), and its bytes, built meanwhile off the event loop. */
  mail: Mail.Options | undefined;
  built: Promise<BuiltMessage | null>;
}

export function createSendBatch(deps: ActivityDeps) {
  const { db, transports, messageIdSecret, publicUrl = 'http://localhost:3000' } = deps;
  return async function sendBatch(input: SendBatchInput): Promise<SendBatchResult> {
    const { runId, nodeId, step } = input;
    const context = Context.current();
    const workflowId = input.campaignWorkflowId;
    const owner = `${input.claim}#${context.info.attempt}`;
    const result: SendBatchResult = { sent: 0, failed: 0, handedOff: 0, alreadySent: 0, uncertain: 0, throttleReplies: 0, held: 0, takenOver: 0 };
    const profile = await getSmtpProfile(db, step.profileId);
    if (profile?.failingSince) return { ...result, profileFailing: profile.failingReason ?? 'the server refused the login' };
    // Recipients come a chunk at a time, so the first messages go out as soon as the batch starts:
    // first what an earlier attempt of this batch left, then more due ones, up to the batch's limit.
    const leftovers = await recipientsHeldBy(db, runId, input.claim);
    let [claimedCount, exhausted] = [leftovers.length, false];
    const nextRecipients = async (n: number): Promise<ClaimedRecipient[]> => {
      if (leftovers.length > 0) return leftovers.splice(0, n);
      const room = Math.min(n, input.limit - claimedCount);
      const more = room > 0 ? await claimNextRecipients(db, runId, nodeId, input.claim, Date.now(), room) : [];
      claimedCount += more.length;
      if (more.length === 0) exhausted = true;
      return more;
    };
    const entry = (contactId: string, attempt: number, outcome: AttemptOutcome, code: number | null, reply: string, messageId: string) => ({
      runId,
      nodeId,
      contactId,
      workflowId,
      attempt,
      outcome,
      smtpCode: code,
      smtpReply: reply,
      messageId,
    });

    const outcomes = new OutcomeGroups(db, runId, nodeId, step.profileId, FLUSH_AT, FLUSH_MS);
    const note = (o: BatchOutcome) => outcomes.note(o);
    const flush = () => outcomes.flush();

    let leases: SendLeases | undefined;
    try {
      let transport: ReturnType<typeof transports.get>;
      try {
        if (!profile) throw new Error(`SMTP profile "${step.profileId}" does not exist; choose another sender in the flow and publish again`);
        transport = transports.get(profile);
      } catch (err) {
        // No profile, or a password that cannot be decrypted: no attempt can succeed, so none is made.
        const reply = profile
          ? `SMTP profile "${profile.name}": ${err instanceof Error ? err.message : String(err)}; re-enter its password in SMTP settings`
          : (err as Error).message;
        for (let chunk = await nextRecipients(CLAIM_CHUNK); chunk.length > 0; chunk = await nextRecipients(CLAIM_CHUNK)) {
          for (const r of chunk) note({ attempt: entry(r.contactId, 1, 'failed', null, reply, ''), move: { to: 'failed' } });
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
      let stop: string | undefined;

      // ---- claiming sends, a chunk ahead of the lanes -----------------------------------------
      const queue: Queued[] = [];
      // A batch holds the sends it claimed while it lives (a batch that died lets them go within the
      // lease); right before DATA each send checks it still holds its lease for the whole transaction.
      // Next to go out: the sends lanes have taken (waiting for their turn), then the queue.
      const taken = new Set<string>();
      const held = new SendLeases(db, runId, nodeId, owner, (n) => [...taken, ...queue.slice(0, n).map((q) => q.contactId)].slice(0, n));
      leases = held;
      let claiming: Promise<void> | undefined;
      // Contacts this attempt has taken on. One that comes due again meanwhile (another attempt found it
      // busy and put it back, or let its claim go) is claimed again while the ledger may still say
      // SENDING for this attempt (its outcome not committed yet): it is settled, never sent twice.
      const inHand = new Set<string>();
      const claimMore = async () => {
        // The first chunk is small, so the first messages go out while the next chunk is claimed.
        const claimed = await nextRecipients(inHand.size === 0 ? FIRST_CHUNK : CLAIM_CHUNK);
        const again = claimed.filter((r) => inHand.has(r.contactId)).map((r) => r.contactId);
        if (again.length > 0) {
          await flush();
          result.alreadySent += await settleClaimedAgain(db, runId, nodeId, again, nextStep());
        }
        // Unsubscribed or suppressed since the run started: skipped (logged with the reason), never sent.
        const chunk = await skipUnmailable(
          db,
          { runId, nodeId, workflowId },
          claimed.filter((r) => !inHand.has(r.contactId)),
        );
        const withIds = chunk.map((r) => ({
          ...r,
          messageId: messageIdFor(messageIdSecret, { runId, nodeId, contactId: r.contactId }, profile.fromEmail),
        }));
        const claims = await claimSends(db, runId, nodeId, withIds, { owner, nowMs: Date.now(), leaseMs: CLAIM_LEASE_MS });
        const toBuild: Queued[] = [];
        for (const r of withIds) {
          const claim = claims.get(r.contactId);
          if (claim?.kind === 'claimed' && claim.uncertain && profile.uncertainPolicy === 'hold')
            await hold(r.contactId, r.messageId, 'an earlier attempt stopped after sending DATA');
          else if (claim?.kind === 'claimed') {
            const q = { ...r, uncertain: claim.uncertain, mail: undefined as Mail.Options | undefined, built: NOT_BUILT };
            try {
              q.mail = compose(q);
              toBuild.push(q);
            } catch {
              // Composed again at its turn, where the error is that send's outcome.
            }
            queue.push(q);
            inHand.add(r.contactId);
          } else if (claim?.kind === 'sent') {
            // Sent by an earlier attempt of this batch, which died before moving the recipient on.
            await moveRecipient(db, runId, r.contactId, 'sending', nextStep());
            result.alreadySent++;
          } else if (claim?.kind === 'failed') {
            await moveRecipient(db, runId, r.contactId, 'sending', { to: 'failed' });
            result.failed++;
          } else {
            // Another live attempt holds it (a retry workflow's, say): leave it due for a later batch.
            await moveRecipient(db, runId, r.contactId, 'sending', {
              to: 'next',
              nodeId,
              dueAt: Date.now() + (claim?.kind === 'busy' ? claim.retryAfterMs : 1000),
            });
          }
        }
        // Their bytes are built while the sends before them go out.
        for (const [i, built] of transports.builder.buildMany(toBuild.map((q) => q.mail!)).entries()) toBuild[i]!.built = built;
      };
      const take = async (): Promise<Queued | undefined> => {
        for (;;) {
          if (queue.length < CLAIM_CHUNK / 2 && !exhausted && !claiming) {
            claiming = claimMore().finally(() => {
              claiming = undefined;
            });
          }
          const next = queue.shift();
          if (next) {
            taken.add(next.contactId);
            return next;
          }
          if (!claiming) return undefined;
          await claiming;
        }
      };
      const compose = (r: Queued) =>
        composeMessage(profile, r, step, r.messageId, unsubscribeLinks(publicUrl, messageIdSecret, profile.unsubscribeMailbox, r.contactId));
      const nextStep = () => ({ to: 'next' as const, nodeId: step.next, dueAt: Date.now() });

      /** The profile holds sends whose outcome is unknown: logged, left UNCERTAIN, the recipient held for a person to resend. */
      const hold = async (contactId: string, messageId: string, why: string) => {
        await recordDeliveryAttempt(
          db,
          entry(contactId, 0, 'uncertain', null, `held for review: ${why}, so the server may have it; resend it from the run page`, messageId),
          (trx) => moveRecipient(trx, runId, contactId, 'sending', { to: 'held' }),
        );
        result.held++;
      };

      const handOff = async (r: Queued) => {
        const retryId = retryWorkflowId(runId, nodeId, r.contactId);
        // The ledger lets go first, so the retry workflow can claim the send; the recipient is moved
        // before the workflow starts: a crash in between leaves it 'retrying', and the campaign starts
        // the workflow again (ensureRetryWorkflows).
        await flush();
        await releaseSend(db, { runId, nodeId, contactId: r.contactId }, owner);
        await moveRecipient(db, runId, r.contactId, 'sending', { to: 'retrying', workflowId: retryId });
        await startRetryWorkflow(deps, { runId, nodeId, contactId: r.contactId, step, campaignWorkflowId: input.campaignWorkflowId });
        result.handedOff++;
      };

      const sendOne = async (r: Queued) => {
        if (r.uncertain) {
          // An earlier attempt stopped after DATA: the server may have it. Policy: resend, same Message-ID.
          note({ attempt: entry(r.contactId, 0, 'uncertain', null, RESENDING, r.messageId) });
          result.uncertain++;
        }
        // Ready before the send takes its place and its slot, so that nothing stands between the slot and the wire.
        const built = await r.built;
        const message: Mail.Options | undefined = built ? { envelope: built.envelope, raw: built.raw, messageId: r.messageId } : r.mail;
        let failures = 0;
        let throttled = 0;
        for (let attempt = 1; !stop; attempt++) {
          await gate.acquire();
          // Paced, the first send on a pool without a connection goes alone (TransportPool.warmUp).
          const opening = paced ? await transports.warmUp(profile.id) : undefined;
          const release = () => {
            opening?.();
            gate.release();
          };
          let outcome: { accepted: true; reply: string } | ({ accepted: false; badMailbox: boolean } & ReturnType<typeof classifySmtpError>);
          let day = '';
          try {
            if (paced) {
              // The profile's pace holds across all workers and batches: wait for this send's slot.
              const slot = await waitForSlot(db, profile);
              if (!slot.ok) {
                release();
                return handOff(r);
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
            const info = await transport.sendMail(message ?? compose(r));
            outcome = { accepted: true, reply: info.response ?? '250 OK' };
          } catch (err) {
            outcome = { accepted: false, ...classifySmtpError(err) };
          }
          // It also opened the connection, so it arrived late: the schedule goes on from now.
          if (opening && outcome.accepted) await restartPace(db, profile, Date.now()).catch(() => undefined);
          release();
          if (outcome.accepted) {
            note({
              attempt: entry(r.contactId, attempt, 'sent', Number.parseInt(outcome.reply, 10) || 250, outcome.reply, r.messageId),
              ledger: 'SENT',
              move: nextStep(),
            });
            result.sent++;
            gate.accepted++;
            return;
          }
          if (day) await refundDailySlot(db, profile.id, day);
          const { kind, code, reply } = outcome;
          if (kind === 'permanent') {
            // A 5xx naming the mailbox (550 5.1.1 and the like): no campaign mails this address again.
            if (outcome.badMailbox) await suppressContact(db, r.contactId, reply);
            note({ attempt: entry(r.contactId, attempt, 'failed', code, reply, r.messageId), ledger: 'FAILED', move: { to: 'failed' } });
            result.failed++;
            return;
          }
          if (outcome.unknown && profile.uncertainPolicy === 'hold') {
            await flush();
            return hold(r.contactId, r.messageId, `the connection was lost after DATA (${reply})`);
          }
          // Not final: logged, while this batch keeps holding the send.
          note({ attempt: entry(r.contactId, attempt, outcome.unknown ? 'uncertain' : 'retrying', code, reply, r.messageId) });
          if (kind === 'configuration') {
            // The login is refused: every send would be. Pause the profile's sending until someone fixes it.
            await markProfileFailing(db, profile.id, reply);
            stop = reply;
            return;
          }
          if (kind === 'throttled') {
            result.throttleReplies++;
            await recordThrottleReply(db, profile, reply, Date.now());
            paced = true;
            gate.limit = gateLimit();
            // Not a backoff: the next attempt waits for its slot at the slower pace.
            if (++throttled >= THROTTLED_ATTEMPTS) return handOff(r);
            continue;
          }
          if (kind === 'too-many-connections') {
            await recordTooManyConnections(db, profile.id, connections, Date.now());
            connections = await connectionLimit(db, profile, Date.now());
            gate.limit = gateLimit();
            result.throttleReplies++;
            continue;
          }
          if (++failures >= QUICK_ATTEMPTS) return handOff(r);
          await delay(500 * failures + Math.floor(Math.random() * 500));
        }
      };

      // More lanes than the gate lets through, so the gate never waits for our bookkeeping.
      const lanes = Math.max(1, profile.maxConnections * 6);
      let [done, lastBeat, lastPaceCheck] = [0, Date.now(), Date.now()];
      const lane = async () => {
        while (!context.cancellationSignal.aborted && !stop) {
          const r = await take();
          if (!r) return;
          await sendOne(r);
          taken.delete(r.contactId);
          // The SDK throttles heartbeats itself, but each call still encodes (and encrypts) its details:
          // once every half second is plenty against the 20 s heartbeat timeout.
          done++;
          if (Date.now() - lastBeat > 500) {
            lastBeat = Date.now();
            context.heartbeat({ done });
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
      await claiming;
      // Cancelled, or the profile's login failed: what was not sent goes back, due, for a later batch.
      if (context.cancellationSignal.aborted || stop) {
        await flush();
        for (const r of queue.splice(0)) await releaseSend(db, { runId, nodeId, contactId: r.contactId }, owner);
        await releaseClaim(db, runId, input.claim);
      }
      return stop ? { ...result, profileFailing: stop } : result;
    } finally {
      leases?.stop();
      await outcomes.close();
    }
  };
}
