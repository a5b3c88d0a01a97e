/**
 * sendBatch: one Send step for a batch of a campaign's due recipients, through the profile's pooled
 * transport, as fast as the pool and the profile's throttle allow. Each recipient's outcome (the
 * delivery log row, the ledger and where the recipient goes next) is committed in one transaction
 * as soon as the server answers. Recipients still failing after quick retries get their own retry
 * workflow, so their history is theirs alone.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import type { SendEmailStep } from '../domain/flow/plan';
import { recordDeliveryAttempt, sendsOf, setSendStatus } from '../server/db/deliveries';
import { claimDueRecipients, moveRecipient, releaseClaim, type ClaimedRecipient, type RecipientMove } from '../server/db/recipients';
import { getSmtpProfile } from '../server/db/smtp-profiles';
import { reserveSendSlot } from '../server/db/throttle';
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
  /** Found SENDING: an earlier attempt died after DATA, so whether the server took it is unknown. Resent with the same Message-ID. */
  uncertain: number;
}

/** Attempts within the batch before a recipient gets its own retry workflow. */
const QUICK_ATTEMPTS = 3;

export function createSendBatch(deps: ActivityDeps) {
  const { db, transports, messageIdSecret } = deps;
  return async function sendBatch(input: SendBatchInput): Promise<SendBatchResult> {
    const { runId, nodeId, step } = input;
    const context = Context.current();
    const workflowId = input.campaignWorkflowId;
    const result: SendBatchResult = { sent: 0, failed: 0, handedOff: 0, alreadySent: 0, uncertain: 0 };
    const recipients = await claimDueRecipients(db, runId, nodeId, input.claim, Date.now(), input.limit);
    if (recipients.length === 0) return result;

    const next: RecipientMove = { to: 'next', nodeId: step.next, dueAt: 0 };
    const finish = async (r: ClaimedRecipient, outcome: AttemptOutcome, attempt: number, code: number | null, reply: string, messageId: string) => {
      const move: RecipientMove = outcome === 'sent' ? { ...next, dueAt: Date.now() } : { to: 'failed' };
      await recordDeliveryAttempt(
        db,
        { runId, nodeId, contactId: r.contactId, workflowId, attempt, outcome, smtpCode: code, smtpReply: reply, messageId },
        (trx) => moveRecipient(trx, runId, r.contactId, 'sending', move),
      );
      if (outcome === 'sent') result.sent++;
      else result.failed++;
    };

    const profile = await getSmtpProfile(db, step.profileId);
    let transport;
    try {
      if (!profile) throw new Error(`SMTP profile "${step.profileId}" does not exist; choose another sender in the flow and publish again`);
      transport = transports.get(profile);
    } catch (err) {
      // No profile, or a password that cannot be decrypted: no attempt can succeed, so none is made.
      const reply = profile ? `SMTP profile "${profile.name}": ${err instanceof Error ? err.message : String(err)}; re-enter its password in SMTP settings` : String((err as Error).message);
      for (const r of recipients) await finish(r, 'failed', 1, null, reply, '');
      return result;
    }

    // Already decided by an earlier attempt of this batch (the worker died after the server answered).
    const ledger = new Map((await sendsOf(db, runId, nodeId, recipients.map((r) => r.contactId))).map((s) => [s.contactId, s]));
    const toSend: (ClaimedRecipient & { messageId: string })[] = [];
    for (const r of recipients) {
      const status = ledger.get(r.contactId)?.status;
      if (status === 'SENT') {
        await moveRecipient(db, runId, r.contactId, 'sending', { ...next, dueAt: Date.now() });
        result.alreadySent++;
      } else if (status === 'FAILED') {
        await moveRecipient(db, runId, r.contactId, 'sending', { to: 'failed' });
        result.failed++;
      } else {
        const messageId = messageIdFor(messageIdSecret, { runId, nodeId, contactId: r.contactId }, profile.fromEmail);
        if (status === 'SENDING') {
          // The policy for an unknown outcome: resend with the same Message-ID (receivers use it to drop
          // duplicates), and say so in the delivery log.
          await recordDeliveryAttempt(db, {
            runId, nodeId, contactId: r.contactId, workflowId, attempt: 0, outcome: 'uncertain', smtpCode: null, messageId,
            smtpReply: 'outcome unknown: an earlier attempt stopped after sending DATA; resending with the same Message-ID',
          });
          result.uncertain++;
        }
        toSend.push({ ...r, messageId });
      }
    }

    const sendOne = async (r: (typeof toSend)[number]) => {
      for (let attempt = 1; ; attempt++) {
        // The profile's throttle holds across all workers and batches.
        const slot = await reserveSendSlot(db, profile, Date.now());
        if (!slot.ok) return handOff(r, attempt, `waiting for the profile's ${slot.reason === 'daily-cap' ? 'daily cap' : 'rate limit'}`);
        if (slot.waitMs > 0) await delay(slot.waitMs);
        // SENDING is committed before DATA: found on a retry, it means the outcome is unknown.
        await setSendStatus(db, { runId, nodeId, contactId: r.contactId }, 'SENDING', r.messageId);
        try {
          const info = await transport.sendMail(composeMessage(profile, r, step, r.messageId));
          const reply = info.response ?? '250 OK';
          return finish(r, 'sent', attempt, Number.parseInt(reply, 10) || 250, reply, r.messageId);
        } catch (err) {
          const outcome = classifySmtpError(err);
          if (outcome.kind === 'permanent' || outcome.kind === 'configuration') return finish(r, 'failed', attempt, outcome.code, outcome.reply, r.messageId);
          await recordDeliveryAttempt(db, {
            runId, nodeId, contactId: r.contactId, workflowId, attempt, outcome: 'retrying', smtpCode: outcome.code, smtpReply: outcome.reply, messageId: r.messageId,
          });
          if (attempt >= QUICK_ATTEMPTS) return handOff(r, attempt, outcome.reply);
          // Throttle replies wait longer than other transient errors; jitter spreads the retries out.
          await delay((outcome.kind === 'throttled' ? 2_000 : 500) * attempt + Math.floor(Math.random() * 500));
        }
      }
    };

    const handOff = async (r: ClaimedRecipient, _attempt: number, _why: string) => {
      const retryId = retryWorkflowId(runId, nodeId, r.contactId);
      // Moved first, then started: a crash in between leaves it 'retrying', and the campaign starts the
      // workflow again (ensureRetryWorkflows); started first, a crash could let this batch send it too.
      await moveRecipient(db, runId, r.contactId, 'sending', { to: 'retrying', workflowId: retryId });
      await startRetryWorkflow(deps, { runId, nodeId, contactId: r.contactId, step, campaignWorkflowId: input.campaignWorkflowId });
      result.handedOff++;
    };

    // As many in flight as the pool has connections (and a few queued), so connections never idle.
    const concurrency = Math.max(1, profile.maxConnections * 2);
    let index = 0;
    let done = 0;
    const lane = async () => {
      while (index < toSend.length && !context.cancellationSignal.aborted) {
        const r = toSend[index++]!;
        await sendOne(r);
        // The SDK sends heartbeats at most every so often, however often this is called.
        context.heartbeat({ done: ++done, of: toSend.length });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, toSend.length) }, lane));
    // Cancelled (the campaign was cancelled or its worker is stopping): what was not started goes back.
    if (context.cancellationSignal.aborted) await releaseClaim(db, runId, input.claim);
    return result;
  };
}
