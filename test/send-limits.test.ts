/**
 * The limit arithmetic of domain/send-limits.ts (days in a time zone, the warm-up ramp, the sliding windows,
 * the forecast under limits), the profile schema's errors for them, and the presets filling the form.
 * Pure: no database, no server.
 */
import { describe, expect, it } from 'vitest';
import { forecastFinish } from '../domain/run-forecast';
import {
  calendarAllowance,
  dayStart,
  finishUnderLimits,
  limitsOf,
  localDay,
  nextDayStart,
  rampLength,
  type SendLimits,
  slidingWindows,
  sustainedRate,
  type Warmup,
  warmupOn,
  windowFreeAt,
} from '../domain/send-limits';
import { smtpPresets } from '../domain/smtp-presets';
import { SmtpProfileInput } from '../domain/smtp-profile';
import { initialFormState, invalidFields, smtpFormReducer, toInput } from '../web/app/settings/smtp/smtp-form-state';

const HOUR = 3_600_000;
const NONE: SendLimits = limitsOf({ ratePerSecond: null, dailyCap: null });

describe('days in a time zone', () => {
  it('knows the calendar day and when the next begins, across a DST change', () => {
    // 23:30 UTC on 2026-12-07 is already the 8th in Berlin (UTC+1) and still the 7th in New York.
    const t = Date.parse('2026-12-07T23:30:00Z');
    expect(localDay('UTC', t)).toBe('2026-12-07');
    expect(localDay('Europe/Berlin', t)).toBe('2026-12-08');
    expect(localDay('America/New_York', t)).toBe('2026-12-07');
    expect(nextDayStart('Europe/Berlin', t)).toBe(Date.parse('2026-12-08T23:00:00Z'));
    expect(nextDayStart('America/New_York', t)).toBe(Date.parse('2026-12-08T05:00:00Z'));
    // Berlin moves to summer time on 2026-03-29: that day has 23 hours.
    expect(dayStart('Europe/Berlin', '2026-03-30') - dayStart('Europe/Berlin', '2026-03-29')).toBe(23 * HOUR);
    expect(dayStart('Europe/Berlin', '2026-03-30')).toBe(Date.parse('2026-03-29T22:00:00Z'));
  });
});

describe('the warm-up ramp', () => {
  // Monday 2026-12-07, Monday to Friday: 50, 100, 200, 400, 500.
  const ramp: Warmup = { start: '2026-12-07', first: 50, factor: 2, target: 500, days: '12345' };

  it('doubles each sending day up to the target, sends nothing on days not chosen, and ends after the target day', () => {
    expect(rampLength(ramp)).toBe(5);
    expect(warmupOn(ramp, '2026-12-06')).toEqual({ state: 'not started', allowance: 0 });
    expect(warmupOn(ramp, '2026-12-07')).toMatchObject({ allowance: 50, dayOfRamp: 1, rampDays: 5, sendingDay: true });
    expect(warmupOn(ramp, '2026-12-10')).toMatchObject({ allowance: 400, dayOfRamp: 4 });
    expect(warmupOn(ramp, '2026-12-11')).toMatchObject({ allowance: 500, dayOfRamp: 5 });
    // Weekend: nothing, and the ramp does not move on.
    expect(warmupOn(ramp, '2026-12-12')).toMatchObject({ state: 'done' });
    const longer = { ...ramp, target: 2000 };
    expect(warmupOn(longer, '2026-12-12')).toMatchObject({ allowance: 0, sendingDay: false, dayOfRamp: 5 });
    expect(warmupOn(longer, '2026-12-14')).toMatchObject({ allowance: 1600, dayOfRamp: 6 });
    // A year on: done, by whole weeks.
    expect(warmupOn(longer, '2027-12-07')).toEqual({ state: 'done', allowance: null });
  });

  it('gives the lower of the calendar cap and the warm-up, and a rolling cap is a window instead', () => {
    const limits = { ...NONE, dailyCap: 300, warmup: ramp };
    expect(calendarAllowance(limits, '2026-12-07')).toBe(50);
    expect(calendarAllowance(limits, '2026-12-10')).toBe(300);
    expect(calendarAllowance(limits, '2026-12-12')).toBe(300);
    const rolling = { ...limits, dailyCapWindow: 'rolling' as const };
    expect(calendarAllowance(rolling, '2026-12-12')).toBeNull();
    expect(slidingWindows(rolling)).toEqual([{ label: '24 hours', windowMs: 86_400_000, max: 300 }]);
  });
});

