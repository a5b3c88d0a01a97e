/**
 * The forecast of a run's finish (domain/run-forecast.ts): every limit of the sender, the Send window
 * and the Delays on the flow's path, and more than one Send per recipient. The daily cap alone and the
 * spread are in test/run-schedule.test.ts; test/campaign-capped.test.ts checks it against a capped run.
 */
import { describe, expect, it } from 'vitest';
import type { Plan } from '../domain/flow/plan';
import { forecastFinish, planTiming, profileLimits, slowestSender } from '../domain/run-forecast';

const at = (iso: string) => Date.parse(iso);
const DAY = 86_400_000;

describe('the forecast of a run’s finish', () => {
  it('keeps every limit of a list: 100 an hour makes 250 messages take till the third hour', () => {
    const finish = forecastFinish({ audience: 250, startMs: at('2026-12-07T10:30:00Z'), ratePerSecond: null, limits: [{ max: 100, per: 'hour' }] });
    expect(new Date(finish).toISOString()).toBe('2026-12-07T12:00:00.000Z');
    // The tighter of two limits decides: 10 a minute under 100 an hour.
    const both = forecastFinish({
      audience: 25,
      startMs: at('2026-12-07T10:00:00Z'),
      ratePerSecond: null,
      limits: [
        { max: 100, per: 'hour' },
        { max: 10, per: 'minute' },
      ],
    });
    expect(new Date(both).toISOString()).toBe('2026-12-07T10:02:00.000Z');
  });

  it('sends only while the Send window is open: a Saturday start waits for Monday, and what the window cannot hold goes the next day', () => {
    const window = { window: { days: ['mon', 'tue', 'wed', 'thu', 'fri'] as const, from: '09:00', to: '17:00' }, zone: 'UTC' };
    const path = { beforeFirstSendMs: 0, afterFirstSendMs: 0, sends: 1, window };
    // 2026-12-05 is a Saturday.
    expect(new Date(forecastFinish({ audience: 10, startMs: at('2026-12-05T10:00:00Z'), ratePerSecond: 1, path })).toISOString()).toBe(
      '2026-12-07T09:00:10.000Z',
    );
    // Eight hours at one a second hold 28,800; the 100 after them go on Tuesday morning.
    expect(new Date(forecastFinish({ audience: 28_900, startMs: at('2026-12-07T09:00:00Z'), ratePerSecond: 1, path })).toISOString()).toBe(
      '2026-12-08T09:01:40.000Z',
    );
  });

  it('adds the Delays before the first Send and after it, and counts every Send against the limits', () => {
    const start = at('2026-12-07T10:00:00Z');
    const path = { beforeFirstSendMs: DAY, afterFirstSendMs: 2 * DAY, sends: 2, window: null };
    // 100 recipients, 40 a day: the first send takes three days from the day after the start, the second two days after it.
    const finish = forecastFinish({ audience: 100, startMs: start, ratePerSecond: null, dailyCap: 40, path });
    expect(new Date(finish).toISOString()).toBe('2026-12-12T00:00:00.000Z');
    // No Delay between the two Sends: 200 messages at 40 a day are five days.
    const together = forecastFinish({
      audience: 100,
      startMs: start,
      ratePerSecond: null,
      dailyCap: 40,
      path: { ...path, beforeFirstSendMs: 0, afterFirstSendMs: 0 },
    });
    expect(new Date(together).toISOString()).toBe('2026-12-11T00:00:00.000Z');
  });

  it('reads a flow’s longest path: the Delays before and after the first Send, its Send window and how many Sends', () => {
    const send = (next: string) => ({ type: 'sendEmail', profileId: 'p', subject: 's', text: 't', next });
    const steps = {
      wait: { type: 'delay', minMs: 0, maxMs: DAY, next: 'window' },
      window: { type: 'sendWindow', days: ['mon'], from: '09:00', to: '10:00', timeZone: 'Europe/Berlin', randomize: false, next: 'first' },
      first: send('branch'),
      branch: { type: 'split', branches: [{ next: 'short' }, { next: 'long' }] },
      short: { type: 'exit' },
      long: { type: 'delay', minMs: DAY, maxMs: 3 * DAY, next: 'second' },
      second: send('end'),
      end: { type: 'exit' },
    } as unknown as Plan['steps'];
    expect(planTiming({ entry: 'wait', steps })).toEqual({
      beforeFirstSendMs: DAY,
      afterFirstSendMs: 3 * DAY,
      sends: 2,
      window: { window: steps.window, zone: 'Europe/Berlin' },
    });
    // A flow with no Send: no message, the Delays only.
    expect(planTiming({ entry: 'x', steps: { x: { type: 'exit' } } as unknown as Plan['steps'] }).sends).toBe(0);
  });

  it('takes the slowest pace and every limit of the run’s senders', () => {
    expect(
      slowestSender([
        { ratePerSecond: 10, limits: profileLimits({ dailyCap: 500 }) },
        { ratePerSecond: 2, limits: profileLimits({ dailyCap: null }) },
        { ratePerSecond: null, limits: [] },
      ]),
    ).toEqual({ ratePerSecond: 2, limits: [{ max: 500, per: 'day' }] });
  });
});
