/**
 * Enrolling a run's audience, claiming due recipients and their sends for send batches, and committing
 * a group of outcomes, on a real SQLite database and a real PostgreSQL one: batches claiming at once
 * never take the same recipient or send.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, sql } from '../server/db';
import { insertContacts } from '../server/db/contacts';
import { dueRecipientZones } from '../server/db/due-recipients';
import { claimSends, commitBatchOutcomes } from '../server/db/batch-outcomes';
import { finishSends, finishSendsStatement, sendsOf } from '../server/db/deliveries';
import { claimNextRecipients, enrollAllContactsPage, recipientCounts } from '../server/db/recipients';
import { ensureThrottleRow } from '../server/db/throttle';
import { insertRun } from '../server/db/runs';
import { databases, tempInstallOn } from './databases';
import { graphWithDelay, publishForTest } from './helpers';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const CONTACTS = 60;

describe.each(databases)('on %s', (dialect) => {
  let db: Db;
  /** The contacts the seed made and these. */
  let total: number;
  beforeAll(async () => {
    db = (await tempInstallOn(dialect)).db;
    const ids = Array.from({ length: CONTACTS }, (_, i) => `ct_${String(i).padStart(3, '0')}`);
    const zones: Record<number, string | number> = { 0: 'Europe/Paris', 1: 5 };
    await insertContacts(
      db,
      ids.map((id, i) => ({ id, email: `${id}@example.test`, attributes: i in zones ? { timezone: zones[i]! } : ({} as Record<string, string>) })),
    );
    total = (
      await db
        .selectFrom('contacts')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n;
    const plan = await publishForTest(db, 'claims', graphWithDelay({ mode: 'fixed', amount: 1, unit: 'hours' }));
    await insertRun(db, {
      id: 'run-claims',
      flowId: 'claims',
      version: plan.version,
      startedBy: null,
      idempotencyKey: null,
      audience: { kind: 'all' },
      workflowId: 'campaign:run-claims',
      plan,
    });
  });
  afterAll(async () => db?.destroy());

  const run = { runId: 'run-claims', entry: 'send', workflowId: 'campaign:run-claims', dueAt: NOW };

  it('enrols every subscribed contact once, page by page', async () => {
    const first = await enrollAllContactsPage(db, run, '', 25);
    expect(first).toEqual({ enrolled: 25, next: 'ct_024' });
    expect(await enrollAllContactsPage(db, run, first.next ?? '', 100)).toEqual({ enrolled: total - 25, next: null });
    // A page enrolled again (a retried activity) adds no one twice.
    expect(await enrollAllContactsPage(db, run, '', 25)).toMatchObject({ enrolled: 0 });
  });

  it("reads each due recipient's timezone attribute as stored", async () => {
    const zones = await dueRecipientZones(db, 'run-claims', 'send', NOW);
    const byId = Object.fromEntries(zones.map((z) => [z.contactId, z.timezone]));
    expect(byId).toMatchObject({ ct_000: 'Europe/Paris', ct_001: 5, ct_002: null });
  });

  it('gives batches claiming at once different recipients, each due one once, none not yet due', async () => {
    expect(await claimNextRecipients(db, 'run-claims', 'send', 'early', NOW - 1, 10)).toEqual([]);
    const batches = await Promise.all(Array.from({ length: 8 }, (_, i) => claimNextRecipients(db, 'run-claims', 'send', `batch-${i}`, NOW, 10)));
    const claimed = batches.flat().map((r) => r.contactId);
    expect(claimed).toHaveLength(total);
    expect(new Set(claimed).size).toBe(total);
    for (const batch of batches) expect(batch.length).toBeLessThanOrEqual(10);
    expect(batches.flat().find((r) => r.contactId === 'ct_000')).toMatchObject({ email: 'ct_000@example.test', status: 'subscribed' });
    expect(await recipientCounts(db, 'run-claims', NOW)).toMatchObject({ sending: total, due: 0, waiting: 0 });
  });

  it("claims a batch's sends once, and commits a group of outcomes: log, ledger, recipients and the pace's count together", async () => {
    const ids = ['ct_010', 'ct_011', 'ct_012', 'ct_013'];
    const sends = ids.map((contactId) => ({ contactId, messageId: `<${contactId}@test>` }));
    const claim = { nowMs: NOW, leaseMs: 60_000 };
    const [mine, theirs] = await Promise.all([
      claimSends(db, 'run-claims', 'send', sends, { ...claim, owner: 'batch#1' }),
      claimSends(db, 'run-claims', 'send', sends, { ...claim, owner: 'batch#2' }),
    ]);
    // Each send is claimed by one batch; the other finds it busy.
    for (const id of ids) expect([mine.get(id)?.kind, theirs.get(id)?.kind].sort()).toEqual(['busy', 'claimed']);

    await ensureThrottleRow(db, 'sandbox');
    const attempt = (contactId: string, outcome: 'sent' | 'failed') => ({
      runId: 'run-claims',
      nodeId: 'send',
      contactId,
      workflowId: 'campaign:run-claims',
      attempt: 1,
      outcome,
      smtpCode: outcome === 'sent' ? 250 : 550,
      smtpReply: outcome === 'sent' ? '250 OK' : '550 No such user',
      messageId: `<${contactId}@test>`,
    });
    await commitBatchOutcomes(
      db,
      'run-claims',
      'send',
      [
        ...['ct_010', 'ct_011', 'ct_012'].map((id) => ({
          attempt: attempt(id, 'sent'),
          ledger: 'SENT' as const,
          move: { to: 'next' as const, nodeId: 'wait', dueAt: NOW },
        })),
        { attempt: attempt('ct_013', 'failed'), ledger: 'FAILED' as const, move: { to: 'failed' as const } },
      ],
      { profileId: 'sandbox', nowMs: NOW, count: 3 },
    );
    const ledger = await sendsOf(db, 'run-claims', 'send', ids);
    expect(Object.fromEntries(ledger.map((r) => [r.contactId, [r.status, r.leaseUntil, r.leaseOwner]]))).toEqual({
      ct_010: ['SENT', 0, null],
      ct_011: ['SENT', 0, null],
      ct_012: ['SENT', 0, null],
      ct_013: ['FAILED', 0, null],
    });
    expect(await recipientCounts(db, 'run-claims', NOW)).toMatchObject({ sending: total - 4, due: 3, failed: 1, messagesSent: 3 });
    const pace = await db
      .selectFrom('smtpThrottle')
      .select(['accSec', 'accCount', 'epAcc'])
      .where('profileId', '=', 'sandbox')
      .executeTakeFirstOrThrow();
    expect(pace).toEqual({ accSec: Math.floor(NOW / 1000), accCount: 3, epAcc: 3 });
  });
});

