/**
 * The report of a run over time and per step: counts by minute from the delivery log and the recipients'
 * moves (settled minutes kept, later ones counted afresh), throttle replies told apart, and each step's
 * figures with each branch's recipients, on a real SQLite database and a real PostgreSQL one.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../domain/flow/plan';
import { edgeKey, journeyStepReport, type MinuteCount, minuteKey, overTime, stepReport } from '../domain/run-report';
import type { Db } from '../server/db';
import { insertContacts } from '../server/db/contacts';
import { journeyDays, journeyStepCounts, journeyTotals } from '../server/db/journey-report';
import { runMinuteCounts, runPositions } from '../server/db/run-report';
import { insertRun } from '../server/db/runs';
import type { AttemptOutcome, RecipientStatus } from '../server/db/tables';
import { isThrottleReply, runFigures } from '../server/runs/over-time';
import { databases, tempInstallOn } from './databases';
import { publishForTest } from './helpers';
import { HALVES, splitFlow } from './split-flows';

const RUN = 'run-report';
const NOW = Date.parse('2026-12-07T10:30:30Z');
const MIN = 60_000;
const ago = (minutes: number) => NOW - minutes * MIN;

/** Each contact: the branch the split chose, where it is now, and its attempts (minutes ago, outcome, code, reply). */
const people: { id: string; branch: 'a' | 'b'; status: RecipientStatus; dueAt?: number; attempts: [number, AttemptOutcome, number, string][] }[] = [
  { id: 'c1', branch: 'a', status: 'completed', attempts: [[20, 'sent', 250, '250 ok']] },
  { id: 'c2', branch: 'a', status: 'completed', attempts: [[19, 'sent', 250, '250 ok']] },
  {
    id: 'c3',
    branch: 'a',
    status: 'failed',
    attempts: [
      [20, 'retrying', 421, '421 4.7.0 rate limit exceeded, slow down'],
      [19, 'retrying', 451, '451 4.3.0 temporary local problem'],
      [19, 'failed', 550, '550 5.1.1 no such user'],
    ],
  },
  { id: 'c4', branch: 'b', status: 'completed', attempts: [[1, 'sent', 250, '250 ok']] },
  { id: 'c5', branch: 'b', status: 'pending', dueAt: NOW + 3_600_000, attempts: [] },
  { id: 'c6', branch: 'b', status: 'held', attempts: [[18, 'uncertain', 0, 'connection lost after data']] },
];

async function attempt(db: Db, contactId: string, nodeId: string, [minutes, outcome, code, reply]: [number, AttemptOutcome, number, string]) {
  await db
    .insertInto('deliveryAttempts')
    .values({
      runId: RUN,
      nodeId,
      contactId,
      workflowId: `campaign:${RUN}`,
      attempt: 1,
      outcome,
      smtpCode: code || null,
      smtpReply: reply,
      messageId: `<${contactId}@t>`,
      at: new Date(ago(minutes)).toISOString(),
    })
    .execute();
}

const total = (counts: MinuteCount[], what: string) => counts.filter((c) => c.what === what).reduce((n, c) => n + c.n, 0);

describe('the throttle replies', () => {
  it('are those the sending engine slows down for', () => {
    expect(isThrottleReply(421, '421 4.7.0 rate limit exceeded')).toBe(true);
    expect(isThrottleReply(450, '450 4.2.1 too many messages, slow down')).toBe(true);
    expect(isThrottleReply(451, '451 4.3.0 temporary local problem')).toBe(false);
  });
});

