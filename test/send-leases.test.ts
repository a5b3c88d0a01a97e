/**
 * The leases a batch attempt holds on its sends, checked right before DATA (server/smtp/send-leases.ts),
 * on a real SQLite database and a real PostgreSQL one, with a clock the test moves (only Date: the checks still run on the event loop).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Db } from '../server/db';
import { claimSend, getSend } from '../server/db/deliveries';
import { DATA_LEASE_MS, SendLeases } from '../server/smtp/send-leases';
import { databases, tempInstallOn } from './databases';

let db: Db;
afterEach(() => {
  vi.useRealTimers();
});

const T0 = Date.parse('2026-11-27T10:00:00Z');
const claim = (runId: string, contactId: string, owner: string) =>
  claimSend(db, { runId, nodeId: 'send', contactId }, { messageId: `<${contactId}@test>`, owner, nowMs: Date.now(), leaseMs: 30_000 });

describe.each(databases)('on %s', (dialect) => {
  beforeAll(async () => {
    ({ db } = await tempInstallOn(dialect));
  });
  afterAll(async () => db?.destroy());

  describe('SendLeases', () => {
    it('extends the sends about to go out for a whole SMTP transaction, so no other attempt can take them meanwhile', async () => {
      vi.useFakeTimers({ toFake: ['Date'], now: T0 });
      const ids = ['a', 'b', 'c'];
      for (const id of ids) expect((await claim('run-ahead', id, 'batch#1')).kind).toBe('claimed');
      const leases = new SendLeases(db, 'run-ahead', 'send', 'batch#1', () => ['b', 'c']);
      try {
        expect(await leases.stillHeld('a')).toBe(true);
        // b and c were extended with a: past the claim's 30 s, for a whole transaction from now.
        for (const id of ids)
          expect((await getSend(db, { runId: 'run-ahead', nodeId: 'send', contactId: id }))?.leaseUntil).toBeGreaterThanOrEqual(T0 + DATA_LEASE_MS);
        // A newer attempt, 40 s on (the claim alone would have run out): the sends are still held.
        vi.setSystemTime(T0 + 40_000);
        expect(await claim('run-ahead', 'b', 'batch#2')).toMatchObject({ kind: 'busy' });
      } finally {
        leases.stop();
      }
    });

    it('asks the database again once its last extension is old, and then a send taken over is not sent', async () => {
      vi.useFakeTimers({ toFake: ['Date'], now: T0 });
      for (const id of ['a', 'b']) await claim('run-stopped', id, 'batch#1');
      const leases = new SendLeases(db, 'run-stopped', 'send', 'batch#1', () => ['b']);
      try {
        expect(await leases.stillHeld('a')).toBe(true);
        // The attempt is stopped past every lease; a newer attempt takes b over (and would send it).
        vi.setSystemTime(T0 + DATA_LEASE_MS + 60_000);
        expect(await claim('run-stopped', 'b', 'batch#2')).toMatchObject({ kind: 'claimed', uncertain: true });
        // The stopped attempt comes back: its old extension of b says nothing any more.
        expect(await leases.stillHeld('b')).toBe(false);
      } finally {
        leases.stop();
      }
    });

    it('answers false for a send another attempt holds, and true for its own, in one statement', async () => {
      vi.useFakeTimers({ toFake: ['Date'], now: T0 });
      await claim('run-mixed', 'mine', 'batch#1');
      await claim('run-mixed', 'theirs', 'retry#1');
      const leases = new SendLeases(db, 'run-mixed', 'send', 'batch#1', () => []);
      try {
        expect(await Promise.all([leases.stillHeld('mine'), leases.stillHeld('theirs')])).toEqual([true, false]);
      } finally {
        leases.stop();
      }
    });
  });
});
