/**
 * How real servers count what a client sends: the limits the sandbox can enforce (server/sandbox-faults.ts
 * wires them in), each a pure model with the clock given to every call, so tests and the pace's
 * simulation (test/pace-controller.test.ts) run them on simulated time.
 * - A fixed window per client across its connections, N per time unit, the window starting at the
 *   client's first message (as Postfix's anvil counts for smtpd_client_message_rate_limit).
 * - A token bucket (as Amazon SES): R a second, at most B kept.
 * - A cap per clock minute or clock hour (as providers publish "per minute" and "per hour" limits).
 * - A limit on messages per connection (as Exchange's MaxMessagesPerConnection).
 * Real servers sustain less than they announce: `real` (a fraction, 1 by default) is applied to the
 * announced number, so a "600 a minute" server that really takes 540 is { limit: 600, real: 0.9 }.
 */

/** The number a shape enforces: the announced one times `real`, at least 1 (or nothing would ever pass). */
export const enforced = (announced: number, real = 1) => Math.max(1, Math.floor(announced * real));

/** N messages per `windowMs` per client, the window starting at the client's first message in it. */
export function fixedWindow(limit: number, windowMs: number) {
  const windows = new Map<string, { start: number; count: number }>();
  return {
    /** Counts a message from `client`: false when its window is full. With `count` false, only says whether it would pass. */
    take(client: string, now: number, count = true): boolean {
      const w = windows.get(client);
      const open = w && now < w.start + windowMs;
      if (open && w.count >= limit) return false;
      if (count) windows.set(client, open ? { start: w.start, count: w.count + 1 } : { start: now, count: 1 });
      return true;
    },
  };
}

/**
 * Postfix's own count (anvil): the window starts at the client's first message after the last one ended,
 * on a clock of whole seconds, and ends once that clock is past its start plus the time unit. So a
 * "500 per 10 s" window lasts 10 to 11 s, and 11 s when a client sends as soon as it reopens. For the
 * pace's simulation: the bench checks the pace against Debian's Postfix itself (bench/shapes.ts).
 */
export function anvilWindow(limit: number, windowMs: number) {
  const windows = new Map<string, { start: number; count: number }>();
  return {
    take(client: string, now: number): boolean {
      const second = Math.floor(now / 1000);
      const w = windows.get(client);
      const open = w && second <= w.start + windowMs / 1000;
      if (open && w.count >= limit) return false;
      windows.set(client, open ? { start: w.start, count: w.count + 1 } : { start: second, count: 1 });
      return true;
    },
  };
}

/** `perSecond` tokens a second, at most `burst` kept, full at the start. */
export function tokenBucket(perSecond: number, burst: number, start: number) {
  let tokens = burst;
  let refilledAt = start;
  return {
    take(now: number): boolean {
      tokens = Math.min(burst, tokens + (Math.max(0, now - refilledAt) * perSecond) / 1000);
      refilledAt = Math.max(refilledAt, now);
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}

/** N messages per clock period (a minute: 60,000 ms; an hour: 3,600,000 ms), counted from the period's start whenever sending began. */
export function clockCap(limit: number, periodMs: number) {
  let period = Number.NaN;
  let count = 0;
  return {
    /** Counts a message: false when the period's cap is reached. With `commit` false, only says whether it would pass. */
    take(now: number, commit = true): boolean {
      const p = Math.floor(now / periodMs);
      if (p !== period) [period, count] = [p, 0];
      if (count >= limit) return false;
      if (commit) count++;
      return true;
    },
  };
}

/** N messages per connection; the next one is refused (and the server closes the connection). */
export function perConnection(limit: number) {
  const counts = new Map<string, number>();
  return {
    take(connection: string): boolean {
      const n = (counts.get(connection) ?? 0) + 1;
      counts.set(connection, n);
      return n <= limit;
    },
    close(connection: string): void {
      counts.delete(connection);
    },
  };
}

/** N connections open at once; one more is refused at its greeting. */
export function concurrentConnections(limit: number) {
  const open = new Set<string>();
  return {
    connect(connection: string): boolean {
      if (open.size >= limit) return false;
      open.add(connection);
      return true;
    },
    close(connection: string): void {
      open.delete(connection);
    },
  };
}

/** The first `attempts` tries of each (sender, recipient) pair are refused; later ones pass. */
export function greylist(attempts: number) {
  const tries = new Map<string, number>();
  return {
    take(sender: string, recipient: string): boolean {
      const pair = `${sender.toLowerCase()} ${recipient.toLowerCase()}`;
      const n = (tries.get(pair) ?? 0) + 1;
      tries.set(pair, n);
      return n > attempts;
    },
  };
}
