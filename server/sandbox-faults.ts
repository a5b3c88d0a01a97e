/**
 * Faults the sandbox SMTP server can inject, so sending can be tried against a server that behaves
 * like real ones under load. `FaultsSpec` parses the SANDBOX_FAULTS string (the format is in the
 * README, "Sandbox faults"); `createFaultInjector` holds the state the decisions need (the token
 * bucket, counters, greylist) and counts what it refused.
 *
 * Every decision is deterministic: fractions of messages are every (100/P)-th message counted at that
 * stage, and rejected recipients are chosen by a hash of the address and the seed, so a test (or a
 * retry) always gets the same answers.
 */
import { createHash } from 'node:crypto';
import { FAULT_REPLIES, type FaultReply, type Faults } from './sandbox-fault-spec';
import { clockCap, concurrentConnections, enforced, fixedWindow, greylist, perConnection, tokenBucket } from './sandbox-shapes';

export * from './sandbox-fault-spec';

/** Whether `rejectPercent` picks this address (the same answer every time, for a given seed). */
export function rejectsRecipient(faults: Faults, address: string): boolean {
  if (!faults.rejectPercent) return false;
  const digest = createHash('sha256')
    .update(`${faults.seed ?? ''}\n${address.toLowerCase()}`)
    .digest();
  return digest.readUInt32BE(0) / 2 ** 32 < faults.rejectPercent / 100;
}

/**
 * True for every (100/P)-th call: among the first n calls exactly floor(n × P / 100) are hit, evenly
 * spread (5% hits calls 20, 40, 60...). Counted in hundredths of a percent, so no rounding drifts.
 */
function everyNth(percentValue: number | undefined): () => boolean {
  const perTenThousand = Math.round((percentValue ?? 0) * 100);
  let calls = 0;
  return () => {
    calls++;
    return Math.floor((calls * perTenThousand) / 10_000) > Math.floor(((calls - 1) * perTenThousand) / 10_000);
  };
}

/** What the sandbox did with what it was sent, fault by fault. */
export interface SandboxStats {
  /** Messages kept and answered 250. */
  accepted: number;
  /** Messages kept, then the connection destroyed before the 250 (drop-after-data). */
  dropped: number;
  /** Messages answered 454 after DATA by the token bucket, not kept. */
  throttled: number;
  /** Connections refused with 421 at the greeting (max-connections). */
  tooManyConnections: number;
  /** MAIL FROM commands answered 421, connection closed (disconnect421). */
  disconnected: number;
  /** MAIL FROM commands answered 450 or 451 by the window, the per-minute or the per-hour cap. */
  rateLimited: number;
  /** MAIL FROM commands answered 421 by the limit per connection, connection closed. */
  connectionLimited: number;
  /** RCPT TO commands answered 451 (greylist). */
  greylisted: number;
  /** RCPT TO commands answered 550 (reject). */
  rejected: number;
  /** AUTH attempts answered 454 (auth454). */
  authRefused: number;
  /** Messages answered 550 5.7.1 after DATA, not kept (block550). */
  blocked: number;
}

export type FaultInjector = ReturnType<typeof createFaultInjector>;

