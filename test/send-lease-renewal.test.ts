/**
 * Lease writes that run beside each other on PostgreSQL (server/db/deliveries.ts renewLeases,
 * server/smtp/send-leases.ts): a batch's checks before DATA asked while its last extension is still
 * running are answered by the next one, and the periodic renewal extends only the attempt's own sends,
 * skipping (not waiting for) one another transaction is writing: waiting while holding other rows is
 * how batches deadlocked each other. On a real SQLite database and a real PostgreSQL one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../server/db';
import { claimSend, explainLeaseRenewal, getSend, renewLeases } from '../server/db/deliveries';
import { SendLeases } from '../server/smtp/send-leases';
import { databases, tempInstallOn } from './databases';

const claim = (db: Db, runId: string, contactId: string, owner: string) =>
  claimSend(db, { runId, nodeId: 'send', contactId }, { messageId: `<${contactId}@test>`, owner, nowMs: Date.now(), leaseMs: 30_000 });
const leaseOf = async (db: Db, runId: string, contactId: string) => (await getSend(db, { runId, nodeId: 'send', contactId }))?.leaseUntil;

describe.each(databases)('on %s', (dialect) => {
  let db: Db;
  beforeAll(async () => {
    ({ db } = await tempInstallOn(dialect));
  });
  afterAll(async () => db?.destroy());

  it('answers every check asked while an extension runs, in the next one', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    for (const id of ids) expect((await claim(db, 'run-queue', id, 'batch#1')).kind).toBe('claimed');
    await claim(db, 'run-queue', 'theirs', 'retry#1');
    const leases = new SendLeases(db, 'run-queue', 'send', 'batch#1', (n) => ids.slice(-n));
    try {
      // Asked over several turns of the event loop, so later ones arrive while earlier ones are being answered.
      const answers: Promise<boolean>[] = [];
      for (const id of [...ids.slice(0, 10), 'theirs', ...ids.slice(10)]) {
        answers.push(leases.stillHeld(id));
        await new Promise((r) => setImmediate(r));
      }
      expect(await Promise.all(answers)).toEqual([...ids.slice(0, 10).map(() => true), false, ...ids.slice(10).map(() => true)]);
    } finally {
      leases.stop();
    }
  });

  it('renews only the sends the attempt holds, and never shortens a lease', async () => {
    const now = Date.now();
    await claim(db, 'run-renew', 'a', 'batch#1');
    await claim(db, 'run-renew', 'b', 'batch#2');
    const theirs = await leaseOf(db, 'run-renew', 'b');
    await renewLeases(db, 'run-renew', 'send', 'batch#1', now + 600_000);
    expect(await leaseOf(db, 'run-renew', 'a')).toBe(now + 600_000);
    expect(await leaseOf(db, 'run-renew', 'b')).toBe(theirs);
    await renewLeases(db, 'run-renew', 'send', 'batch#1', now + 60_000);
    expect(await leaseOf(db, 'run-renew', 'a')).toBe(now + 600_000);
    // It finds them by their owner among the sends being sent, not among every send of the run in flight.
    if (dialect === 'sqlite') expect((await explainLeaseRenewal(db, 'run-renew', 'send', 'batch#1')).join('\n')).toMatch(/USING INDEX sends_held/);
  });
});

describe('on postgres, with another transaction writing one of the sends', () => {
  let db: Db;
  beforeAll(async () => {
    ({ db } = await tempInstallOn('postgres'));
  });
  afterAll(async () => db?.destroy());

  it('renews the others without waiting for it', { timeout: 60_000 }, async () => {
    for (const id of ['a', 'b', 'c']) await claim(db, 'run-busy', id, 'batch#1');
    const before = await leaseOf(db, 'run-busy', 'b');
    const until = Date.now() + 600_000;
    let release = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    let locked = () => {};
    const isLocked = new Promise<void>((r) => {
      locked = r;
    });
    // Holds b's row (as a batch committing its outcome would) until the renewal has answered.
    const writer = db.transaction().execute(async (trx) => {
      await trx.updateTable('sends').set({ updatedAt: 'writing' }).where('runId', '=', 'run-busy').where('contactId', '=', 'b').execute();
      locked();
      await released;
    });
    await isLocked;
    // Were the renewal to wait for b, it would wait until the writer lets go: here only after it answered,
    // or (so that the test fails rather than hangs) once a watchdog gives up on it.
    const renewal = renewLeases(db, 'run-busy', 'send', 'batch#1', until);
    let watchdog: NodeJS.Timeout | undefined;
    const first = await Promise.race([
      renewal.then(() => 'renewed while b was being written'),
      new Promise<string>((r) => {
        watchdog = setTimeout(() => r('still waiting for b'), 20_000);
      }),
    ]);
    clearTimeout(watchdog);
    release();
    await Promise.all([renewal, writer]);
    expect(first).toBe('renewed while b was being written');
    expect(await leaseOf(db, 'run-busy', 'a')).toBe(until);
    expect(await leaseOf(db, 'run-busy', 'c')).toBe(until);
    expect(await leaseOf(db, 'run-busy', 'b')).toBe(before);
  });
});
