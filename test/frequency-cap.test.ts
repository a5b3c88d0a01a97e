/**
 * The frequency cap's query and its batch path on SQLite and PostgreSQL: marketing sends in the period
 * count across runs, one-off messages and the send's own earlier delivery do not, and capped recipients
 * are logged `frequency_capped` and skipped or put off until the oldest counted send leaves the window.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../domain/flow/plan';
import type { Db } from '../server/db';
import { insertContacts } from '../server/db/contacts';
import { FrequencyCap } from '../domain/frequency-cap';
import { capRecipients, cappedContacts, getFrequencyCap, setFrequencyCap } from '../server/db/frequency-cap';
import { insertRecipients } from '../server/db/recipients';
import { insertRun } from '../server/db/runs';
import { databases, tempInstallOn } from './databases';
import { graphWithDelay, publishForTest } from './helpers';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-12-07T12:00:00.000Z');

describe.each(databases)('the frequency cap on %s', (dialect) => {
  let db: Db;
  let plan: Plan;
  const sent = (runId: string, contactId: string, hoursAgo: number, outcome: 'sent' | 'failed' = 'sent') =>
    db
      .insertInto('deliveryAttempts')
      .values({
        runId,
        nodeId: 'send',
        contactId,
        workflowId: '',
        attempt: 1,
        outcome,
        smtpCode: 250,
        smtpReply: '250 OK',
        messageId: `<${runId}.${contactId}.${hoursAgo}@test>`,
        at: new Date(NOW - hoursAgo * HOUR).toISOString(),
      })
      .execute();

  beforeAll(async () => {
    db = (await tempInstallOn(dialect)).db;
    await insertContacts(
      db,
      ['a', 'b', 'c', 'd'].map((n) => ({ id: `ct_${n}`, email: `${n}@example.test`, name: n })),
    );
    // a: two marketing emails in the last day (two flows); b: one, plus a one-off and a failed send;
    // c: two, but one a day and a half ago; d: none.
    plan = await publishForTest(db, 'capped', graphWithDelay({ mode: 'fixed', amount: 1, unit: 'hours' }));
    await sent('run_x', 'ct_a', 20);
    await sent('run_y', 'ct_a', 2);
    await sent('run_x', 'ct_b', 5);
    await sent('oneoff_1', 'ct_b', 4);
    await sent('run_y', 'ct_b', 3, 'failed');
    await sent('run_x', 'ct_c', 36);
    await sent('run_y', 'ct_c', 1);
  });
  afterAll(async () => db?.destroy());

  it('is off until an admin sets it, and names the field of a bad setting', async () => {
    expect(await getFrequencyCap(db)).toBeUndefined();
    await setFrequencyCap(db, { maxEmails: 2, periodHours: 24 });
    expect(await getFrequencyCap(db)).toEqual({ maxEmails: 2, periodHours: 24 });
    expect(FrequencyCap.safeParse({ maxEmails: 0, periodHours: 24 }).error?.issues[0]?.message).toBe('maxEmails must be at least 1');
    expect(FrequencyCap.safeParse({ maxEmails: 2, periodHours: 1.5 }).error?.issues[0]?.message).toMatch(/^periodHours must be a whole number/);
  });

  it('counts marketing sends in the period across runs, not one-offs, failures or the send itself', async () => {
    const cap = { maxEmails: 2, periodHours: 24 };
    const all = ['ct_a', 'ct_b', 'ct_c', 'ct_d'];
    // Only a is at 2: capped until its oldest counted send (20 hours ago) leaves the day.
    expect(await cappedContacts(db, cap, all, NOW, { runId: 'run_z', nodeId: 'send' })).toEqual(new Map([['ct_a', NOW + 4 * HOUR]]));
    // The send being checked (run_y's) does not count against itself.
    expect(await cappedContacts(db, cap, all, NOW, { runId: 'run_y', nodeId: 'send' })).toEqual(new Map());
    // Over a week, c's older send counts too.
    const week = await cappedContacts(db, { maxEmails: 2, periodHours: 168 }, all, NOW, { runId: 'run_z', nodeId: 'send' });
    expect([...week.keys()].sort()).toEqual(['ct_a', 'ct_c']);
    expect(week.get('ct_c')).toBe(NOW - 36 * HOUR + 168 * HOUR);
  });

  it('skips or puts off the capped recipients of a batch, logged frequency_capped', async () => {
    await setFrequencyCap(db, { maxEmails: 2, periodHours: 24 });
    for (const [runId, whenCapped] of [
      ['run_skip', 'skip'],
      ['run_wait', 'wait'],
    ] as const) {
      await insertRun(db, {
        id: runId,
        flowId: 'capped',
        version: plan.version,
        startedBy: null,
        idempotencyKey: null,
        audience: { kind: 'all' },
        workflowId: `campaign:${runId}`,
        plan,
      });
      await insertRecipients(db, { runId, entry: 'send', workflowId: `campaign:${runId}`, dueAt: NOW }, ['ct_a', 'ct_d']);
      await db.updateTable('runRecipients').set({ status: 'sending', claim: 'b1' }).where('runId', '=', runId).execute();
      const toSend = await capRecipients(
        db,
        await getFrequencyCap(db),
        { runId, nodeId: 'send', workflowId: `campaign:${runId}`, whenCapped },
        [{ contactId: 'ct_a' }, { contactId: 'ct_d' }],
        NOW,
      );
      expect(toSend).toEqual([{ contactId: 'ct_d' }]);
      const log = await db.selectFrom('deliveryAttempts').select(['contactId', 'outcome', 'smtpReply']).where('runId', '=', runId).execute();
      expect(log).toEqual([
        {
          contactId: 'ct_a',
          outcome: 'frequency_capped',
          smtpReply:
            whenCapped === 'skip'
              ? 'frequency capped: 2 marketing emails per day reached; skipped'
              : 'frequency capped: 2 marketing emails per day reached; waits until 2026-12-07T16:00:00.000Z',
        },
      ]);
      const a = await db
        .selectFrom('runRecipients')
        .select(['status', 'nodeId', 'dueAt', 'claim'])
        .where('runId', '=', runId)
        .where('contactId', '=', 'ct_a')
        .executeTakeFirstOrThrow();
      expect({ ...a, dueAt: Number(a.dueAt) }).toEqual(
        whenCapped === 'skip'
          ? { status: 'skipped', nodeId: 'send', dueAt: NOW, claim: null }
          : { status: 'pending', nodeId: 'send', dueAt: NOW + 4 * HOUR, claim: null },
      );
    }
  });
});