describe('sliding windows', () => {
  it('has room while fewer than max count, else once the oldest that must leave has left', () => {
    const perMinute = { windowMs: 60_000, max: 3 };
    expect(windowFreeAt(perMinute, 2, null, 1000)).toBe(1000);
    // 4 counted, 3 allowed: the 2nd oldest (at 500) must leave first.
    expect(windowFreeAt(perMinute, 4, 500, 1000)).toBe(60_501);
    expect(slidingWindows({ ...NONE, perMinute: 30, perHour: 500 }).map((w) => [w.windowMs, w.max])).toEqual([
      [60_000, 30],
      [3_600_000, 500],
    ]);
    expect(sustainedRate({ ...NONE, ratePerSecond: 1, perMinute: 30 })).toBe(0.5);
    expect(sustainedRate({ ...NONE, perHour: 360 })).toBe(0.1);
  });
});

describe('the forecast under limits', () => {
  const start = Date.parse('2026-12-07T09:00:00Z');
  it('counts days in the profile’s zone and the warm-up’s allowance', () => {
    // 30 a minute: 1,000 take 33 minutes 20 s.
    expect(finishUnderLimits(1000, start, { ...NONE, perMinute: 30 })).toBe(start + 2_000_000);
    // A ramp of 50, 100, 200 on weekdays: 400 recipients from Friday go 50 Friday, 100 Monday, 200 Tuesday, 50 Wednesday.
    const friday = Date.parse('2026-12-11T09:00:00Z');
    const warm = { ...NONE, timeZone: 'Europe/Berlin', warmup: { start: '2026-12-11', first: 50, factor: 2, target: 400, days: '12345' } };
    const finish = finishUnderLimits(400, friday, warm);
    expect(localDay('Europe/Berlin', finish)).toBe('2026-12-16');
    // The run's forecast with the sender's own limits (a daily cap per UTC day, as a cap without a zone counts) says the same.
    expect(forecastFinish({ audience: 200_000, startMs: start, ratePerSecond: 100, dailyCap: 50_000 })).toBe(
      forecastFinish({
        audience: 200_000,
        startMs: start,
        ratePerSecond: 100,
        dailyCap: 50_000,
        own: { limits: { ...NONE, ratePerSecond: 100, dailyCap: 50_000 } },
      }),
    );
  });
});

describe('the profile form', () => {
  const form = () => initialFormState({ profile: undefined, presets, userEmail: 'me@example.test', justSaved: false });
  const presets = smtpPresets({ SANDBOX_SMTP_HOST: 'sandbox', SANDBOX_SMTP_PORT: 2626 });
  const fill = (id: string) => {
    const preset = presets.find((p) => p.id === id);
    return smtpFormReducer(form(), { type: 'preset', presetId: id, preset }).values;
  };

  it('fills each provider’s documented limits from its preset', () => {
    expect(fill('office365')).toMatchObject({ perMinute: '30', ratePerSecond: '', dailyCap: '10000', dailyCapWindow: 'rolling' });
    expect(fill('gmail')).toMatchObject({ dailyCap: '500', dailyCapWindow: 'rolling' });
    expect(fill('google-workspace')).toMatchObject({ dailyCap: '2000', dailyCapWindow: 'rolling' });
    expect(fill('ses-sandbox-eu-west-1')).toMatchObject({ ratePerSecond: '1', dailyCap: '200', dailyCapWindow: 'rolling' });
    expect(fill('ses-eu-west-1')).toMatchObject({ ratePerSecond: '14', dailyCap: '50000', dailyCapWindow: 'rolling' });
    expect(fill('sendgrid')).toMatchObject({ ratePerSecond: '', perMinute: '', perHour: '', dailyCap: '' });
    // And what it filled passes the API's schema.
    const values = { ...fill('office365'), name: 'M365', fromEmail: 'news@example.com' };
    expect(invalidFields(values)).toBeUndefined();
    expect(SmtpProfileInput.parse(toInput(values))).toMatchObject({ perMinute: 30, dailyCap: 10_000, dailyCapWindow: 'rolling', timeZone: 'UTC' });
  });

  it('names the field and the fix for a bad limit, zone or ramp', () => {
    const base = { ...fill('office365'), name: 'M365', fromEmail: 'news@example.com' };
    expect(invalidFields({ ...base, perMinute: '-3' })?.perMinute).toMatch(/Messages per minute must be above 0/);
    expect(invalidFields({ ...base, perHour: '2.5' })?.perHour).toMatch(/Messages per hour must be a whole number/);
    expect(invalidFields({ ...base, timeZone: 'Mars/Olympus' })?.timeZone).toMatch(/IANA time zone such as Europe\/Berlin/);
    const warm = { ...base, warmupStart: '2026-12-07' };
    expect(invalidFields({ ...warm, warmupDays: '' })?.warmupDays).toMatch(/at least one weekday/);
    expect(invalidFields({ ...warm, warmupFactor: '1' })?.warmupFactor).toMatch(/at least 1.1/);
    expect(invalidFields({ ...warm, warmupFirst: '500', warmupTarget: '100' })?.warmupTarget).toMatch(/at least the first day/);
    expect(invalidFields({ ...warm, warmupStart: 'next monday' })?.warmupStart).toMatch(/a date like 2026-12-07/);
    expect(invalidFields(warm)).toBeUndefined();
  });
});
