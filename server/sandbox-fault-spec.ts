/**
 * The SANDBOX_FAULTS string: what faults the sandbox SMTP server injects (the format is in the README,
 * "Sandbox faults"). `FaultsSpec` parses it into `Faults`; server/sandbox-faults.ts acts on them.
 */
import { z } from 'zod';
export interface Faults {
  /**
   * A token bucket shared by all connections: `perSecond` tokens a second, at most `burst` kept. A
   * message with no token left is answered 454 after its DATA (where Amazon SES answers) and not kept.
   */
  throttle?: { perSecond: number; burst: number };
  /** N messages per time unit per client across its connections, the window starting at its first message (Postfix's anvil); 450 to MAIL FROM beyond it. */
  window?: { limit: number; windowMs: number };
  /** Caps per clock minute and clock hour; 451 to MAIL FROM beyond them. */
  perMinute?: number;
  perHour?: number;
  /** Messages per connection; the next MAIL FROM is answered 421 and the connection closed (Exchange's 4.3.2). */
  perConnection?: number;
  /** The share of every announced rate above (throttle, window, per-minute, per-hour) the server really takes, like 0.9; 1 when not given. */
  real?: number;
  /** This percentage of messages is answered 454 Throttling failure after DATA and not kept, whatever the pace (a server that sheds load). */
  fail454Percent?: number;
  /** A connection beyond this many open at once is answered 421 instead of the greeting, then closed. */
  maxConnections?: number;
  /** This percentage of MAIL FROM commands is answered 421, then the connection is closed. */
  disconnect421Percent?: number;
  /** The first `greylist` RCPT TO of each (sender, recipient) pair are answered 451; later ones pass. */
  greylist?: number;
  /** This percentage of recipient addresses is answered 550, chosen by a hash of the address and the seed. */
  rejectPercent?: number;
  /** The first `auth454` AUTH attempts are answered 454, whatever the credentials. */
  auth454?: number;
  /** The first `block550` messages are answered 550 5.7.1 after DATA and not kept: a provider blocking the sender for a while. */
  block550?: number;
  /** This percentage of messages is kept, then the connection is destroyed without the 250 reply. */
  dropAfterDataPercent?: number;
  /** The replies to the greeting, AUTH, MAIL FROM, RCPT TO and the end of DATA each wait this long. */
  slowMs?: number;
  /** The greeting (only) waits this long, as a server that pauses before it greets: opening a connection is slow, sending on it is not. */
  greetingMs?: number;
  /** Changes which recipients `rejectPercent` picks. */
  seed?: string;
}

/** The replies a client sees, word for word. */
export const FAULT_REPLIES = {
  throttled: { code: 454, text: '4.7.0 Throttling failure: Maximum sending rate exceeded.' },
  tooManyConnections: { code: 421, text: '4.7.0 Too many connections, closing' },
  greylisted: { code: 451, text: '4.7.1 Greylisted, please try again later' },
  rejected: { code: 550, text: '5.1.1 Mailbox unavailable' },
  authRefused: { code: 454, text: '4.7.0 Too many login attempts, please try again later' },
  blocked: { code: 550, text: '5.7.1 Message rejected: sending blocked by policy (sender reputation)' },
  tooMuchMail: { code: 450, text: '4.7.1 Error: too much mail from this client' },
  minuteCap: { code: 451, text: '4.7.0 Rate limit exceeded: too many messages this minute' },
  hourCap: { code: 451, text: '4.7.0 Rate limit exceeded: too many messages this hour' },
  connectionMessages: { code: 421, text: '4.3.2 Message limit per connection reached, closing' },
} as const;

export type FaultReply = { code: number; text: string };

const FORMAT =
  'a comma-separated list such as throttle=50/s,burst=50,window=600/60s,per-minute=600,per-hour=2000,per-connection=100,real=90%,fail454=30%,max-connections=10,disconnect421=2%,greylist=1,reject=5%,auth454=1,block550=25,drop-after-data=1%,slow=200ms,slow-greeting=300ms,seed=abc';

type Setter = (faults: Faults, value: string) => string | undefined;

