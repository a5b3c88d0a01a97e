/**
 * The Randomize delay. Inside workflow code `Math.random` is Temporal's seeded
 * generator, so passing it here gives the same delay on replay; tests pass their own rng.
 */
export function drawDelayMs(minMs: number, maxMs: number, rng: () => number): number {
  if (!(minMs <= maxMs)) throw new RangeError(`min ${minMs} ms is above max ${maxMs} ms`);
  if (minMs === maxMs) return minMs;
  // Whole milliseconds, both bounds reachable.
  return minMs + Math.floor(rng() * (maxMs - minMs + 1));
}
