/**
 * Property tests of the Randomize draw (fast-check): whatever the bounds, the run's seed or the
 * contact, every wait lies inside the node's [min, max], in whole milliseconds, and both ends can come.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { drawDelayMs, keyedRandom } from '../domain/flow/draw';
import { DURATION_UNITS, delay, UNIT_MS } from '../domain/flow/nodes/delay';

const bounds = fc.tuple(fc.integer({ min: 0, max: 3650 }), fc.integer({ min: 0, max: 3650 })).map(([a, b]) => (a <= b ? [a, b] : [b, a]));

describe('the Randomize draw', () => {
  it('keyedRandom lies in [0, 1) for every seed and key', () => {
    fc.assert(
      fc.property(fc.integer(), fc.string(), (seed, key) => {
        const r = keyedRandom(seed, key);
        return r >= 0 && r < 1;
      }),
      { numRuns: 5000 },
    );
  });

  it('every draw of a Randomize node lies inside its [min, max], in whole milliseconds', () => {
    fc.assert(
      fc.property(bounds, fc.constantFrom(...DURATION_UNITS), fc.integer(), fc.string(), ([min = 0, max = 0], unit, seed, contact) => {
        const step = delay.step({ mode: 'random', min, max, unit }, 'next', {});
        if (!step) throw new Error('a Delay always has a step');
        const ms = drawDelayMs(step.minMs, step.maxMs, () => keyedRandom(seed, `wait\n${contact}`));
        expect(Number.isInteger(ms)).toBe(true);
        expect(ms).toBeGreaterThanOrEqual(min * UNIT_MS[unit]);
        expect(ms).toBeLessThanOrEqual(max * UNIT_MS[unit]);
      }),
      { numRuns: 2000 },
    );
  });

  it('reaches both ends: the smallest random number gives min, the largest gives max', () => {
    fc.assert(
      fc.property(bounds, ([min = 0, max = 0]) => {
        expect(drawDelayMs(min, max, () => 0)).toBe(min);
        expect(drawDelayMs(min, max, () => 1 - 2 ** -53)).toBe(max);
      }),
    );
  });
});
