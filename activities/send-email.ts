/**
 * The sendEmail activity: one message to one contact. It receives a profile id, never credentials:
 * the password stays out of Temporal history.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { getContact } from '../server/db/contacts';
import { getSend, recordDeliveryAttempt, setSendStatus } from '../server/db/deliveries';
import { getSmtpProfile } from '../server/db/smtp-profiles';
import { reserveSendSlot } from '../server/db/throttle';
import { classifySmtpError } from '../server/smtp/classify';
import { composeMessage, messageIdFor } from '../server/smtp/message';
import type { ActivityDeps } from '.';

export interface SendEmailInput {
  runId: string;
  nodeId: string;
  contactId: string;
  profileId: string;
  subject: string;
  text: string;
  workflowId: string;
}

export interface SendEmailResult {
  messageId: string;
  /** The server's reply to DATA, e.g. "250 Message queued as 5"; absent when the ledger already had it sent. */
  reply: string;
  alreadySent: boolean;
}

export function createSendEmail({ db, transports, messageIdSecret }: Pick<ActivityDeps, 'db' | 'transports' | 'messageIdSecret'>) {
  return async function sendEmail(input: SendEmailInput): Promise<SendEmailResult> {
      const key = { runId: input.runId, nodeId: input.nodeId, contactId: input.contactId };
      const attempt = Context.current().info.attempt;
      const log = (outcome: 'sent' | 'retrying' | 'failed', code: number | null, reply: string, messageId: string) =>
        recordDeliveryAttempt(db, {
          runId: input.runId,
          nodeId: input.nodeId,
          contactId: input.contactId,
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
        await log('failed', null, problem ?? 'missing contact or profile', '');
        throw ApplicationFailure.nonRetryable(problem ?? 'missing contact or profile', 'ConfigurationError');
      }

      const messageId = messageIdFor(messageIdSecret, key, profile.fromEmail);

      const ledger = await getSend(db, key);
      if (ledger?.status === 'SENT') return { messageId: ledger.messageId, reply: '', alreadySent: true };
      if (ledger?.status === 'FAILED') {
        throw ApplicationFailure.nonRetryable('this message already failed permanently; see the delivery log', 'PermanentSmtpError');
      }
      let transport;
      try {
        transport = transports.get(profile);
      } catch (err) {
        // The stored password cannot be decrypted (a missing key after a rotation): retrying cannot help.
        const reply = `SMTP profile "${profile.name}": ${err instanceof Error ? err.message : String(err)}; re-enter its password in SMTP settings`;
        await log('failed', null, reply, messageId);
        throw ApplicationFailure.nonRetryable(reply, 'SmtpConfigurationError');
      }

      // The profile's throttle holds across all workers: wait for a slot, or come back later (durably).
      const slot = await reserveSendSlot(db, profile, Date.now());
      if (!slot.ok) {
        throw ApplicationFailure.create({
          type: 'ThrottleWait',
          message:
            slot.reason === 'daily-cap'
              ? `SMTP profile "${profile.name}" reached its daily cap of ${profile.dailyCap}; waiting for the next UTC day`
              : `SMTP profile "${profile.name}" is at its limit of ${profile.ratePerSecond} messages/s; waiting for a slot`,
          nextRetryDelay: slot.retryAfterMs + Math.floor(Math.random() * 1000),
        });
      }
      if (slot.waitMs > 0) await Context.current().sleep(slot.waitMs);

      // SENDING is committed before DATA. Found on a retry, it means an earlier attempt died mid-send and
      // the outcome is unknown: we resend with the same Message-ID, which receivers use to drop duplicates.
      await setSendStatus(db, key, 'SENDING', messageId);
      let reply: string;
      try {
        const info = await transport.sendMail(composeMessage(profile, contact, input, messageId));
        reply = info.response ?? '250 OK';
      } catch (err) {
        // Only SMTP errors are classified here; a database error after a send must not look like one.
        const outcome = classifySmtpError(err);
        if (outcome.kind === 'permanent' || outcome.kind === 'configuration') {
          await log('failed', outcome.code, outcome.reply, messageId);
          throw ApplicationFailure.nonRetryable(outcome.reply, outcome.kind === 'permanent' ? 'PermanentSmtpError' : 'SmtpConfigurationError');
        }
        await log('retrying', outcome.code, outcome.reply, messageId);
        // Throttle replies wait longer than the default backoff; jitter spreads the retries out.
        const throttled = outcome.kind === 'throttled';
        throw ApplicationFailure.create({
          message: outcome.reply,
          type: throttled ? 'SmtpThrottled' : 'TransientSmtpError',
          ...(throttled ? { nextRetryDelay: 5_000 + Math.floor(Math.random() * 5_000) } : {}),
        });
      }
      await log('sent', Number.parseInt(reply, 10) || 250, reply, messageId);
      return { messageId, reply, alreadySent: false };
  };
}