describe.each(databases)('on %s', (dialect) => {
  let db: Db;
  let plan: Plan;
  beforeAll(async () => {
    db = (await tempInstallOn(dialect)).db;
    await insertContacts(
      db,
      people.map((p) => ({ id: p.id, email: `${p.id}@report.test` })),
    );
    plan = await publishForTest(db, 'report', splitFlow('sandbox', HALVES));
    const workflowId = `campaign:${RUN}`;
    await insertRun(db, {
      id: RUN,
      flowId: 'report',
      version: plan.version,
      startedBy: null,
      idempotencyKey: null,
      audience: { kind: 'all' },
      workflowId,
      plan,
    });
    for (const p of people) {
      const step = `send-${p.branch}`;
      await db
        .insertInto('runRecipients')
        .values({
          runId: RUN,
          contactId: p.id,
          nodeId: p.status === 'completed' ? null : step,
          status: p.status,
          dueAt: p.dueAt ?? 0,
          workflowId,
          updatedAt: new Date(NOW).toISOString(),
        })
        .execute();
      await db
        .insertInto('recipientEvents')
        .values({ runId: RUN, contactId: p.id, nodeId: 'ab', kind: 'branch', at: ago(21), dueAt: ago(21), nextNodeId: step, reason: 'drawn' })
        .execute();
      for (const a of p.attempts) await attempt(db, p.id, step, a);
    }
  });

  it('counts each minute, keeps the settled ones and counts the rest afresh', async () => {
    const first = await runMinuteCounts(db, RUN, NOW, isThrottleReply);
    expect(total(first, 'sent')).toBe(3);
    expect(total(first, 'failed')).toBe(1);
    expect(total(first, 'throttled')).toBe(1);
    expect(total(first, 'moved:send-a')).toBe(3);
    expect(first.find((c) => c.what === 'throttled')).toMatchObject({ minute: minuteKey(ago(20)), nodeId: 'send-a', n: 1 });
    // Kept: every minute older than five minutes, not the last minute's send.
    const kept = await db.selectFrom('runReportMinutes').selectAll().where('runId', '=', RUN).execute();
    expect(kept.map((r) => r.minute).sort()).not.toContain(minuteKey(ago(1)));
    expect(kept.some((r) => r.minute === minuteKey(ago(19)) && r.what === 'failed')).toBe(true);

    // A later send is counted; nothing kept is counted twice.
    await attempt(db, 'c5', 'send-b', [0, 'sent', 250, '250 ok']);
    const second = await runMinuteCounts(db, RUN, NOW, isThrottleReply);
    expect(total(second, 'sent')).toBe(4);
    expect(total(second, 'failed')).toBe(1);
    expect(total(second, 'moved:send-b')).toBe(3);
    await db.deleteFrom('deliveryAttempts').where('contactId', '=', 'c5').execute();
  });

  it('draws sends per minute with the totals so far', async () => {
    const { points } = overTime(await runMinuteCounts(db, RUN, NOW, isThrottleReply));
    expect(points[0]).toMatchObject({ minute: minuteKey(ago(20)), sent: 1, throttled: 1, delivered: 1, failedSoFar: 0 });
    expect(points[1]).toMatchObject({ minute: minuteKey(ago(19)), sent: 1, failed: 1, delivered: 2, failedSoFar: 1 });
    expect(points.at(-1)).toMatchObject({ minute: minuteKey(ago(1)), sent: 1, delivered: 3, failedSoFar: 1 });
    expect(points).toHaveLength(20);
  });

  it('gives each step its figures and each branch its recipients', async () => {
    const positions = await runPositions(db, RUN, NOW);
    expect(positions.find((p) => p.nodeId === 'send-b' && p.state === 'waiting')?.n).toBe(1);
    const { steps, edges } = stepReport(plan, positions, await runMinuteCounts(db, RUN, NOW, isThrottleReply));
    expect(edges[edgeKey('', 'ab')]).toBe(6);
    expect(steps.ab).toMatchObject({ entered: 6, movedOn: 6 });
    expect(edges[edgeKey('ab', 'send-a')]).toBe(3);
    expect(edges[edgeKey('ab', 'send-b')]).toBe(3);
    expect(steps['send-a']).toMatchObject({ entered: 3, movedOn: 2, failed: 1, waiting: 0 });
    expect(steps['send-b']).toMatchObject({ entered: 3, movedOn: 1, waiting: 1, held: 1, uncertain: 1 });
    expect(steps['exit-a']).toMatchObject({ entered: 2 });
    expect(edges[edgeKey('send-b', 'exit-b')]).toBe(1);
  });

  it("reports an event flow's journeys per version and day, and per Send step", async () => {
    const entries = [
      { id: 'evt_1', contactId: 'c1', enteredAt: '2026-12-05T09:00:00.000Z', outcome: 'sent' as const },
      { id: 'evt_2', contactId: 'c2', enteredAt: '2026-12-05T23:59:00.000Z', outcome: 'failed' as const },
      { id: 'evt_3', contactId: 'c3', enteredAt: '2026-12-06T08:00:00.000Z', outcome: 'sent' as const },
    ];
    for (const e of entries) {
      await db
        .insertInto('eventEntries')
        .values({
          id: e.id,
          flowId: 'report',
          version: plan.version,
          contactId: e.contactId,
          event: 'signup',
          idempotencyKey: e.id,
          workflowId: `event:${e.id}`,
          apiKeyId: '',
          enteredAt: e.enteredAt,
        })
        .execute();
      await db
        .insertInto('deliveryAttempts')
        .values({
          runId: e.id,
          nodeId: 'send-a',
          contactId: e.contactId,
          workflowId: `event:${e.id}`,
          attempt: 1,
          outcome: e.outcome,
          smtpCode: e.outcome === 'sent' ? 250 : 550,
          smtpReply: '',
          messageId: `<${e.id}@t>`,
          at: e.enteredAt,
        })
        .execute();
    }
    await db
      .insertInto('journeyConversions')
      .values({ runId: 'evt_3', flowId: 'report', version: plan.version, nodeId: 'send-a', contactId: 'c3', convertedAt: '2026-12-06T09:00:00.000Z' })
      .execute();
    expect(await journeyDays(db, 'report')).toEqual([
      { version: plan.version, day: '2026-12-06', started: 1, sent: 1, failed: 0, converted: 1 },
      { version: plan.version, day: '2026-12-05', started: 2, sent: 1, failed: 1, converted: 0 },
    ]);
    expect((await journeyTotals(db, ['report', 'other'])).get('report')).toEqual({ journeys: 3, lastAt: '2026-12-06T08:00:00.000Z' });
    const counts = await journeyStepCounts(db, 'report', plan.version);
    expect(counts).toContainEqual({ nodeId: 'send-a', what: 'converted', n: 1 });
    const { steps, edges } = journeyStepReport(plan, counts, 3);
    expect(steps['send-a']).toMatchObject({ entered: 3, movedOn: 2, failed: 1 });
    expect(steps.ab, 'only Send steps are counted for journeys').toBeUndefined();
    expect(edges[edgeKey('', 'ab')]).toBe(3);
    expect(edges[edgeKey('send-a', 'exit-a')]).toBe(2);
  });

  it('is part of what the run page reads', async () => {
    const figures = await runFigures(db, RUN, plan, NOW, await runPositions(db, RUN, NOW));
    expect(figures.overTime.points.at(-1)?.delivered).toBe(3);
    expect(figures.steps?.steps['send-a']?.failed).toBe(1);
  });
});
