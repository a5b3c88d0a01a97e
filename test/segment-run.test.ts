/**
 * A run for a segment on a real Temporal server and a real SMTP server: the count shown before starting
 * is the number of contacts the run starts with, and exactly those contacts (the subscribed ones the
 * filter matches, by `matchesFilter` too) receive one message each; a contact who joins the segment after
 * the start is not mailed (the audience is evaluated when the run starts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContactFilter, matchesFilter } from '../domain/contact-filter';
import { asFilterable, countMatching } from '../server/db/contact-filter';
import { defineAttributes, insertContacts, listContacts, setContactStatus } from '../server/db/contacts';
import { recipientCounts } from '../server/db/recipients';
import { createSegment } from '../server/segments';
import { admin, campaignEnv, type CampaignEnv } from './campaign-env';
import { graphWithDelay } from './helpers';

let env: CampaignEnv;
beforeAll(async () => {
  env = await campaignEnv({ contacts: 0, taskQueue: 'segment-run-test', inProcessWorker: true });
});
afterAll(async () => env?.close());

describe('a run for a segment', () => {
  it('starts with exactly the contacts its count showed, and mails each of them once', async () => {
    const plans = ['free', 'pro', 'team'];
    await defineAttributes(env.db, [
      { name: 'plan', type: 'text' },
      { name: 'seats', type: 'number' },
      { name: 'renews', type: 'date' },
    ]);
    await insertContacts(
      env.db,
      Array.from({ length: 3000 }, (_, i) => ({
        id: `ct_${String(i).padStart(6, '0')}`,
        email: `person${i}@segment.test`,
        attributes: {
          plan: plans[i % 3] as string,
          seats: i % 17,
          ...(i % 5 === 0 ? {} : { renews: `2027-${String(1 + (i % 12)).padStart(2, '0')}-15` }),
        },
      })),
    );
    for (let i = 0; i < 3000; i += 41) await setContactStatus(env.db, `ct_${String(i).padStart(6, '0')}`, 'unsubscribed', 'test');
    const filter = ContactFilter.parse({
      match: 'all',
      rules: [
        { field: 'plan', op: 'in', value: ['pro', 'team'] },
        { field: 'seats', op: 'gte', value: 5 },
        { field: 'renews', op: 'before', value: '2027-07-01' },
      ],
    });
    const segment = await createSegment(env.db, admin, { name: 'Renewing soon', filter });
    const shown = (await countMatching(env.db, segment.filter)).subscribed;
    const expected = (await listContacts(env.db))
      .filter((c) => c.status === 'subscribed' && matchesFilter(asFilterable(c), filter))
      .map((c) => c.email)
      .sort();
    expect(shown).toBe(expected.length);
    expect(shown).toBeGreaterThan(300);

    const before = env.received.length;
    const { runId, handle } = await env.run('renewals', graphWithDelay({ mode: 'fixed', amount: 0, unit: 'seconds' }), {
      audience: { kind: 'segment', segmentId: segment.id },
    });
    // Joins the segment after the start: not in this run.
    await insertContacts(env.db, [{ id: 'ct_late', email: 'late@segment.test', attributes: { plan: 'pro', seats: 9, renews: '2027-01-01' } }]);
    expect(await handle.result()).toMatchObject({ status: 'completed', sent: shown, failed: 0 });
    const counts = await recipientCounts(env.db, runId, Date.now());
    expect(counts.completed).toBe(shown);
    const mine = env.received.slice(before);
    expect(mine.map((m) => m.to).sort()).toEqual(expected);
    expect(mine.some((m) => m.to === 'late@segment.test')).toBe(false);
  }, 180_000);
});
