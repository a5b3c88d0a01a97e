/**
 * sendBatch: one Send step for a batch of a campaign's due recipients, through the profile's pooled
 * transport, as fast as the server accepts and never above the profile's pace (server/db/throttle.ts).
 * Each send is claimed in the ledger first (one live attempt per send, ever), and its outcome (the
 * delivery log row, the ledger and where the recipient goes next) is committed in one transaction as
 * soon as the server answers. Recipients still failing after quick retries get their own retry
 * workflow, so their history is theirs alone.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import type { SendEmailStep } from '../domain/flow/plan';
import { claimSend, commitOutcome, LEASE_MS, recordDeliveryAttempt, releaseSend } from '../server/db/deliveries';
import { claimDueRecipients, moveRecipient, releaseClaim, type ClaimedRecipient, type RecipientMove } from '../server/db/recipients';
import { getSmtpProfile, markProfileFailing } from '../server/db/smtp-profiles';
import {
  connectionLimit,
  recordAccepted,
  recordThrottleReply,
  recordTooManyConnections,
  refundDailySlot,
  reserveSendSlot,
} from '../server/db/throttle';
import type { AttemptOutcome } from '../server/db/tables';
import { classifySmtpError } from '../server/smtp/classify';
import { composeMessage, messageIdFor } from '../server/smtp/message';
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
  /** Set when the server refused the profile's login: nothing more is sent until the profile is fixed. */
  profileFailing?: string;
}

/** Non-throttle failures tried within the batch before a recipient gets its own retry workflow. */
const QUICK_ATTEMPTS = 3;
/** Throttle replies within the batch before a recipient gets its own retry workflow (it waits for slots there). */
const THROTTLED_ATTEMPTS = 20;

