/**
 * The send policy, once for every sender (server/sending/batch.ts, single.ts, the test email): what to
 * do after one attempt of one send, from its outcome (server/smtp/classify.ts), how often and how long
 * it was tried, and the profile's settings. Pure and synchronous: the callers act on its decision.
 */
import type { SmtpOutcome } from '../smtp/classify';
import { gaveUp } from './messages';

/** What one attempt came to: the server accepted the message, or the classified failure. */
export type SendOutcome = { accepted: true; reply: string } | ({ accepted: false } & SmtpOutcome);

export interface AttemptState {
  /** Transient failures of this send before this attempt (in this sender). */
  failures: number;
  /** Throttle replies to this send before this attempt (in this sender). */
  throttled: number;
  /** When the send was first tried, and when this attempt ended (ms): transient failures are retried for retryForMs. */
  firstTriedAt: number;
  now: number;
  /** In [0, 1): the backoff's jitter (Math.random() in the product; fixed in tests). */
  random: number;
  /**
   * A batch's quick retries: past this many failures (or throttle replies) the recipient is handed to a
   * retry workflow of its own. Absent: the send retries durably (a journey, a one-off, a retry workflow).
   */
  quick?: { failures: number; throttled: number };
}

export interface ProfileState {
  /** A send whose outcome is unknown: resend it with the same Message-ID, or hold it for a person. */
  uncertainPolicy: 'resend' | 'hold';
  /** How long transient failures are retried before the recipient fails. */
  retryForMs: number;
}

export type Decision =
  /** The server accepted it: ledger SENT, the reply logged. */
  | { kind: 'sent'; code: number; reply: string }
  /** It will never be accepted (or was tried too long): ledger FAILED, the recipient failed with the reply. */
  | { kind: 'failed'; code: number | null; reply: string }
  /** As failed, and the reply names the mailbox: the address is suppressed. */
  | { kind: 'suppress'; code: number | null; reply: string }
  /** The outcome is unknown and the profile holds such sends: ledger UNCERTAIN, the recipient waits for a person. */
  | { kind: 'hold'; code: number | null; reply: string }
  /** The profile's settings are wrong: it pauses (with the fix shown); its sends wait until it is fixed. */
  | { kind: 'pause profile'; code: number | null; reply: string }
  /** The server wants fewer messages per second: the profile slows down, the send waits for its next slot. */
  | { kind: 'slow down'; code: number | null; reply: string }
  /** The server wants fewer connections: the profile's connection limit goes down, the send tries again. */
  | { kind: 'fewer connections'; code: number | null; reply: string }
  /** Try again in retryInMs. `uncertain`: the server may have it; resent with the same Message-ID (ledger UNCERTAIN). */
  | { kind: 'retry'; code: number | null; reply: string; retryInMs: number; uncertain: boolean }
  /** A batch's quick retries are over: the recipient gets its own retry workflow. */
  | { kind: 'hand off'; code: number | null; reply: string; uncertain: boolean };

/** The first wait of a durable retry, and of a batch's quick retry; waits double up to MAX_BACKOFF_MS. */
export const BACKOFF_MS = 2_000;
export const QUICK_BACKOFF_MS = 500;
export const MAX_BACKOFF_MS = 10 * 60_000;
/** How long transient failures are retried unless the profile says otherwise: 3 days. */
export const DEFAULT_RETRY_FOR_MS = 3 * 24 * 3600_000;

/** Backoff with jitter: base · 2^failures, at most MAX_BACKOFF_MS, plus up to 20%. */
export function backoff(base: number, failures: number, random: number): number {
  const ms = Math.min(MAX_BACKOFF_MS, base * 2 ** Math.min(failures, 20));
  return Math.round(ms * (1 + 0.2 * random));
}

export function decide(outcome: SendOutcome, attempt: AttemptState, profile: ProfileState): Decision {
  if (outcome.accepted) return { kind: 'sent', code: Number.parseInt(outcome.reply, 10) || 250, reply: outcome.reply };
  const { code, reply } = outcome;
  if (outcome.kind === 'configuration') return { kind: 'pause profile', code, reply };
  if (outcome.kind === 'permanent') return { kind: outcome.badMailbox ? 'suppress' : 'failed', code, reply };
  if (outcome.unknown && profile.uncertainPolicy === 'hold') return { kind: 'hold', code, reply };
  // Transient from here: retried, but not for ever.
  const tried = attempt.now - attempt.firstTriedAt;
  if (tried >= profile.retryForMs) return { kind: 'failed', code, reply: gaveUp(tried, reply) };
  const quick = attempt.quick;
  if (outcome.kind === 'throttled') {
    if (quick && attempt.throttled + 1 >= quick.throttled) return { kind: 'hand off', code, reply, uncertain: false };
    return { kind: 'slow down', code, reply };
  }
  if (outcome.kind === 'too-many-connections') return { kind: 'fewer connections', code, reply };
  if (quick && attempt.failures + 1 >= quick.failures) return { kind: 'hand off', code, reply, uncertain: outcome.unknown };
  const retryInMs = backoff(quick ? QUICK_BACKOFF_MS : BACKOFF_MS, attempt.failures, attempt.random);
  return { kind: 'retry', code, reply, retryInMs, uncertain: outcome.unknown };
}
