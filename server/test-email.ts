/**
 * "Send test email": one message with a saved profile, metered like any send. It is noted as a direct
 * send of its user, claimed in the send ledger, takes a slot of the profile's throttle (pace and daily
 * cap, shared with campaigns), and its attempt goes to the delivery log with the server's reply. It is
 * not retried: the person who pressed the button reads the outcome at once.
 */
import { setTimeout as delay } from 'node:timers/promises';
import nodemailer from 'nodemailer';
import { decryptSecret, type Keyring } from './crypto';
import { newId, type Db } from './db';
import { claimSend, commitOutcome, LEASE_MS, recordDeliveryAttempt, type DeliveryAttempt } from './db/deliveries';
import { insertDirectSend, listTestSends, type TestSend } from './db/ownership';
import { recordAccepted, recordThrottleReply, refundDailySlot, reserveSendSlot } from './db/throttle';
import type { AttemptOutcome } from './db/tables';
import { canManage, profileFor, type Actor } from './profiles';
import { explainSmtpError, type SmtpFailure } from './smtp/advice';
import { classifySmtpError } from './smtp/classify';
import { messageIdFor } from './smtp/message';
import type { OutboundPolicy } from './smtp/outbound';
import { transportOptions } from './smtp/transport';

/** The longest a test email waits for its slot before it answers "try again": a person is waiting. */
const MAX_WAIT_MS = 10_000;

export interface TestEmailResult {
  ok: boolean;
  /** On failure, its class (server/smtp/advice.ts). */
  failure?: SmtpFailure;
  message: string;
}

export async function sendTestEmail(
  db: Db,
  keyring: Keyring,
  policy: OutboundPolicy,
  messageIdSecret: Buffer,
  actor: Actor,
  profileId: string,
  to: string,
  /** What to send instead of the standard test message (a flow's preview, rendered). */
  content?: { subject: string; text: string; html?: string; replyTo?: string; toName?: string; headers?: Record<string, string> },
): Promise<TestEmailResult> {
  const profile = await profileFor(db, actor, profileId);
  // Only who manages a profile sees its user name (for Postmark, the secret token): never in an answer to others.
  const shown = (text: string) => (canManage(actor, profile) || !profile.username ? text : text.replaceAll(profile.username, '[user]'));
  if (profile.failingSince) {
    return { ok: false, message: shown(`Sending with "${profile.name}" is paused: the server refused its login (${profile.failingReason}).`) };
  }
  const runId = newId('test');
  const key = { runId, nodeId: 'test', contactId: '' };
  await insertDirectSend(db, { id: runId, kind: 'test', contactId: null, recipient: to, profileId, sentBy: actor.id });
  const messageId = messageIdFor(messageIdSecret, key, profile.fromEmail);
  const entry = (outcome: AttemptOutcome, code: number | null, reply: string): Omit<DeliveryAttempt, 'id' | 'at'> => ({
    ...key,
    workflowId: '',
    attempt: 1,
    outcome,
    smtpCode: code,
    smtpReply: reply,
    messageId,
  });
  await claimSend(db, key, { messageId, owner: runId, nowMs: Date.now(), leaseMs: LEASE_MS });

  const slot = await reserveSendSlot(db, profile, Date.now(), MAX_WAIT_MS);
  if (!slot.ok) {
    const message =
      slot.reason === 'daily-cap'
        ? `Not sent: "${profile.name}" reached its daily cap of ${profile.dailyCap} messages; it resets at midnight UTC.`
        : `Not sent: "${profile.name}" is at its pace (campaigns are using it); try again in ${Math.ceil(slot.retryAfterMs / 1000)} s.`;
    await recordDeliveryAttempt(db, entry('failed', null, message));
    return { ok: false, message };
  }
  if (slot.waitMs > 0) await delay(slot.waitMs);

  const password = profile.passwordEnc ? decryptSecret(keyring, profile.passwordEnc) : '';
  const transport = nodemailer.createTransport({ ...transportOptions(profile, password, policy), pool: false });
  try {
    const info = await transport.sendMail({
      from: { name: profile.fromName, address: profile.fromEmail },
      to: content?.toName ? { name: content.toName, address: to } : to,
      ...(content?.replyTo || profile.replyTo ? { replyTo: content?.replyTo || profile.replyTo } : {}),
      subject: content?.subject ?? `Dripline test email from "${profile.name}"`,
      text: content?.text ?? `This is a test email sent with the SMTP profile "${profile.name}" (${profile.host}:${profile.port}).\n`,
      ...(content?.html ? { html: content.html } : {}),
      ...(content?.headers ? { headers: content.headers } : {}),
      messageId,
    });
    const reply = info.response ?? '250 OK';
    await commitOutcome(db, entry('sent', Number.parseInt(reply, 10) || 250, reply), (trx) => recordAccepted(trx, profile.id, Date.now()));
    return { ok: true, message: `Sent to ${to}: the server replied "${reply}".` };
  } catch (err) {
    const outcome = classifySmtpError(err);
    await refundDailySlot(db, profile.id, slot.day);
    // Not retried, so the log says failed (or uncertain when the connection broke after DATA).
    await commitOutcome(db, entry(outcome.unknown ? 'uncertain' : 'failed', outcome.code, shown(outcome.reply)));
    if (outcome.kind === 'throttled') await recordThrottleReply(db, profile, outcome.reply, Date.now());
    const advice = explainSmtpError(err, profile);
    return { ok: false, failure: advice.failure, message: shown(advice.message) };
  } finally {
    transport.close();
  }
}

/** The profile's latest test emails: all of them for those who manage it, one's own for the others. */
export async function testEmailsFor(db: Db, actor: Actor, profileId: string): Promise<TestSend[]> {
  const profile = await profileFor(db, actor, profileId);
  return listTestSends(db, profileId, canManage(actor, profile) ? {} : { sentBy: actor.id });
}
