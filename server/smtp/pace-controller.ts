/**
 * What a profile's pace learns from the server's answers: a pure controller. The sending engine feeds it
 * every accepted message and every throttle reply (server/db/throttle.ts keeps its state in the profile's
 * smtp_throttle row, for every worker at once); the schedule (a GCRA, in SQL) sends at its rate and
 * never before `pausedUntil`. Times are in ms; `limit` is the profile's own rate (null: none).
 *
 * Real servers count in different ways (server/sandbox-shapes.ts has each as a model): a token bucket
 * refuses a share of messages as soon as the pace is over its rate; a window (per client, per minute,
 * per hour) takes its quota at any pace, then refuses every message until it ends. So:
 * - Throttle replies among accepted ones: cut to 95% of what was accepted in the last second (and to at
 *   most 85% of the current rate), at most once a second. A server that refuses a share whatever the
 *   pace looks the same at first; if the share since the cut is still 80% of what prompted it, the cut
 *   is undone and for a minute such replies are only retried.
 * - REPEATED replies in a row, nothing accepted between: the server's window is full. The pace backs
 *   off, 1 s, then after each refused probe half as long as the window has lasted so far (at least 1 s,
 *   at most MAX_BACKOFF_MS), instead of retrying into the window; nothing is undone while the replies go
 *   on. The first message accepted after it says the window has ended, between the last refused probe
 *   and now: the pace learns the window's quota (what was accepted since the window began, until the
 *   first refusal) over its length (half way between the two). Doubling the pause instead, a 10 s
 *   window was taken for 15 s, and the pace sent at two thirds of what the server takes.
 * - Each clean window (a second for a bucket, the learned window otherwise) raises the rate by 2%.
 */

export interface PaceState {
  /** The learned rate (messages/s); null while none is known. */
  rate: number | null;
  decreaseAfter: number;
  increaseAfter: number;
  /** Messages accepted in second accSec (epoch seconds) and in the second before it; throttle replies the same. */
  accSec: number;
  accCount: number;
  accPrev: number;
  thrSec: number;
  thrCount: number;
  thrPrev: number;
  /** The share of throttle replies that prompted this episode's cut (0: not measured yet), and the learned rate before it (-1: no episode; -2: none was learned). */
  episodeShare: number;
  episodeFrom: number;
  /** Accepted and throttle replies since the episode's last cut. */
  epAcc: number;
  epThr: number;
  /** Until when throttle replies among accepted ones are taken as the server shedding load: retried, no cut. */
  sheddingUntil: number;
  /** Until when the schedule warms up after an idle second (set by the schedule, read here). */
  warmUntil: number;
  /** Since when the server's current window is counted, and what it accepted since. */
  windowSince: number;
  windowAccepted: number;
  lastAcceptedAt: number;
  /** When the last throttle reply came (0: none). */
  lastRefusedAt: number;
  /** At most what the learned window sustains (its quota over the time to the last refused probe; 0: none known). */
  ceiling: number;
  /** When the back-off began (0: none). */
  pausedSince: number;
  /** Throttle replies since the last accepted message, and what the window had accepted at the first of them (-1: none). */
  inRow: number;
  quota: number;
  /** The back-off now (0: none), and no send before `pausedUntil`. */
  backoffMs: number;
  pausedUntil: number;
  /** The server's window as learned (1 s until one is). */
  windowMs: number;
  slowdownAt: number | null;
  slowdownReply: string | null;
}

export const initialPace = (): PaceState => ({
  rate: null,
  decreaseAfter: 0,
  increaseAfter: 0,
  accSec: 0,
  accCount: 0,
  accPrev: 0,
  thrSec: 0,
  thrCount: 0,
  thrPrev: 0,
  episodeShare: 0,
  episodeFrom: -1,
  epAcc: 0,
  epThr: 0,
  sheddingUntil: 0,
  warmUntil: 0,
  windowSince: 0,
  windowAccepted: 0,
  lastAcceptedAt: 0,
  lastRefusedAt: 0,
  ceiling: 0,
  pausedSince: 0,
  inRow: 0,
  quota: -1,
  backoffMs: 0,
  pausedUntil: 0,
  windowMs: 1000,
  slowdownAt: null,
  slowdownReply: null,
});

export const MIN_RATE = 0.1;
/** Replies a slow-down decision needs to go by. */
const EVIDENCE = 10;
/** Throttle replies in a row, nothing accepted between, that say the server's window is full. */
export const REPEATED = 8;
export const MAX_BACKOFF_MS = 5 * 60_000;
/** A refused probe pauses for this share of the time since the back-off began (at least 1 s): the window's end is then known to within it. */
const PROBE_FRACTION = 0.25;
/** Nothing accepted for this long (or the learned window, when longer): what the server counted has ended. */
const IDLE_MS = 10_000;
/** The learned rate is this much under what the server took. */
const MARGIN = 0.95;

/** The rate the schedule sends at: the lower of the learned rate and the profile's own limit; null when neither. */
export const effectiveRate = (s: Pick<PaceState, 'rate'>, limit: number | null): number | null =>
  s.rate === null ? limit : limit === null ? s.rate : Math.min(s.rate, limit);

