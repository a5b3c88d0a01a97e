/**
 * The sendEmail activity: one message to one contact, for a journey or a recipient's retry workflow.
 * It receives a profile id, never credentials: the password stays out of Temporal history. Every
 * wait is durable: a throttled message, a busy send or a paused profile come back as a Temporal
 * retry at the right time (nextRetryDelay), not as exponential backoff and not as a sleeping worker.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { getContact } from '../server/db/contacts';
import { claimSend, commitOutcome, getSend, LEASE_MS, recordDeliveryAttempt, releaseSend, type DeliveryAttempt } from '../server/db/deliveries';
import { getSmtpProfile, markProfileFailing } from '../server/db/smtp-profiles';
import { isPaced, recordAccepted, recordThrottleReply, refundDailySlot, reserveSendSlot, restartPace } from '../server/db/throttle';
import type { AttemptOutcome } from '../server/db/tables';
import { skipReason, suppressContact } from '../server/db/suppression';
import { badMailbox, classifySmtpError } from '../server/smtp/classify';
import { composeMessage, messageIdFor } from '../server/smtp/message';
import { LATE_MS } from '../server/smtp/pace';
import { isTransactionalRun, unsubscribeLinks } from '../server/unsubscribe';
import type { ActivityDeps } from '.';

export interface SendEmailInput {
  runId: string;
  nodeId: string;
  contactId: string;
  profileId: string;
  subject: string;
  text: string;
  preheader?: string;
  /** The HTML part (a Liquid template); absent for a text-only message. */
  html?: string;
  replyTo?: string;
  workflowId: string;
}

export interface SendEmailResult {
  /** '' when the message was skipped. */
  messageId: string;
  /** The server's reply to DATA, e.g. "250 Message queued as 5"; absent when the ledger already had it sent. */
  reply: string;
  alreadySent: boolean;
  /** Set when nothing was sent because the contact is unsubscribed or suppressed (not a failure): the log's reason. */
  skipped?: string;
}

/** How long a paused profile (its login refused) waits before its sends look again. */
const PAUSED_RETRY_MS = 60_000;
const jitter = (ms: number) => ms + Math.floor(Math.random() * Math.max(200, ms * 0.2));
const retryLater = (type: string, message: string, ms: number) => ApplicationFailure.create({ type, message, nextRetryDelay: jitter(ms) });

