/**
 * A Condition in a campaign, on a real Temporal server and a real SMTP server: the cohort is split by
 * branch in the app database (no workflow or activity per contact), and each contact gets the email of
 * their own branch, by the SMTP server's own record, including the branch for a send it refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConditionTest } from '../domain/flow/nodes/condition';
import type { FlowGraph } from '../domain/flow/schema';
import { listContacts, updateContact } from '../server/db/contacts';
import { addToList, insertList } from '../server/db/lists';
import { recipientCounts } from '../server/db/recipients';
import { insertSegment } from '../server/db/segments';
import { campaignEnv, type CampaignEnv } from './campaign-env';
import { conditionFlow } from './condition-flows';

const CONTACTS = 300;
let env: CampaignEnv;
beforeAll(async () => {
  env = await campaignEnv({ contacts: CONTACTS, taskQueue: 'campaign-condition-test', inProcessWorker: true });
});
afterAll(async () => env?.close());

const id = (n: number) => `ct_${String(n).padStart(6, '0')}`;

describe('a campaign with a Condition', () => {
  it('splits the cohort by branch: attributes, a list, a refused send, and Otherwise, each contact getting its branch’s email', async () => {
    // Every third contact is a VIP; every fifth is on the beta list; person5's first message is refused.
    for (let n = 0; n < CONTACTS; n += 3) await updateContact(env.db, id(n), { attributes: { plan: 'vip' } });
    const beta = await insertList(env.db, 'Beta');
    await addToList(
      env.db,
      beta,
      Array.from({ length: CONTACTS / 5 }, (_, i) => id(i * 5)),
    );
    let refusals = 0;
    env.answers.set('person5@example.test', () => (refusals++ === 0 ? { code: 554, text: '5.7.1 Message rejected by content policy' } : undefined));

    const vip: ConditionTest = { kind: 'attributes', filter: { match: 'all', rules: [{ field: 'plan', op: 'equals', value: 'vip' }] } };
    const graph = conditionFlow({
      profileId: 'sandbox',
      first: 'Welcome',
      branches: [
        { id: 'bounced', label: 'Bounced', test: { kind: 'sendOutcome', sendNodeId: 'first', outcome: 'failed' }, subject: 'We could not reach you' },
        { id: 'vips', label: 'VIPs', test: vip, subject: 'For VIPs' },
        { id: 'beta', label: 'Beta', test: { kind: 'inList', listId: beta }, subject: 'For beta testers' },
      ],
      otherwiseSubject: 'For everyone else',
    }) as FlowGraph;
    const before = env.received.length;
    const { runId, handle } = await env.run('split', graph);
    const everyone = await listContacts(env.db);
    expect(await handle.result()).toMatchObject({ status: 'completed', sent: 2 * everyone.length - 1, failed: 1 });

    const expected = (n: number | undefined) =>
      n === 5
        ? 'We could not reach you'
        : n !== undefined && n % 3 === 0
          ? 'For VIPs'
          : n !== undefined && n % 5 === 0
            ? 'For beta testers'
            : 'For everyone else';
    const mine = env.received.slice(before);
    for (const contact of everyone) {
      const n = /^ct_(\d+)$/.exec(contact.id)?.[1];
      const texts = mine.filter((m) => m.to === contact.email).map((m) => m.text);
      const branch = expected(n === undefined ? undefined : Number(n));
      const wanted = n !== undefined && Number(n) === 5 ? [branch] : ['Welcome', branch];
      expect(
        texts.map((t) => /^Hi [^,]*, (.*)$/m.exec(t)?.[1]),
        contact.email,
      ).toEqual(wanted);
    }
    expect(mine.filter((m) => m.text.includes('For VIPs'))).toHaveLength(CONTACTS / 3);
    expect((await recipientCounts(env.db, runId, Date.now())).completed).toBe(everyone.length);

    // One pass in the database: the campaign's history has no activity per contact.
    const history = await handle.fetchHistory();
    const activities = new Set(history.events?.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []));
    expect([...activities].sort()).toEqual(['advanceCohort', 'enrollPage', 'sendBatch', 'setRunStatus']);
  });

  it('takes a segment branch for exactly the segment’s contacts, evaluated in the database for the cohort', async () => {
    // Gold: every fourth contact; silver: every seventh that is not gold; some others have a tier that is not in the segment.
    const tier = (n: number) => (n % 4 === 0 ? 'gold' : n % 7 === 0 ? 'silver' : n % 2 === 1 ? 'bronze' : undefined);
    for (let n = 0; n < CONTACTS; n++) {
      const t = tier(n);
      await updateContact(env.db, id(n), { attributes: t ? { tier: t } : {} });
    }
    const segmentId = await insertSegment(env.db, {
      name: 'Gold and silver',
      filter: { match: 'all', rules: [{ field: 'tier', op: 'in', value: ['gold', 'silver'] }] },
      createdBy: 'admin-test',
    });
    const graph = conditionFlow({
      profileId: 'sandbox',
      branches: [{ id: 'precious', label: 'Gold and silver', test: { kind: 'inSegment', segmentId }, subject: 'For gold and silver' }],
      otherwiseSubject: 'For the rest',
    }) as FlowGraph;
    const before = env.received.length;
    const { handle } = await env.run('by-segment', graph);
    const everyone = await listContacts(env.db);
    expect(await handle.result()).toMatchObject({ status: 'completed', sent: everyone.length, failed: 0 });

    const mine = env.received.slice(before);
    const inSegment = new Set(
      everyone
        .filter((c) => {
          const n = /^ct_(\d+)$/.exec(c.id)?.[1];
          return n !== undefined && ['gold', 'silver'].includes(tier(Number(n)) ?? '');
        })
        .map((c) => c.email),
    );
    expect(inSegment.size).toBeGreaterThan(CONTACTS / 4);
    // By the SMTP server's record: the segment's email went to exactly its contacts, the other to everyone else.
    expect(new Set(mine.filter((m) => m.text.includes('For gold and silver')).map((m) => m.to))).toEqual(inSegment);
    expect(new Set(mine.filter((m) => m.text.includes('For the rest')).map((m) => m.to))).toEqual(
      new Set(everyone.map((c) => c.email).filter((e) => !inSegment.has(e))),
    );
    expect(mine).toHaveLength(everyone.length);
  });
});