/** A count per second: this second's and the one before. */
function countIn(sec: number, count: number, prev: number, second: number, n: number) {
  return {
    prev: sec === second ? prev : sec === second - 1 ? count : 0,
    count: sec === second ? count + n : n,
  };
}

const noEpisode = { episodeShare: 0, episodeFrom: -1, epAcc: 0, epThr: 0 };

/** Whether the window reopened with this state change: the schedule starts again from now, at the learned rate. */
export const reopened = (before: PaceState, after: PaceState) => before.backoffMs > 0 && after.backoffMs === 0;

/** The server accepted `n` messages at `now`. */
export function paceAccepted(s: PaceState, n: number, now: number, limit: number | null): PaceState {
  const second = Math.floor(now / 1000);
  const acc = countIn(s.accSec, s.accCount, s.accPrev, second, n);
  // Idle longer than the server's window: whatever it counted has ended; a new window starts.
  const fresh = now - s.lastAcceptedAt > Math.max(s.windowMs, IDLE_MS) && s.inRow === 0;
  const next: PaceState = {
    ...s,
    accSec: second,
    accCount: acc.count,
    accPrev: acc.prev,
    epAcc: s.epAcc + n,
    windowSince: fresh ? now : s.windowSince,
    windowAccepted: (fresh ? 0 : s.windowAccepted) + n,
    // After a pause longer than the window, what the server sustains may have changed: the pace may find out.
    ceiling: fresh ? 0 : s.ceiling,
    lastAcceptedAt: now,
    inRow: 0,
    quota: -1,
  };
  if (s.backoffMs > 0 && now < s.pausedUntil) {
    // Sent before the pause and reported only now (a batch commits its outcomes a group at a time):
    // they count in the window's quota; the pause stands.
    return { ...next, inRow: s.inRow, quota: s.quota + n };
  }
  if (s.backoffMs > 0) {
    // The window reopened: it took `quota` from windowSince on, and ended after the last refused probe, at the latest now.
    const ended = s.lastRefusedAt > s.windowSince && s.lastRefusedAt < now ? (s.lastRefusedAt + now) / 2 : now;
    const windowMs = Math.max(1000, ended - s.windowSince);
    // No margin: a window taken a little short makes the pace meet its end a little early, and wait it out.
    const learned = (Math.max(1, s.quota) / windowMs) * 1000;
    const ceiling = ended < now ? (Math.max(1, s.quota) / Math.max(1000, s.lastRefusedAt - s.windowSince)) * 1000 : 0;
    return {
      ...next,
      ...noEpisode,
      rate: Math.max(MIN_RATE, Math.min(limit ?? Number.POSITIVE_INFINITY, learned)),
      windowMs,
      ceiling,
      windowSince: now,
      windowAccepted: n,
      backoffMs: 0,
      pausedUntil: 0,
      increaseAfter: now + windowMs,
    };
  }
  if (s.rate === null || now < s.increaseAfter) return next;
  // A clean window: 2% more for a window of a second (at least half a message per second), 5% for a longer
  // one (there are fewer of them, and its rate was learned on the safe side), up to the profile's limit.
  const step = s.windowMs > 1000 ? s.rate * 0.05 : Math.max(s.rate * 0.02, 0.5);
  // Never above what the learned window sustains at most.
  const ceiling = s.ceiling > 0 ? Math.max(s.ceiling, s.rate) : 1e12;
  return { ...next, ...noEpisode, rate: Math.min(limit ?? 1e12, ceiling, s.rate + step), increaseAfter: now + Math.max(1000, s.windowMs) };
}

