/** Every message a user reads about a send: the delivery log, the run page, the test email's answer. */
import { type LimitFields, limitsOf } from '../../domain/send-limits';

/** A duration as a person says it: "3 days", "5 hours", "2 minutes", "40 s". */
export function duration(ms: number): string {
  const units: [number, string][] = [
    [24 * 3600_000, 'day'],
    [3600_000, 'hour'],
    [60_000, 'minute'],
  ];
  for (const [size, name] of units) {
    const n = Math.floor(ms / size);
    if (n >= 1) return `${n} ${name}${n === 1 ? '' : 's'}`;
  }
  return `${Math.max(0, Math.round(ms / 1000))} s`;
}

type Named = { name: string };

/** A transient failure tried for the profile's whole retry time: the recipient fails with the last reply. */
export const gaveUp = (triedMs: number, reply: string) => `gave up after ${duration(triedMs)}: ${reply}`;

export const noProfile = (profileId: string) => `SMTP profile "${profileId}" does not exist; choose another sender in the flow and publish again`;
export const noContact = (contactId: string) => `contact "${contactId}" does not exist (deleted after the run started?)`;
/** The stored password cannot be decrypted (a key missing after a rotation): retrying cannot help. */
export const undecryptable = (profile: Named, err: unknown) =>
  `SMTP profile "${profile.name}": ${err instanceof Error ? err.message : String(err)}; re-enter its password in SMTP settings`;

/** The profile is paused: why, and the fix (the advice Test connection gives). */
export const pausedReason = (reply: string, advice: string) => `${reply}. ${advice}`;
export const profilePaused = (profile: Named, reason: string | null) =>
  `SMTP profile "${profile.name}" is paused (${reason ?? 'its settings were refused'}); sending resumes once it is fixed in SMTP settings`;
export const pausingProfile = (profile: Named, reason: string) =>
  `SMTP profile "${profile.name}" paused: ${reason}; its sends wait until it is fixed in SMTP settings`;

/** Every member of a Send step's pool is paused: the campaign waits for one to be fixed. */
export const poolPaused = (reasons: string[]) => `no SMTP profile of the pool can send now: ${reasons.join('; ')}`;
export const poolMemberHeld = (profile: Named) =>
  `SMTP profile "${profile.name}" is at its daily cap or far behind its pace; the other profiles of the pool take its recipients`;
export const atPace = (profile: Named) => `SMTP profile "${profile.name}" is at its pace; waiting for a slot`;
/** Which daily limit a profile has, in words: its cap and how it counts, and its warm-up. */
function dailyLimit(profile: LimitFields): string {
  const limits = limitsOf(profile);
  const cap = limits.dailyCap
    ? `its daily cap of ${limits.dailyCap} (${limits.dailyCapWindow === 'rolling' ? 'over the last 24 hours' : `per day in ${limits.timeZone}`})`
    : '';
  const warmup = limits.warmup ? "today's warm-up volume" : '';
  return [cap, warmup].filter(Boolean).join(' or ') || 'its daily limit';
}
/** When the daily limit lets more go. */
const dailyReset = (profile: LimitFields) =>
  limitsOf(profile).dailyCapWindow === 'rolling' && !limitsOf(profile).warmup
    ? "as the last 24 hours' sends age out"
    : `at midnight in ${limitsOf(profile).timeZone}`;
export const atDailyCap = (profile: Named & LimitFields) =>
  `SMTP profile "${profile.name}" reached ${dailyLimit(profile)}; waiting until it lets more go (${dailyReset(profile)})`;
export const sendBusy = 'another attempt of this message is still running; waiting for it';
export const alreadyFailed = 'this message already failed permanently; see the delivery log';

/** An earlier attempt stopped after sending the data: the server may have it. */
export const EARLIER_STOPPED = 'an earlier attempt stopped after sending DATA';
export const resending = (why = EARLIER_STOPPED) => `outcome unknown: ${why}; resending with the same Message-ID`;
export const heldForReview = (why = EARLIER_STOPPED) => `held for review: ${why}, so the server may have it; resend it from the run page`;
export const lostAfterData = (reply: string) => `the connection was lost after DATA (${reply})`;

/** The test email's answers: a person pressed the button and reads them at once. */
export const test = {
  paused: (profile: Named, reason: string | null) =>
    `Sending with "${profile.name}" is paused: ${(reason ?? 'its settings were refused').replace(/\.$/, '')}.`,
  dailyCap: (profile: Named & LimitFields) => `Not sent: "${profile.name}" reached ${dailyLimit(profile)}; more can go ${dailyReset(profile)}.`,
  atPace: (profile: Named, retryInMs: number) =>
    `Not sent: "${profile.name}" is at its pace (campaigns are using it); try again in ${Math.ceil(retryInMs / 1000)} s.`,
  sent: (to: string, reply: string) => `Sent to ${to}: the server replied "${reply}".`,
  subject: (profile: Named) => `Dripline test email from "${profile.name}"`,
  text: (profile: Named & { host: string; port: number }) =>
    `This is a test email sent with the SMTP profile "${profile.name}" (${profile.host}:${profile.port}).\n`,
};