export function createSendBatch(deps: ActivityDeps) {
  const { db, transports, messageIdSecret } = deps;
  return async function sendBatch(input: SendBatchInput): Promise<SendBatchResult> {
    const { runId, nodeId, step } = input;
    const context = Context.current();
    const workflowId = input.campaignWorkflowId;
    const owner = `${input.claim}#${context.info.attempt}`;
    // Temporal retries this batch only once an attempt has stopped (its heartbeats did): that attempt's sends are not live.
    const earlierAttempt = (other: string) => other.startsWith(`${input.claim}#`) && other !== owner;
    const result: SendBatchResult = { sent: 0, failed: 0, handedOff: 0, alreadySent: 0, uncertain: 0, throttleReplies: 0 };
    const profile = await getSmtpProfile(db, step.profileId);
    if (profile?.failingSince) return { ...result, profileFailing: profile.failingReason ?? 'the server refused the login' };
    const recipients = await claimDueRecipients(db, runId, nodeId, input.claim, Date.now(), input.limit);
    if (recipients.length === 0) return result;
    const keyOf = (r: ClaimedRecipient) => ({ runId, nodeId, contactId: r.contactId });
    const log = (r: ClaimedRecipient, attempt: number, outcome: AttemptOutcome, code: number | null, reply: string, messageId: string) => ({
      runId,
      nodeId,
      contactId: r.contactId,
      workflowId,
      attempt,
      outcome,
      smtpCode: code,
      smtpReply: reply,
      messageId,
    });
    const nextStep = (): RecipientMove => ({ to: 'next', nodeId: step.next, dueAt: Date.now() });

    let transport: ReturnType<typeof transports.get>;
    try {
      if (!profile) throw new Error(`SMTP profile "${step.profileId}" does not exist; choose another sender in the flow and publish again`);
      transport = transports.get(profile);
    } catch (err) {
      // No profile, or a password that cannot be decrypted: no attempt can succeed, so none is made.
      const reply = profile
        ? `SMTP profile "${profile.name}": ${err instanceof Error ? err.message : String(err)}; re-enter its password in SMTP settings`
        : (err as Error).message;
      for (const r of recipients) {
        await recordDeliveryAttempt(db, log(r, 1, 'failed', null, reply, ''), (trx) =>
          moveRecipient(trx, runId, r.contactId, 'sending', { to: 'failed' }),
        );
        result.failed++;
      }
      return result;
    }
    const gate = transports.gate(profile.id, await connectionLimit(db, profile, Date.now()));
    let stop: string | undefined;

    const handOff = async (r: ClaimedRecipient) => {
      const retryId = retryWorkflowId(runId, nodeId, r.contactId);
      // Moved first, then started: a crash in between leaves it 'retrying', and the campaign starts the
      // workflow again (ensureRetryWorkflows); started first, a crash could let this batch send it too.
      await moveRecipient(db, runId, r.contactId, 'sending', { to: 'retrying', workflowId: retryId });
      await startRetryWorkflow(deps, { runId, nodeId, contactId: r.contactId, step, campaignWorkflowId: input.campaignWorkflowId });
      result.handedOff++;
    };

    const sendOne = async (r: ClaimedRecipient) => {
      const messageId = messageIdFor(messageIdSecret, keyOf(r), profile.fromEmail);
      let failures = 0;
      let throttled = 0;
      /** This lane's last attempt lost its connection after DATA (already logged as uncertain). */
      let lost = false;
      for (let attempt = 1; !stop; attempt++) {
        const claim = await claimSend(db, keyOf(r), { messageId, owner, nowMs: Date.now(), leaseMs: LEASE_MS, supersedes: earlierAttempt });
        if (claim.kind === 'sent') {
          await moveRecipient(db, runId, r.contactId, 'sending', nextStep());
          result.alreadySent++;
          return;
        }
        if (claim.kind === 'failed') {
          await moveRecipient(db, runId, r.contactId, 'sending', { to: 'failed' });
          result.failed++;
          return;
        }
        if (claim.kind === 'busy') {
          // Another attempt of this send is alive (an overlapping retry): never two at once.
          await delay(Math.min(claim.retryAfterMs, 5_000));
          continue;
        }
        if (claim.uncertain && !lost) {
          // An earlier attempt stopped after DATA: the server may have it. Policy: resend, same Message-ID.
          await recordDeliveryAttempt(
            db,
            log(
              r,
              attempt,
              'uncertain',
              null,
              'outcome unknown: an earlier attempt stopped after sending DATA; resending with the same Message-ID',
              messageId,
            ),
            undefined,
            { ledger: false },
          );
        }
        if (claim.uncertain) result.uncertain++;
        await gate.acquire();
        let outcome: { accepted: true; reply: string } | ({ accepted: false } & ReturnType<typeof classifySmtpError>);
        let day = '';
        try {
          // The profile's pace holds across all workers and batches: wait for this send's slot.
          const slot = await reserveSendSlot(db, profile, Date.now());
          if (!slot.ok) {
            await releaseSend(db, keyOf(r), owner);
            return handOff(r);
          }
          day = slot.day;
          if (slot.waitMs > 0) await delay(slot.waitMs);
          const info = await transport.sendMail(composeMessage(profile, r, step, messageId));
          outcome = { accepted: true as const, reply: info.response ?? '250 OK' };
        } catch (err) {
          outcome = { accepted: false as const, ...classifySmtpError(err) };
        } finally {
          gate.release();
        }
        if (outcome.accepted) {
          await commitOutcome(db, log(r, attempt, 'sent', Number.parseInt(outcome.reply, 10) || 250, outcome.reply, messageId), async (trx) => {
            await moveRecipient(trx, runId, r.contactId, 'sending', nextStep());
            await recordAccepted(trx, profile.id, Date.now());
          });
          result.sent++;
          return;
        }
        if (day) await refundDailySlot(db, profile.id, day);
        const { kind, code, reply } = outcome;
        if (kind === 'permanent') {
          await commitOutcome(db, log(r, attempt, 'failed', code, reply, messageId), (trx) =>
            moveRecipient(trx, runId, r.contactId, 'sending', { to: 'failed' }),
          );
          result.failed++;
          return;
        }
        lost = outcome.unknown;
        await commitOutcome(db, log(r, attempt, lost ? 'uncertain' : 'retrying', code, reply, messageId));
        if (kind === 'configuration') {
          // The login is refused: every send would be. Pause the profile's sending until someone fixes it.
          await markProfileFailing(db, profile.id, reply);
          stop = reply;
          return;
        }
        if (kind === 'throttled') {
          result.throttleReplies++;
          await recordThrottleReply(db, profile, reply, Date.now());
          // Not a backoff: the next attempt waits for its slot at the slower pace.
          if (++throttled >= THROTTLED_ATTEMPTS) return handOff(r);
          continue;
        }
        if (kind === 'too-many-connections') {
          await recordTooManyConnections(db, profile.id, gate.limit, Date.now());
          gate.limit = await connectionLimit(db, profile, Date.now());
          result.throttleReplies++;
          continue;
        }
        if (++failures >= QUICK_ATTEMPTS) return handOff(r);
        await delay(500 * failures + Math.floor(Math.random() * 500));
      }
    };

    // More lanes than connections, so a connection never waits for our bookkeeping; the gate keeps the wire paced.
    const lanes = Math.max(1, profile.maxConnections * 2);
    let index = 0;
    let done = 0;
    const lane = async () => {
      while (index < recipients.length && !context.cancellationSignal.aborted && !stop) {
        await sendOne(recipients[index++]!);
        // The SDK sends heartbeats at most every so often, however often this is called.
        context.heartbeat({ done: ++done, of: recipients.length });
      }
    };
    await Promise.all(Array.from({ length: Math.min(lanes, recipients.length) }, lane));
    // Cancelled, or the profile's login failed: what was not sent goes back, due, for a later batch.
    if (context.cancellationSignal.aborted || stop) await releaseClaim(db, runId, input.claim);
    return stop ? { ...result, profileFailing: stop } : result;
  };
}