export function createSendEmail({
  db,
  transports,
  messageIdSecret,
  publicUrl = 'http://localhost:3000',
}: Pick<ActivityDeps, 'db' | 'transports' | 'messageIdSecret' | 'publicUrl'>) {
  return async function sendEmail(input: SendEmailInput): Promise<SendEmailResult> {
    const key = { runId: input.runId, nodeId: input.nodeId, contactId: input.contactId };
    const { attempt, activityId } = Context.current().info;
    const entry = (outcome: AttemptOutcome, code: number | null, reply: string, messageId: string): Omit<DeliveryAttempt, 'id' | 'at'> => ({
      ...key,
      workflowId: input.workflowId,
      attempt,
      outcome,
      smtpCode: code,
      smtpReply: reply,
      messageId,
    });

    const contact = await getContact(db, input.contactId);
    const profile = await getSmtpProfile(db, input.profileId);
    const problem = !contact
      ? `contact "${input.contactId}" does not exist (deleted after the run started?)`
      : !profile
        ? `SMTP profile "${input.profileId}" does not exist; choose another sender in the flow and publish again`
        : undefined;
    if (problem || !contact || !profile) {
      await recordDeliveryAttempt(db, entry('failed', null, problem ?? 'missing contact or profile', ''));
      throw ApplicationFailure.nonRetryable(problem ?? 'missing contact or profile', 'ConfigurationError');
    }
    // One-off messages are transactional: they reach unsubscribed contacts, without an unsubscribe link.
    // A campaign's message to a contact no longer subscribed is skipped, logged with the reason.
    const transactional = isTransactionalRun(input.runId);
    if (!transactional && contact.status !== 'subscribed') {
      const earlier = await getSend(db, key);
      if (earlier?.status === 'SENT') return { messageId: earlier.messageId, reply: '', alreadySent: true };
      const reason = skipReason(contact);
      await recordDeliveryAttempt(db, entry('skipped', null, reason, ''), undefined, { ledger: false });
      return { messageId: '', reply: '', alreadySent: false, skipped: reason };
    }
    if (profile.failingSince) {
      throw retryLater(
        'ProfilePaused',
        `SMTP profile "${profile.name}" is paused: its login was refused (${profile.failingReason}); fix it in SMTP settings`,
        PAUSED_RETRY_MS,
      );
    }
    const messageId = messageIdFor(messageIdSecret, key, profile.fromEmail);
    let transport: ReturnType<typeof transports.get>;
    try {
      transport = transports.get(profile);
    } catch (err) {
      // The stored password cannot be decrypted (a missing key after a rotation): retrying cannot help.
      const reply = `SMTP profile "${profile.name}": ${err instanceof Error ? err.message : String(err)}; re-enter its password in SMTP settings`;
      await recordDeliveryAttempt(db, entry('failed', null, reply, messageId));
      throw ApplicationFailure.nonRetryable(reply, 'SmtpConfigurationError');
    }

    // One live attempt per send: an overlapping attempt (this one retried while the first still runs) waits.
    const owner = `${input.workflowId}/${activityId}#${attempt}`;
    const claim = await claimSend(db, key, { messageId, owner, nowMs: Date.now(), leaseMs: LEASE_MS });
    if (claim.kind === 'sent') return { messageId: claim.messageId, reply: '', alreadySent: true };
    if (claim.kind === 'failed')
      throw ApplicationFailure.nonRetryable('this message already failed permanently; see the delivery log', 'PermanentSmtpError');
    if (claim.kind === 'busy') throw retryLater('SendBusy', 'another attempt of this message is still running; waiting for it', claim.retryAfterMs);
    if (claim.uncertain && profile.uncertainPolicy === 'hold') {
      // The profile holds sends whose outcome is unknown for a person to resend (from the run page).
      const reply = 'held for review: an earlier attempt stopped after sending DATA, so the server may have it; resend it from the run page';
      await recordDeliveryAttempt(db, entry('uncertain', null, reply, messageId));
      throw ApplicationFailure.nonRetryable(reply, 'HeldForReview');
    }
    if (claim.uncertain) {
      await recordDeliveryAttempt(
        db,
        entry('uncertain', null, 'outcome unknown: an earlier attempt stopped after sending DATA; resending with the same Message-ID', messageId),
        undefined,
        { ledger: false },
      );
    }

    // Paced, the first send on a pool without an open connection goes alone (TransportPool.warmUp): it
    // also opens the connection, so it reaches the server later than its slot while the next would not.
    const paced = await isPaced(db, profile);
    const opening = paced ? await transports.warmUp(profile.id) : undefined;
    try {
      // The profile's pace holds across all workers: wait for a slot, or come back later (durably). A
      // paced send that wakes well after its slot gives it up for the next one (server/smtp/pace.ts).
      let day = '';
      for (;;) {
        const askedAt = Date.now();
        const slot = await reserveSendSlot(db, profile, askedAt);
        if (!slot.ok) {
          await releaseSend(db, key, owner);
          throw retryLater(
            'ThrottleWait',
            slot.reason === 'daily-cap'
              ? `SMTP profile "${profile.name}" reached its daily cap of ${profile.dailyCap}; waiting for the next UTC day`
              : `SMTP profile "${profile.name}" is at its pace; waiting for a slot`,
            slot.retryAfterMs,
          );
        }
        if (slot.waitMs > 0) await Context.current().sleep(slot.waitMs);
        day = slot.day;
        if (!paced || Date.now() - (askedAt + slot.waitMs) <= LATE_MS) break;
        await refundDailySlot(db, profile.id, slot.day);
      }
      let reply: string;
      try {
        const link = transactional ? {} : unsubscribeLinks(publicUrl, messageIdSecret, profile.unsubscribeMailbox, contact.id);
        const info = await transport.sendMail(composeMessage(profile, contact, input, messageId, link));
        reply = info.response ?? '250 OK';
      } catch (err) {
        // Only SMTP errors are classified here; a database error after a send must not look like one.
        const outcome = classifySmtpError(err);
        await refundDailySlot(db, profile.id, day);
        if (outcome.kind === 'permanent') {
          // A 5xx naming the mailbox (550 5.1.1 and the like): no campaign mails this address again.
          await commitOutcome(db, entry('failed', outcome.code, outcome.reply, messageId), (trx) =>
            badMailbox(err) ? suppressContact(trx, contact.id, outcome.reply) : Promise.resolve(),
          );
          throw ApplicationFailure.nonRetryable(outcome.reply, 'PermanentSmtpError');
        }
        await commitOutcome(db, entry(outcome.unknown ? 'uncertain' : 'retrying', outcome.code, outcome.reply, messageId));
        if (outcome.kind === 'configuration') {
          await markProfileFailing(db, profile.id, outcome.reply);
          throw retryLater(
            'ProfilePaused',
            `the server refused the login of "${profile.name}": ${outcome.reply}; sending is paused until it is fixed in SMTP settings`,
            PAUSED_RETRY_MS,
          );
        }
        if (outcome.kind === 'throttled' || outcome.kind === 'too-many-connections') {
          // Slow the profile down, then come back for a slot at the new pace: not an exponential backoff.
          const rate = await recordThrottleReply(db, profile, outcome.reply, Date.now());
          throw retryLater('SmtpThrottled', outcome.reply, rate ? 1000 / rate : 1000);
        }
        throw ApplicationFailure.create({ message: outcome.reply, type: 'TransientSmtpError' });
      }
      // It also opened the connection, so it arrived late: the schedule goes on from now.
      if (opening) await restartPace(db, profile, Date.now()).catch(() => undefined);
      await commitOutcome(db, entry('sent', Number.parseInt(reply, 10) || 250, reply, messageId), (trx) =>
        recordAccepted(trx, profile.id, Date.now()),
      );
      return { messageId, reply, alreadySent: false };
    } finally {
      opening?.();
    }
  };
}