describe.each(databases)('finishing sends on %s', (dialect) => {
  let db: Db;
  beforeAll(async () => {
    db = (await tempInstallOn(dialect)).db;
  });
  afterAll(async () => db?.destroy());

  it("reads only the finished sends' rows, even with statistics from before the run", async () => {
    // Statistics taken while the run had no sends (as enrolment leaves them): PostgreSQL then thinks the run has one.
    if (dialect === 'postgres') await sql`ANALYZE sends`.execute(db);
    const ids = Array.from({ length: 2000 }, (_, i) => `ct_${String(i).padStart(4, '0')}`);
    const claimed = await claimSends(
      db,
      'run-stale',
      'send',
      ids.map((contactId) => ({ contactId, messageId: `<${contactId}@test>` })),
      {
        owner: 'batch#1',
        nowMs: NOW,
        leaseMs: 60_000,
      },
    );
    expect([...claimed.values()].filter((c) => c.kind === 'claimed')).toHaveLength(2000);
    const some = { runId: 'run-stale', nodeId: 'send', contactIds: ids.slice(1000, 1100) };
    const statement = finishSendsStatement(db, some, 'SENT', new Date(NOW).toISOString());
    if (dialect === 'postgres') {
      // Its plan, run and rolled back: no row of the run's other 1,900 sends is read and thrown away.
      let plan = '';
      await db
        .transaction()
        .execute(async (trx) => {
          const { rows } = await sql<{ 'QUERY PLAN': unknown }>`EXPLAIN (ANALYZE, FORMAT JSON) ${statement}`.execute(trx);
          plan = JSON.stringify(rows[0]!['QUERY PLAN']);
          throw new Error('rolled back');
        })
        .catch(() => undefined);
      const removed = [...plan.matchAll(/"Rows Removed by Filter":\s*(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
      expect(plan).toContain('"Plan"');
      expect(removed).toBe(0);
    } else {
      const { rows } = await sql<{ detail: string }>`EXPLAIN QUERY PLAN ${statement}`.execute(db);
      expect(rows.map((r) => r.detail).join('\n')).toMatch(/^SEARCH sends USING .*\(run_id=\? AND node_id=\? AND contact_id=\?\)$/);
    }
    await finishSends(db, some, 'SENT', new Date(NOW).toISOString());
    const ledger = await sendsOf(db, 'run-stale', 'send', ids.slice(999, 1101));
    expect(ledger.filter((r) => r.status === 'SENT').map((r) => r.contactId)).toEqual(some.contactIds);
  });
});
