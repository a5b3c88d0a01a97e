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

/**
 * A random number in [0, 1) from a seed and a key (e.g. a contact id), always the same for the same
 * pair. A campaign workflow draws one seed from Temporal's seeded Math.random; the activity that
 * schedules a Delay for thousands of contacts derives each contact's draw from it, so a retried
 * activity or a replay gives every contact the same wait. (FNV-1a of the key, then mulberry32.)
 */
export function keyedRandom(seed: number, key: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  let t = (h + 0x6d2b79f5) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
