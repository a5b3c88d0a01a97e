/**
 * Scheduled and spread starts without Temporal: a scheduled run's record on SQLite and PostgreSQL
 * (written as scheduled with its time, moved while scheduled, not once started), the start request's
 * checks, which Send steps a spread caps, and how many recipients its cap lets through tick by tick.
 * test/campaign-schedule.test.ts runs the same in a campaign, in Temporal's skipped time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../domain/flow/compile';
import type { Plan } from '../domain/flow/plan';
import { forecastFinish } from '../domain/run-forecast';
import type { Db } from '../server/db';
import { getRun, insertRun, setRunStartAt, setRunStatus } from '../server/db/runs';
import { requestedSchedule } from '../server/runs/start';
import { batchesToSend, firstSends, startSpread } from '../workflows/campaign-start';
import { conditionFlow } from './condition-flows';
import { databases, tempInstallOn } from './databases';
import { publishForTest, sendGraph } from './helpers';
import { HALVES, splitFlow } from './split-flows';

const HOUR = 3_600_000;

function planOf(graph: unknown): Plan {
  const compiled = compile(graph, { flowId: 'f', version: 1 });
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  return compiled.plan;
}

describe.each(databases)('a scheduled run’s record on %s', (dialect) => {
  let db: Db;
  let plan: Plan;
  beforeAll(async () => {
    db = (await tempInstallOn(dialect)).db;
    plan = await publishForTest(db, 'later', sendGraph('sandbox'));
  });
  afterAll(async () => {
    await db?.destroy();
  });

  const write = (id: string, schedule: { startAt?: Date; spreadHours?: number }) =>
    insertRun(db, {
      id,
      flowId: 'later',
      version: 1,
      startedBy: null,
      idempotencyKey: null,
      audience: { kind: 'all' },
      workflowId: `campaign:${id}`,
      plan,
      ...schedule,
    });

  it('is written scheduled with its time and spread, moves while scheduled, and not once it has started', async () => {
    const startAt = new Date(Date.now() + 24 * HOUR);
    await write('run-later', { startAt, spreadHours: 6 });
    expect(await getRun(db, 'run-later')).toMatchObject({ status: 'scheduled', startAt: startAt.toISOString(), spreadHours: 6 });

    const moved = new Date(startAt.getTime() + 24 * HOUR);
    expect(await setRunStartAt(db, 'run-later', moved)).toBe(true);
    expect((await getRun(db, 'run-later'))?.startAt).toBe(moved.toISOString());

    await setRunStatus(db, 'run-later', 'running');
    expect(await setRunStartAt(db, 'run-later', startAt)).toBe(false);
    expect((await getRun(db, 'run-later'))?.startAt).toBe(moved.toISOString());
  });

  it('a run started now is running, with no start time nor spread', async () => {
    await write('run-now', {});
    expect(await getRun(db, 'run-now')).toMatchObject({ status: 'running', startAt: null, spreadHours: null });
  });
});

describe('the start request’s schedule', () => {
  const now = Date.parse('2026-12-07T10:00:00Z');

  it('takes a future time with its zone and a whole number of hours', () => {
    expect(requestedSchedule({ startAt: '2026-12-08T09:00:00+01:00', spreadHours: 6 }, now)).toEqual({
      startAt: new Date('2026-12-08T08:00:00Z'),
      spreadHours: 6,
    });
    expect(requestedSchedule({}, now)).toEqual({});
  });

  it('refuses a time that has passed, naming startAt and saying how to start now', () => {
    expect(() => requestedSchedule({ startAt: '2026-12-07T09:59:00Z' }, now)).toThrow(
      'startAt must be in the future: 2026-12-07T09:59:00.000Z has passed (leave it out to start now)',
    );
  });

  it('refuses a spread that is not 1 to 168 whole hours, naming spreadHours', () => {
    for (const [spreadHours, message] of [
      [0, 'spreadHours must be at least 1'],
      [2.5, 'spreadHours must be a whole number of hours'],
      [200, 'spreadHours must be at most 168 (a week)'],
    ] as const) {
      expect(() => requestedSchedule({ spreadHours }, now)).toThrow(
        expect.objectContaining({ status: 422, message, details: { field: 'spreadHours' } }),
      );
    }
  });
});

describe('a spread start', () => {
  it('caps the first Send on each path: after the trigger, on both arms of a split, not a Send after a Send', () => {
    expect(firstSends(planOf(sendGraph('sandbox')))).toEqual(['s']);
    expect(firstSends(planOf(splitFlow('sandbox', HALVES))).sort()).toEqual(['send-a', 'send-b']);
    const afterFirst = conditionFlow({
      profileId: 'sandbox',
      first: 'Welcome',
      branches: [{ id: 'bounced', label: 'Bounced', test: { kind: 'sendOutcome', sendNodeId: 'first', outcome: 'failed' }, subject: 'Again' }],
    });
    expect(firstSends(planOf(afterFirst))).toEqual(['first']);
  });

  it('lets 556 a minute through for 200,000 over 6 hours, shared by the capped steps, and everyone once the window has passed', () => {
    const plan = planOf(splitFlow('sandbox', HALVES));
    const t0 = Date.parse('2026-12-07T10:00:00Z');
    const spread = startSpread(plan, 200_000, 6, t0);
    expect(spread).toMatchObject({ tickMs: 60_000, perTick: 556, endsAt: t0 + 6 * HOUR });
    const options = { batchSize: 2500, parallel: 2, spread };
    const due = [
      { nodeId: 'send-a', count: 100_000 },
      { nodeId: 'send-b', count: 100_000 },
    ];

    const first = batchesToSend(plan, due, { ...options, now: t0 });
    expect(first.reduce((n, b) => n + b.limit, 0)).toBe(556);
    expect(batchesToSend(plan, due, { ...options, now: t0 + 59_000 })).toEqual([]);
    // Two minutes later: the two ticks since, no more.
    expect(batchesToSend(plan, due, { ...options, now: t0 + 2 * 60_000 }).reduce((n, b) => n + b.limit, 0)).toBe(2 * 556);
    // Past the window: no cap, full batches as without a spread.
    expect(batchesToSend(plan, due, { ...options, now: t0 + 6 * HOUR })).toHaveLength(4);
  });

  it('leaves a Send that is not first alone, and caps no more than a tick of a small audience', () => {
    const plan = planOf(sendGraph('sandbox'));
    const spread = startSpread(plan, 30, 1, 0);
    expect(spread).toMatchObject({ tickMs: 120_000, perTick: 1 });
    expect(batchesToSend(plan, [{ nodeId: 's', count: 30 }], { batchSize: 2500, parallel: 2, spread, now: 0 })).toEqual([
      expect.objectContaining({ nodeId: 's', limit: 1 }),
    ]);
    const notCapped = { ...spread, nodeIds: ['elsewhere'], given: 0 };
    expect(batchesToSend(plan, [{ nodeId: 's', count: 30 }], { batchSize: 2500, parallel: 2, spread: notCapped, now: 0 })).toEqual([
      expect.objectContaining({ nodeId: 's', limit: 2500 }),
    ]);
  });
});

describe('the forecast of a run’s finish', () => {
  const start = Date.parse('2026-12-07T10:00:00Z');

  it('turns a 200,000 audience into four days with a daily cap of 50,000 (per UTC day)', () => {
    const finish = forecastFinish({ audience: 200_000, startMs: start, ratePerSecond: 100, dailyCap: 50_000 });
    // 50,000 on each of the 7th, 8th and 9th, then the last 50,000 from midnight on the 10th at 100 a second.
    expect(new Date(finish).toISOString()).toBe('2026-12-10T00:08:20.000Z');
    expect(forecastFinish({ audience: 200_000, startMs: start, ratePerSecond: 100, dailyCap: null })).toBe(start + 2_000_000);
  });

  it('goes on the same day while the cap is not reached, and is no sooner than a spread’s last tick', () => {
    expect(forecastFinish({ audience: 40_000, startMs: start, ratePerSecond: 10, dailyCap: 50_000 })).toBe(start + 4_000_000);
    expect(forecastFinish({ audience: 30, startMs: start, ratePerSecond: null, dailyCap: null, spreadHours: 1 })).toBe(start + 58 * 60_000);
    // A pace slower than the spread: the pace decides.
    expect(forecastFinish({ audience: 3600, startMs: start, ratePerSecond: 0.5, dailyCap: null, spreadHours: 1 })).toBe(start + 7_200_000);
  });
});
