/**
 * The single-message sender: one message to one contact, on the send policy (policy.ts). Durable for
 * journeys, one-offs and retry workflows: every wait (a slot, a busy send, a paused profile, a
 * transient failure) comes back as a `wait` for the caller to retry at (activities/send-email.ts maps
 * it to a Temporal retry), never as a sleeping worker; only a slot due within moments is slept for.
 * Each row it logs for a send has the next attempt number (the batch's rows included).
 */
import type { PoolMember } from '../../domain/flow/pool';
import { memberFor } from './pool';
import { setTimeout as delay } from 'node:timers/promises';
import type Mail from 'nodemailer/lib/mailer';
import type { Db } from '../db';
import { getContact } from '../db/contacts';
import {
  claimSend,
  commitOutcome,
  type DeliveryAttempt,
  getSend,
  LEASE_MS,
  lastAttemptNumber,
  recordDeliveryAttempt,
  releaseSend,
  type SendKey,
} from '../db/deliveries';
import { getSmtpProfile, markProfileFailing, type StoredSmtpProfile } from '../db/smtp-profiles';
import { skipReason, suppressContact } from '../db/suppression';
import { cappedContacts, cappedReason, getFrequencyCap } from '../db/frequency-cap';
import type { AttemptOutcome } from '../db/tables';
import {
  connectionLimit,
  isPaced,
  recordAccepted,
  recordThrottleReply,
  recordTooManyConnections,
  refundDailySlot,
  reserveSendSlot,
  restartPace,
} from '../db/throttle';
import type { SmtpFailure } from '../smtp/advice';
import { classifySmtpError } from '../smtp/classify';
import { composeMessage, messageIdFor } from '../smtp/message';
import { lateEnough } from '../smtp/pace';
import type { TransportPool } from '../smtp/transport-pool';
import { isTransactionalRun, unsubscribeLinks } from '../unsubscribe';
import { tracksEngagement } from '../db/tracking';
import * as say from './messages';
import { decide, type SendOutcome } from './policy';
import { countSend } from '../metrics';

export interface SingleDeps {
  db: Db;
  transports: TransportPool;
  messageIdSecret: Buffer;
  publicUrl?: string;
}