const count = (value: string) => (/^\d+$/.test(value) && Number(value) >= 1 ? Number(value) : undefined);
/** "5%", "0.5%": a percentage above 0 and at most 100, with at most two decimals. */
const percent = (value: string) => {
  const m = /^(\d+(?:\.\d{1,2})?)%$/.exec(value);
  const p = m ? Number(m[1]) : NaN;
  return p > 0 && p <= 100 ? p : undefined;
};

const UNIT_MS: Record<string, number> = { s: 1000, min: 60_000, h: 3_600_000 };

const setters: Record<string, Setter> = {
  window(f, v) {
    const m = /^(\d+)\/(\d+)(s|min|h)$/.exec(v);
    const [limit, length] = m ? [Number(m[1]), Number(m[2]) * UNIT_MS[m[3]!]!] : [0, 0];
    if (!(limit >= 1 && length >= 1000)) return 'takes messages per time unit, at least 1 per at least 1s, like window=600/60s (s, min or h)';
    f.window = { limit, windowMs: length };
  },
  'per-minute'(f, v) {
    f.perMinute = count(v);
    if (f.perMinute === undefined) return 'takes a whole number of messages, at least 1, like per-minute=600';
  },
  'per-hour'(f, v) {
    f.perHour = count(v);
    if (f.perHour === undefined) return 'takes a whole number of messages, at least 1, like per-hour=2000';
  },
  'per-connection'(f, v) {
    f.perConnection = count(v);
    if (f.perConnection === undefined) return 'takes a whole number of messages, at least 1, like per-connection=100';
  },
  real(f, v) {
    const p = percent(v);
    if (p === undefined) return 'takes the share of the announced rates the server really takes, above 0% and at most 100%, like real=90%';
    f.real = p / 100;
  },
  throttle(f, v) {
    const m = /^(\d+(?:\.\d+)?)\/s$/.exec(v);
    const rate = m ? Number(m[1]) : NaN;
    if (!(rate > 0)) return 'takes messages per second above 0, like throttle=50/s';
    f.throttle = { perSecond: rate, burst: f.throttle?.burst ?? NaN };
  },
  burst(f, v) {
    const n = count(v);
    if (n === undefined) return 'takes a whole number of messages, at least 1, like burst=10';
    f.throttle = { perSecond: f.throttle?.perSecond ?? NaN, burst: n };
  },
  fail454(f, v) {
    f.fail454Percent = percent(v);
    if (f.fail454Percent === undefined) return 'takes a percentage above 0% and at most 100%, like fail454=30%';
  },
  'max-connections'(f, v) {
    f.maxConnections = count(v);
    if (f.maxConnections === undefined) return 'takes a whole number, at least 1, like max-connections=10';
  },
  disconnect421(f, v) {
    f.disconnect421Percent = percent(v);
    if (f.disconnect421Percent === undefined) return 'takes a percentage above 0% and at most 100%, like disconnect421=2%';
  },
  greylist(f, v) {
    f.greylist = count(v);
    if (f.greylist === undefined) return 'takes how many first attempts of a sender and recipient to refuse, at least 1, like greylist=1';
  },
  reject(f, v) {
    f.rejectPercent = percent(v);
    if (f.rejectPercent === undefined) return 'takes a percentage above 0% and at most 100%, like reject=5%';
  },
  auth454(f, v) {
    f.auth454 = count(v);
    if (f.auth454 === undefined) return 'takes how many first AUTH attempts to refuse, at least 1, like auth454=1';
  },
  block550(f, v) {
    f.block550 = count(v);
    if (f.block550 === undefined) return 'takes how many first messages to refuse, at least 1, like block550=25';
  },
  'drop-after-data'(f, v) {
    f.dropAfterDataPercent = percent(v);
    if (f.dropAfterDataPercent === undefined) return 'takes a percentage above 0% and at most 100%, like drop-after-data=1%';
  },
  slow(f, v) {
    const m = /^(\d+)(ms|s)$/.exec(v);
    const ms = m ? Number(m[1]) * (m[2] === 's' ? 1000 : 1) : NaN;
    if (!(ms >= 1)) return 'takes a delay in ms or s, like slow=200ms';
    f.slowMs = ms;
  },
  'slow-greeting'(f, v) {
    const m = /^(\d+)(ms|s)$/.exec(v);
    const ms = m ? Number(m[1]) * (m[2] === 's' ? 1000 : 1) : NaN;
    if (!(ms >= 1)) return 'takes a delay in ms or s, like slow-greeting=300ms';
    f.greetingMs = ms;
  },
  seed(f, v) {
    if (!/^[\w.-]+$/.test(v)) return 'takes letters, digits, ".", "-" or "_", like seed=run1';
    f.seed = v;
  },
};