/** The server answered a throttle reply at `now`: the new state, and the new rate when this reply cut it. */
export function paceThrottled(s: PaceState, reply: string, now: number, limit: number | null): { state: PaceState; cut: number | null } {
  const second = Math.floor(now / 1000);
  const thr = countIn(s.thrSec, s.thrCount, s.thrPrev, second, 1);
  const inRow = s.inRow + 1;
  // Idle longer than the server's window before this: a new window starts here, with nothing accepted in it yet.
  const fresh = s.inRow === 0 && now - s.lastAcceptedAt > Math.max(s.windowMs, IDLE_MS);
  let state: PaceState = {
    ...s,
    windowSince: fresh ? now : s.windowSince,
    windowAccepted: fresh ? 0 : s.windowAccepted,
    thrSec: second,
    thrCount: thr.count,
    thrPrev: thr.prev,
    epThr: s.epThr + 1,
    inRow,
    lastRefusedAt: now,
    quota: s.quota >= 0 ? s.quota : fresh ? 0 : s.windowAccepted,
    // A window with a throttle reply is not a clean one: the pace does not grow until one passes without.
    increaseAfter: Math.max(s.increaseAfter, now + Math.max(1000, s.windowMs)),
  };
  if (inRow >= REPEATED || s.backoffMs > 0) {
    // A reply to a send from before the pause adds nothing; one to a probe after it lengthens the pause.
    if (s.backoffMs > 0 && now < s.pausedUntil) return { state, cut: null };
    const backoffMs = s.backoffMs > 0 ? Math.min(MAX_BACKOFF_MS, Math.max(1000, (now - s.pausedSince) * PROBE_FRACTION)) : 1000;
    // A window learned before: the first probe goes when it ends, not before.
    const windowEnd = s.backoffMs === 0 && s.windowMs > 1000 ? state.windowSince + s.windowMs : 0;
    const pausedUntil = Math.max(now + backoffMs, windowEnd);
    // One probe per pause: the schedule sends one message at its end, the next a whole pause later
    // (it is given up if the probe's refusal lengthens the pause meanwhile: server/smtp/pace.ts).
    const rate = Math.min(effectiveRate(s, limit) ?? Number.POSITIVE_INFINITY, 1000 / (pausedUntil - now));
    state = {
      ...state,
      backoffMs,
      pausedUntil,
      pausedSince: s.backoffMs > 0 ? s.pausedSince : now,
      rate,
      slowdownAt: now,
      slowdownReply: `${reply.slice(0, 400)} (the server's window is full: waiting ${Math.round((pausedUntil - now) / 1000)} s)`,
    };
    return { state, cut: rate };
  }
  if (now < s.decreaseAfter || now < s.sheddingUntil) return { state, cut: null };
  // The last full second when there is one, else this second so far.
  const lastSecond = (sec: number, count: number, prev: number) => (sec === second ? (prev > 0 ? prev : count) : sec === second - 1 ? count : 0);
  const accepted = lastSecond(s.accSec, s.accCount, s.accPrev);
  const refused = lastSecond(state.thrSec, state.thrCount, state.thrPrev);
  const share = refused / Math.max(1, accepted + refused);
  // Sending just began and a refusal came among its first few messages: what was accepted per second
  // is what was accepted in the part of the second that has passed (at least a tenth), not the few alone.
  const sendingSince = Math.max(second * 1000, s.warmUntil - 1000);
  const early = s.accSec === second && s.accPrev === 0 && accepted + refused < EVIDENCE;
  // No pace learned yet and too few answers to tell a rate limit from a server shedding load: retried, no
  // cut. At the engine's speed the next few answers come within milliseconds; cut on three, a shedding
  // server's pace fell to 10/s for seconds until enough refusals came at that pace to undo it.
  if (early && s.rate === null && s.episodeFrom === -1) return { state, cut: null };
  // Just after a window reopened the pace starts again at the learned rate: a refusal among its first few
  // answers says the window is not quite open yet, not what the server takes a second (cut to the two
  // accepted so far, the pace against Postfix's anvil fell from 36/s to 1.9/s and took minutes to grow
  // back). Refusals in a row back off again; with enough answers, the cut below applies.
  if (s.windowMs > 1000 && now - s.windowSince < s.windowMs && s.windowAccepted + inRow < EVIDENCE) return { state, cut: null };
  const acceptedPerSecond = early ? accepted / Math.min(1, Math.max(0.1, (now - sendingSince) / 1000)) : accepted;
  const current = effectiveRate(s, limit);
  const sinceCut = state.epAcc + state.epThr;
  const shareSinceCut = state.epThr / Math.max(1, sinceCut);
  if (s.episodeFrom !== -1 && sinceCut < EVIDENCE) return { state, cut: null };
  if (s.episodeFrom !== -1 && s.episodeShare === 0) {
    // The first cut came on too few replies to say what share prompted it: what followed says it.
    return { state: { ...state, episodeShare: shareSinceCut, epAcc: 0, epThr: 0 }, cut: null };
  }
  if (s.episodeFrom !== -1 && s.episodeShare >= 0.1 && shareSinceCut >= s.episodeShare * 0.8) {
    // The cut did not help, and messages are still accepted among the refusals: not a rate limit.
    // Back to the pace before the episode; retry, do not cut, for a minute.
    state = {
      ...state,
      ...noEpisode,
      rate: s.episodeFrom === -2 ? null : s.episodeFrom,
      sheddingUntil: now + 60_000,
      decreaseAfter: now + 1000,
      slowdownAt: now,
      slowdownReply: `${reply.slice(0, 400)} (refused whatever the pace: not slowing down)`,
    };
    return { state, cut: null };
  }
  const base = current ?? Number.POSITIVE_INFINITY;
  const learned = Math.min(base * 0.85, accepted > 0 ? acceptedPerSecond * MARGIN : Number.isFinite(base) ? base * 0.5 : 10);
  const rate = Math.max(MIN_RATE, learned);
  // The episode's share is taken from a second with enough messages to mean something.
  const measured = accepted + refused >= EVIDENCE;
  state = {
    ...state,
    rate,
    ceiling: 0,
    ...(s.episodeShare === 0 && measured ? { episodeShare: share } : {}),
    // Where the episode started from: the learned rate then, or -2 for none (the profile's own pace).
    ...(s.episodeFrom === -1 ? { episodeFrom: s.rate ?? -2 } : {}),
    epAcc: 0,
    epThr: 0,
    decreaseAfter: now + 1000,
    increaseAfter: now + 2000,
    slowdownAt: now,
    slowdownReply: reply.slice(0, 500),
  };
  return { state, cut: rate };
}