export interface SendEmailInput {
  runId: string;
  nodeId: string;
  contactId: string;
  profileId: string;
  /** The step's pool of profiles (domain/flow/pool.ts): the contact's member is chosen at each attempt. */
  pool?: PoolMember[];
  subject: string;
  text: string;
  preheader?: string;
  /** The HTML part (a Liquid template); absent for a text-only message. */
  html?: string;
  replyTo?: string;
  /** At the frequency cap: wait for the period to allow the email (else it is skipped). */
  whenCapped?: 'wait';
  /** The properties of the API event that started the journey: `{{ event.<name> }}`. */
  event?: Record<string, string | number | boolean | null>;
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

/** One durable attempt: who it is (for the send's lease), and the send's first try and this one's start (ms). */
export interface DurableAttempt {
  owner: string;
  /** Attempts of this send before this one (its backoff doubles with each). */
  earlier: number;
  firstTriedAt: number;
  now: number;
  /** Sleeps until a slot due soon; rejects if the attempt is cancelled. */
  sleep: (ms: number) => Promise<void>;
}

/** Why a send stopped: `wait` — come back in retryInMs; `failed` — final (the recipient fails or is held). */
export type SingleStop =
  | {
      kind: 'wait';
      type: 'ProfilePaused' | 'ThrottleWait' | 'SendBusy' | 'SmtpThrottled' | 'TransientSmtpError' | 'FrequencyCapped';
      message: string;
      retryInMs: number;
    }
  | { kind: 'failed'; type: 'ConfigurationError' | 'SmtpConfigurationError' | 'PermanentSmtpError' | 'HeldForReview'; message: string };

export class SendStopped extends Error {
  constructor(readonly stop: SingleStop) {
    super(stop.message);
  }
}

/** How long a paused profile's sends wait before they look again. */
export const PAUSED_RETRY_MS = 60_000;
/**
 * Waits other than a transient failure's backoff (which has its jitter) get some, so sends waiting together
 * spread out: a fifth of the wait, at most a minute (a daily cap's wait of hours would otherwise end its
 * run hours after the cap counts again, and after the forecast).
 */
const jitter = (ms: number) => ms + Math.floor(Math.random() * Math.max(200, Math.min(ms * 0.2, 60_000)));
const wait = (type: Extract<SingleStop, { kind: 'wait' }>['type'], message: string, retryInMs: number) =>
  new SendStopped({ kind: 'wait', type, message, retryInMs: type === 'TransientSmtpError' ? retryInMs : jitter(retryInMs) });
const failed = (type: Extract<SingleStop, { kind: 'failed' }>['type'], message: string) => new SendStopped({ kind: 'failed', type, message });

/** Sends one message durably; throws SendStopped for a wait or a final failure. */
export async function sendSingle(deps: SingleDeps, input: SendEmailInput, run: DurableAttempt): Promise<SendEmailResult> {
  const { db, transports, messageIdSecret, publicUrl = 'http://localhost:3000' } = deps;
  const key = { runId: input.runId, nodeId: input.nodeId, contactId: input.contactId };
  let number = await lastAttemptNumber(db, key);
  const profileId = input.pool ? await memberFor(db, input.contactId, input.pool) : input.profileId;
  const entry = (outcome: AttemptOutcome, code: number | null, reply: string, messageId: string): Omit<DeliveryAttempt, 'id' | 'at'> => ({
    ...key,
    workflowId: input.workflowId,
    attempt: ++number,
    outcome,
    smtpCode: code,
    smtpReply: reply,
    messageId,
    profileId,
  });

  const contact = await getContact(db, input.contactId);
  const profile = await getSmtpProfile(db, profileId);
  if (!contact || !profile) {
    const problem = !contact ? say.noContact(input.contactId) : say.noProfile(profileId);
    await recordDeliveryAttempt(db, entry('failed', null, problem, ''));
    throw failed('ConfigurationError', problem);
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
  if (!transactional) {
    const capped = await frequencyCapped(db, key, input.whenCapped ?? 'skip', run.now);
    if (capped?.kind === 'sent') return { messageId: capped.messageId, reply: '', alreadySent: true };
    if (capped) {
      await recordDeliveryAttempt(db, entry('frequency_capped', null, capped.reason, ''), undefined, { ledger: false });
      if (capped.kind === 'wait') throw wait('FrequencyCapped', capped.reason, capped.retryInMs);
      return { messageId: '', reply: '', alreadySent: false, skipped: capped.reason };
    }
  }
  if (profile.failingSince) throw wait('ProfilePaused', say.profilePaused(profile, profile.failingReason), PAUSED_RETRY_MS);
  const messageId = messageIdFor(messageIdSecret, key, profile.fromEmail);
  let transport: ReturnType<typeof transports.get>;
  try {
    transport = transports.get(profile);
  } catch (err) {
    const reply = say.undecryptable(profile, err);
    await recordDeliveryAttempt(db, entry('failed', null, reply, messageId));
    throw failed('SmtpConfigurationError', reply);
  }

  // One live attempt per send: an overlapping attempt (this one retried while the first still runs) waits.
  const claim = await claimSend(db, key, { messageId, owner: run.owner, nowMs: Date.now(), leaseMs: LEASE_MS });
  if (claim.kind === 'sent') return { messageId: claim.messageId, reply: '', alreadySent: true };
  if (claim.kind === 'failed') throw failed('PermanentSmtpError', say.alreadyFailed);
  if (claim.kind === 'busy') throw wait('SendBusy', say.sendBusy, claim.retryAfterMs);
  if (claim.uncertain && profile.uncertainPolicy === 'hold') {
    await recordDeliveryAttempt(db, entry('uncertain', null, say.heldForReview(), messageId));
    throw failed('HeldForReview', say.heldForReview());
  }
  if (claim.uncertain) await recordDeliveryAttempt(db, entry('uncertain', null, say.resending(), messageId), undefined, { ledger: false });

  // Paced, the first send on a pool without an open connection goes alone (TransportPool.warmUp): it
  // also opens the connection, so it reaches the server later than its slot while the next would not.
  const paced = await isPaced(db, profile);
  const opening = paced ? await transports.warmUp(profile.id) : undefined;
  try {
    const slot = await takeSlot(db, profile, paced, run.sleep, undefined, run.now);
    if (!slot.ok) {
      await releaseSend(db, key, run.owner);
      throw wait('ThrottleWait', slot.reason === 'daily-cap' ? say.atDailyCap(profile) : say.atPace(profile), slot.retryAfterMs);
    }
    const day = slot.day;
    let outcome: SendOutcome;
    let error: unknown;
    const tracking = !transactional && (await tracksEngagement(db, input.runId)) ? { publicUrl, secret: messageIdSecret, message: key } : undefined;
    try {
      const link = transactional ? {} : unsubscribeLinks(publicUrl, messageIdSecret, profile.unsubscribeMailbox, contact.id);
      const info = await transport.sendMail(await composeMessage(profile, contact, input, messageId, { ...link, tracking }));
      outcome = { accepted: true, reply: info.response || '250 OK' };
    } catch (err) {
      // Only SMTP errors are classified here; a database error after a send must not look like one.
      error = err;
      outcome = { accepted: false, ...classifySmtpError(err) };
    }
    const decision = decide(
      outcome,
      { failures: run.earlier, throttled: 0, firstTriedAt: run.firstTriedAt, now: run.now, random: Math.random() },
      { uncertainPolicy: profile.uncertainPolicy, retryForMs: profile.retryForHours * 3600_000 },
    );
    countSend(profile.id, outcome, decision);
    if (decision.kind === 'sent') {
      // It also opened the connection, so it arrived late: the schedule goes on from now.
      if (opening) await restartPace(db, profile, Date.now()).catch(() => undefined);
      await commitOutcome(db, entry('sent', decision.code, decision.reply, messageId), (trx) => recordAccepted(trx, profile.id, Date.now()));
      return { messageId, reply: decision.reply, alreadySent: false };
    }
    await refundDailySlot(db, profile.id, day);
    const { code, reply } = decision;
    switch (decision.kind) {
      case 'failed':
      case 'suppress':
        // A 5xx naming the mailbox (550 5.1.1 and the like): no campaign mails this address again.
        await commitOutcome(db, entry('failed', code, reply, messageId), (trx) =>
          decision.kind === 'suppress' ? suppressContact(trx, contact.id, reply) : Promise.resolve(),
        );
        throw failed('PermanentSmtpError', reply);
      case 'hold':
        await commitOutcome(db, entry('uncertain', code, say.heldForReview(say.lostAfterData(reply)), messageId));
        throw failed('HeldForReview', say.heldForReview(say.lostAfterData(reply)));
      case 'pause profile': {
        const reason = say.pausedReason(reply, (await transports.explain(error, profile)).message);
        await commitOutcome(db, entry('retrying', code, reply, messageId));
        await markProfileFailing(db, profile.id, reason);
        throw wait('ProfilePaused', say.pausingProfile(profile, reason), PAUSED_RETRY_MS);
      }
      case 'slow down': {
        // Slow the profile down, then come back for a slot at the new pace: not an exponential backoff.
        await commitOutcome(db, entry('retrying', code, reply, messageId));
        const rate = await recordThrottleReply(db, profile, reply, Date.now());
        throw wait('SmtpThrottled', reply, rate ? 1000 / rate : 1000);
      }
      case 'fewer connections':
        await commitOutcome(db, entry('retrying', code, reply, messageId));
        await recordTooManyConnections(db, profile.id, await connectionLimit(db, profile, Date.now()), Date.now());
        throw wait('SmtpThrottled', reply, 1000);
      case 'retry':
        await commitOutcome(db, entry(decision.uncertain ? 'uncertain' : 'retrying', code, reply, messageId));
        throw wait('TransientSmtpError', reply, decision.retryInMs);
      default:
        throw new Error(`a single send cannot ${decision.kind}`);
    }
  } finally {
    opening?.();
  }
}

/**
 * The contact is at the workspace's frequency cap: what the send does (or it was sent already, before the cap was reached).
 * `nowMs` is Temporal's clock, so a test server's skipped time counts.
 */
async function frequencyCapped(db: Db, key: SendKey, whenCapped: 'skip' | 'wait', nowMs: number) {
  const cap = await getFrequencyCap(db);
  const until = cap && (await cappedContacts(db, cap, [key.contactId], nowMs, key)).get(key.contactId);
  if (!cap || until === undefined) return undefined;
  const earlier = await getSend(db, key);
  if (earlier?.status === 'SENT') return { kind: 'sent' as const, messageId: earlier.messageId };
  return { kind: whenCapped, reason: cappedReason(cap, until, whenCapped), retryInMs: Math.max(1000, until - nowMs) };
}

/**
 * The profile's pace holds across all workers: waits for this send's slot, at most maxWaitMs away. Its
 * UTC day is returned, to refund the daily cap if the server refuses it. A paced send that wakes well
 * after its slot gives it up for the next one (server/smtp/pace.ts).
 */
async function takeSlot(
  db: Db,
  profile: StoredSmtpProfile,
  paced: boolean,
  sleep: (ms: number) => Promise<void>,
  maxWaitMs?: number,
  /** Temporal's clock at the attempt, for the calendar day (server/db/send-limits.ts). */
  dayClockMs?: number,
): Promise<{ ok: true; day: string } | { ok: false; reason: 'daily-cap' | 'pace'; retryAfterMs: number }> {
  for (;;) {
    const askedAt = Date.now();
    // The machine's clock, or Temporal's where it is ahead (a time-skipping test's skipped days).
    const slot = await reserveSendSlot(db, profile, askedAt, maxWaitMs, Math.max(askedAt, dayClockMs ?? askedAt));
    if (!slot.ok) return { ok: false, reason: slot.reason === 'daily-cap' ? 'daily-cap' : 'pace', retryAfterMs: slot.retryAfterMs };
    if (slot.waitMs > 0) await sleep(slot.waitMs);
    if (!paced || Date.now() - (askedAt + slot.waitMs) <= lateEnough(slot)) return { ok: true, day: slot.day };
    await refundDailySlot(db, profile.id, slot.day);
  }
}

/** What a person waiting for one message reads: sent or not, and on failure its class and the fix. */
export interface InteractiveResult {
  ok: boolean;
  /** On failure, its class (server/smtp/advice.ts). */
  failure?: SmtpFailure;
  message: string;
}

/** The longest an interactive send waits for its slot before it answers "try again": a person is waiting. */
export const MAX_WAIT_MS = 10_000;

/**
 * Sends one message while a person waits (Send test email): on the profile's pooled transport, its
 * pace (warm-up and late slots included) and daily cap, the ledger and the delivery log like any send,
 * but tried once: the outcome is the answer. A refused login or TLS failure is explained, not paused on:
 * the person reads the fix at once.
 */
export async function sendInteractive(
  deps: Pick<SingleDeps, 'db' | 'transports'>,
  send: { key: SendKey; profile: StoredSmtpProfile; mail: Mail.Options; messageId: string; to: string },
  /** What the log keeps of a reply or error (a profile's user name hidden from who may not see it). */
  shown: (text: string) => string = (text) => text,
): Promise<InteractiveResult> {
  const { db, transports } = deps;
  const { key, profile, messageId } = send;
  const log = (outcome: AttemptOutcome, code: number | null, reply: string) =>
    commitOutcome(db, { ...key, workflowId: '', attempt: 1, outcome, smtpCode: code, smtpReply: reply, messageId, profileId: profile.id });
  const notSent = async (message: string, failure?: SmtpFailure): Promise<InteractiveResult> => {
    await log('failed', null, message);
    return { ok: false, message, ...(failure ? { failure } : {}) };
  };
  let transport: ReturnType<typeof transports.get>;
  try {
    transport = transports.get(profile);
  } catch (err) {
    return notSent(say.undecryptable(profile, err));
  }
  await claimSend(db, key, { messageId, owner: key.runId, nowMs: Date.now(), leaseMs: LEASE_MS });
  const paced = await isPaced(db, profile);
  const opening = paced ? await transports.warmUp(profile.id) : undefined;
  try {
    const slot = await takeSlot(db, profile, paced, (ms) => delay(ms), MAX_WAIT_MS);
    if (!slot.ok) return notSent(slot.reason === 'daily-cap' ? say.test.dailyCap(profile) : say.test.atPace(profile, slot.retryAfterMs));
    try {
      const reply = (await transport.sendMail(send.mail)).response || '250 OK';
      if (opening) await restartPace(db, profile, Date.now()).catch(() => undefined);
      await commitOutcome(
        db,
        {
          ...key,
          workflowId: '',
          attempt: 1,
          outcome: 'sent',
          smtpCode: Number.parseInt(reply, 10) || 250,
          smtpReply: reply,
          messageId,
          profileId: profile.id,
        },
        (trx) => recordAccepted(trx, profile.id, Date.now()),
      );
      return { ok: true, message: say.test.sent(send.to, reply) };
    } catch (err) {
      const outcome = classifySmtpError(err);
      await refundDailySlot(db, profile.id, slot.day);
      // Not retried, so the log says failed (or uncertain when the connection broke after the data).
      await log(outcome.unknown ? 'uncertain' : 'failed', outcome.code, shown(outcome.reply));
      if (outcome.kind === 'throttled') await recordThrottleReply(db, profile, outcome.reply, Date.now());
      const advice = await transports.explain(err, profile);
      return { ok: false, failure: advice.failure, message: advice.message };
    }
  } finally {
    opening?.();
  }
}