/** The fault state of one sandbox server; `now` is in milliseconds since the epoch (the caps count clock minutes and hours). */
export function createFaultInjector(faults: Faults, now: () => number = Date.now) {
  const stats: SandboxStats = {
    accepted: 0,
    dropped: 0,
    throttled: 0,
    rateLimited: 0,
    connectionLimited: 0,
    tooManyConnections: 0,
    disconnected: 0,
    greylisted: 0,
    rejected: 0,
    authRefused: 0,
    blocked: 0,
  };
  const disconnectHit = everyNth(faults.disconnect421Percent);
  const dropHit = everyNth(faults.dropAfterDataPercent);
  const fail454Hit = everyNth(faults.fail454Percent);
  let authAttempts = 0;
  const real = faults.real ?? 1;
  const open = concurrentConnections(faults.maxConnections ?? Number.POSITIVE_INFINITY);
  const perConn = perConnection(faults.perConnection ?? Number.POSITIVE_INFINITY);
  const bucket = faults.throttle && tokenBucket(faults.throttle.perSecond * real, enforced(faults.throttle.burst, real), now());
  const window = faults.window && fixedWindow(enforced(faults.window.limit, real), faults.window.windowMs);
  const minute = faults.perMinute ? clockCap(enforced(faults.perMinute, real), 60_000) : undefined;
  const hour = faults.perHour ? clockCap(enforced(faults.perHour, real), 3_600_000) : undefined;
  const greylisted = greylist(faults.greylist ?? 0);
  /** The rate limits at MAIL FROM: the first that refuses answers, and a refused message counts in none. */
  const rateLimit = (client: string): FaultReply | undefined => {
    const t = now();
    if (window && !window.take(client, t, false)) return FAULT_REPLIES.tooMuchMail;
    if (minute && !minute.take(t, false)) return FAULT_REPLIES.minuteCap;
    if (hour && !hour.take(t, false)) return FAULT_REPLIES.hourCap;
    window?.take(client, t);
    minute?.take(t);
    hour?.take(t);
  };

  return {
    stats,
    /** Runs `reply` after the `slow` delay (at once without one). */
    later(reply: () => void): void {
      if (faults.slowMs) setTimeout(reply, faults.slowMs);
      else reply();
    },
    /** Runs the greeting after the `slow` and `slow-greeting` delays. */
    greet(reply: () => void): void {
      const ms = (faults.slowMs ?? 0) + (faults.greetingMs ?? 0);
      if (ms > 0) setTimeout(reply, ms);
      else reply();
    },
    /** A new connection: refused when it would be one too many. */
    connect(sessionId: string): FaultReply | undefined {
      if (!open.connect(sessionId)) {
        stats.tooManyConnections++;
        return FAULT_REPLIES.tooManyConnections;
      }
    },
    close(sessionId: string): void {
      open.close(sessionId);
      perConn.close(sessionId);
    },
    auth(): FaultReply | undefined {
      if (faults.auth454 !== undefined && ++authAttempts <= faults.auth454) {
        stats.authRefused++;
        return FAULT_REPLIES.authRefused;
      }
    },
    /** A message starts from `client` (its address) on connection `sessionId`. */
    mailFrom(client = '', sessionId = ''): FaultReply | undefined {
      if (faults.disconnect421Percent && disconnectHit()) {
        stats.disconnected++;
        return FAULT_REPLIES.tooManyConnections;
      }
      if (!perConn.take(sessionId)) {
        stats.connectionLimited++;
        return FAULT_REPLIES.connectionMessages;
      }
      const limited = rateLimit(client);
      if (limited) stats.rateLimited++;
      return limited;
    },
    /** The 550 first (it never changes for an address), then the greylist. */
    rcptTo(sender: string, recipient: string): FaultReply | undefined {
      if (rejectsRecipient(faults, recipient)) {
        stats.rejected++;
        return FAULT_REPLIES.rejected;
      }
      if (faults.greylist !== undefined && !greylisted.take(sender, recipient)) {
        stats.greylisted++;
        return FAULT_REPLIES.greylisted;
      }
    },
    /** A whole message is in: takes a token from the bucket, or answers 454 and the message is not kept. */
    dataEnd(): FaultReply | undefined {
      if (faults.block550 !== undefined && stats.blocked < faults.block550) {
        stats.blocked++;
        return FAULT_REPLIES.blocked;
      }
      if (faults.fail454Percent && fail454Hit()) {
        stats.throttled++;
        return FAULT_REPLIES.throttled;
      }
      if (!bucket || bucket.take(now())) return;
      stats.throttled++;
      return FAULT_REPLIES.throttled;
    },
    /** The message is kept: whether to destroy the connection instead of answering 250. */
    dropAfterStore(): boolean {
      if (faults.dropAfterDataPercent && dropHit()) {
        stats.dropped++;
        return true;
      }
      stats.accepted++;
      return false;
    },
  };
}
