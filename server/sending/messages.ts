/** Every message a user reads about a send: the delivery log, the run page, the test email's answer. */

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

/** A transient failure tried for the profile's whole retry time: the recipient fails with the last reply. */
export const gaveUp = (triedMs: number, reply: string) => `gave up after ${duration(triedMs)}: ${reply}`;