/**
 * The SANDBOX_FAULTS string to a `Faults` object; every problem is its own issue that quotes the item
 * and says how to write it. An empty string means no faults.
 */
export const FaultsSpec = z.string().transform((spec, ctx): Faults => {
  const faults: Faults = {};
  const seen = new Set<string>();
  const problem = (message: string) => ctx.addIssue({ code: 'custom', message });
  for (const item of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = item.indexOf('=');
    const key = (eq < 0 ? item : item.slice(0, eq)).trim();
    const value = eq < 0 ? '' : item.slice(eq + 1).trim();
    const set = Object.hasOwn(setters, key) ? setters[key] : undefined;
    if (!set) {
      problem(`"${item}": unknown fault "${key}"; known ones are ${Object.keys(setters).join(', ')} (${FORMAT})`);
    } else if (eq < 0 || !value) {
      problem(`"${item}": ${key} needs a value; ${key} ${set({}, '')}`);
    } else if (seen.has(key)) {
      problem(`"${item}": ${key} is given twice; keep one`);
    } else {
      const error = set(faults, value);
      if (error) problem(`"${item}": ${key} ${error}`);
    }
    seen.add(key);
  }
  if (faults.throttle && Number.isNaN(faults.throttle.perSecond)) {
    // (A throttle that was given but wrong has its own issue already.)
    if (!seen.has('throttle')) problem('burst needs a throttle too, like throttle=50/s,burst=10');
    delete faults.throttle;
  } else if (faults.throttle && Number.isNaN(faults.throttle.burst)) {
    // One second's worth by default, and at least one message, or nothing would ever pass.
    faults.throttle.burst = Math.max(1, faults.throttle.perSecond);
  }
  return faults;
});

/** Parses a SANDBOX_FAULTS string; throws an Error naming SANDBOX_FAULTS and each problem. */
export function parseFaults(spec: string): Faults {
  const parsed = FaultsSpec.safeParse(spec);
  if (parsed.success) return parsed.data;
  throw new Error(`SANDBOX_FAULTS is not valid:\n${parsed.error.issues.map((i) => `  ${i.message}`).join('\n')}`);
}

/** Faults back to a SANDBOX_FAULTS string (for the sandbox's start-up line). */
export function describeFaults(f: Faults): string {
  const parts = [
    f.throttle && `throttle=${f.throttle.perSecond}/s,burst=${f.throttle.burst}`,
    f.window && `window=${f.window.limit}/${f.window.windowMs / 1000}s`,
    f.perMinute && `per-minute=${f.perMinute}`,
    f.perHour && `per-hour=${f.perHour}`,
    f.perConnection && `per-connection=${f.perConnection}`,
    f.real && `real=${Math.round(f.real * 10_000) / 100}%`,
    f.maxConnections && `max-connections=${f.maxConnections}`,
    f.disconnect421Percent && `disconnect421=${f.disconnect421Percent}%`,
    f.greylist && `greylist=${f.greylist}`,
    f.rejectPercent && `reject=${f.rejectPercent}%`,
    f.auth454 && `auth454=${f.auth454}`,
    f.block550 && `block550=${f.block550}`,
    f.dropAfterDataPercent && `drop-after-data=${f.dropAfterDataPercent}%`,
    f.slowMs && `slow=${f.slowMs}ms`,
    f.greetingMs && `slow-greeting=${f.greetingMs}ms`,
    f.seed && `seed=${f.seed}`,
  ];
  return parts.filter(Boolean).join(',') || 'none';
}
