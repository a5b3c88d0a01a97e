/**
 * A Condition in a campaign, on a real Temporal server and a real SMTP server: the cohort is split by
 * branch in the app database (no workflow or activity per contact), and each contact gets the email of
 * their own branch, by the SMTP server's own record, including the branch for a send it refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConditionTest } from '../domain/flow/nodes/condition';
import type { FlowGraph } from '../domain/flow/schema';
import { listContacts, updateContact } from '../server/db/contacts';
import { addToList, insertList } from '../server/db/lists';
import { recipientCounts } from '../server/db/recipients';
import { insertSegment } from '../server/db/segments';
import { controlRun } from '../server/runs/control';
import { recipientStory, when } from '../server/runs/story';
import { admin, campaignEnv, type CampaignEnv, until } from './campaign-env';
import { conditionFlow } from './condition-flows';
import { root } from './helpers';
import { saveFlowDraft } from '../server/db/flows';
import { setFlowTracking } from '../server/db/tracking';
import { recordClick } from '../server/engagement';
import { wakeSignal } from '../workflows/contracts';

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

  it('tells each recipient’s story: the send and its reply, the wait drawn, the branch and its rule, and when their window opens', async () => {
    const vip: ConditionTest = { kind: 'attributes', filter: { match: 'all', rules: [{ field: 'plan', op: 'equals', value: 'vip' }] } };
    await updateContact(env.db, id(0), { attributes: { plan: 'vip' } });
    await updateContact(env.db, id(1), { attributes: {} });
    let refusals = 0;
    env.answers.set('person5@example.test', () => (refusals++ === 0 ? { code: 554, text: '5.7.1 Message rejected by content policy' } : undefined));
    // A window shut now, opening within the next hours (UTC): the VIPs wait there while the test reads their story.
    const opensHour = (new Date().getUTCHours() + 3) % 24;
    const hh = (h: number) => `${String(h).padStart(2, '0')}:00`;
    const at = { x: 0, y: 0 };
    const graph = {
      schemaVersion: 1,
      nodes: [
        { id: 'trigger', type: 'trigger', position: at, data: { source: 'audience' } },
        { id: 'first', type: 'sendEmail', position: at, data: { profileId: 'sandbox', subject: 'Welcome', text: 'Hi {{name}}, Welcome' } },
        { id: 'wait', type: 'delay', position: at, data: { mode: 'random', min: 1, max: 3, unit: 'seconds' } },
        {
          id: 'split',
          type: 'condition',
          position: at,
          data: {
            branches: [
              { id: 'bounced', label: 'Bounced', test: { kind: 'sendOutcome', sendNodeId: 'first', outcome: 'failed' } },
              { id: 'vips', label: 'VIPs', test: vip },
            ],
          },
        },
        {
          id: 'hours',
          type: 'sendWindow',
          position: at,
          data: {
            days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
            from: hh(opensHour),
            to: opensHour === 23 ? '23:59' : hh(opensHour + 1),
            timeZone: 'UTC',
            randomize: false,
          },
        },
        { id: 'vip-send', type: 'sendEmail', position: at, data: { profileId: 'sandbox', subject: 'For VIPs', text: 'Hi {{name}}, For VIPs' } },
        { id: 'end', type: 'exit', position: at, data: {} },
      ],
      edges: [
        { id: 'e1', source: 'trigger', target: 'first' },
        { id: 'e2', source: 'first', target: 'wait' },
        { id: 'e3', source: 'wait', target: 'split' },
        { id: 'e4', source: 'split', target: 'end', sourceHandle: 'bounced' },
        { id: 'e5', source: 'split', target: 'hours', sourceHandle: 'vips' },
        { id: 'e6', source: 'split', target: 'end', sourceHandle: 'otherwise' },
        { id: 'e7', source: 'hours', target: 'vip-send' },
        { id: 'e8', source: 'vip-send', target: 'end' },
      ],
    } as FlowGraph;
    const { runId, handle } = await env.run('story', graph);
    const story = (n: number) => recipientStory(env.db, admin, runId, id(n));
    await until('the VIP to wait for the window and the others to take their branch', async () => {
      // Not a recipient until the campaign has enrolled them (a 404 till then).
      const [vipAt, bouncedAt, otherAt] = await Promise.all([story(0), story(5), story(1)]).catch(() => []);
      return vipAt?.entries.at(-1)?.kind === 'window' && bouncedAt?.entries.at(-1)?.kind === 'branch' && otherAt?.entries.at(-1)?.kind === 'branch';
    });

    const vipStory = await story(0);
    expect(vipStory.entries.map((e) => [e.kind, e.step])).toEqual([
      ['entered', null],
      ['attempt', 'Send Email “Welcome”'],
      ['delay', 'Delay “Wait 1–3 seconds (random)”'],
      ['branch', 'Condition'],
      ['window', expect.stringMatching(/^Send window/)],
    ]);
    const [, sent, waited, branch, window] = vipStory.entries;
    expect(sent?.reply).toMatchObject({ code: 250, advice: expect.stringMatching(/^Accepted/) });
    expect(waited?.text).toMatch(/^Waited [123] s \(drawn between 1 s and 3 s\), due /);
    expect(branch?.text).toMatch(/^Took branch "VIPs": .*plan.*vip.*; went on to Send window/);
    const opening = new Date();
    opening.setUTCHours(opensHour, 0, 0, 0);
    if (opening.getTime() < Date.now()) opening.setUTCDate(opening.getUTCDate() + 1);
    expect(window?.text).toBe(`The send window opened at ${when(opening.getTime())}; due ${when(opening.getTime())}.`);
    expect(vipStory.now).toMatchObject({ state: 'waiting', movesOnAt: opening.toISOString() });

    const bounced = await story(5);
    expect(bounced.entries.map((e) => e.kind)).toEqual(['entered', 'attempt', 'delay', 'branch']);
    expect(bounced.entries[1]?.reply).toEqual({
      code: 554,
      text: expect.stringContaining('content policy'),
      advice: expect.stringMatching(/^The server refused it for good/),
    });
    expect(bounced.entries[3]?.text).toMatch(/^Took branch "Bounced": Send Email “Welcome” .*; went on to Exit/);
    expect((await story(1)).entries.at(-1)?.text).toMatch(/^Took the Otherwise branch: no rule matched; went on to Exit/);

    // Cancelled, the campaign says so in Temporal too.
    await controlRun(env.db, env.client, runId, 'cancel');
    await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    // Replayed by test/replay.test.ts. Re-record: DRIPLINE_RECORD_HISTORY=1 npx vitest run test/campaign-condition.test.ts -t story
    if (process.env.DRIPLINE_RECORD_HISTORY === '1') {
      fs.writeFileSync(path.join(root, 'test', 'histories', 'campaign-cancelled.json'), historyToJSON(await handle.fetchHistory()));
    }
  });
});

describe('a campaign with a Condition on clicks', () => {
  it('takes the "clicked" branch for the contacts who followed a tracked link of the earlier send, Otherwise for the rest', async () => {
    const at = { x: 0, y: 0 };
    const text = (subject: string) => `Hi {{name}}, ${subject}`;
    const graph = {
      schemaVersion: 1,
      nodes: [
        { id: 'trigger', type: 'trigger', position: at, data: { source: 'audience' } },
        {
          id: 'first',
          type: 'sendEmail',
          position: at,
          data: { profileId: 'sandbox', subject: 'Sale', text: text('Sale: https://shop.example.test/sale') },
        },
        // The marketer's Delay: time for the click to come (the test ends it once the click is in).
        { id: 'wait', type: 'delay', position: at, data: { mode: 'fixed', amount: 1, unit: 'hours' } },
        {
          id: 'split',
          type: 'condition',
          position: at,
          data: {
            branches: [
              { id: 'clicked', label: 'Clicked', test: { kind: 'engaged', sendNodeId: 'first', action: 'clicked', within: 1, unit: 'days' } },
            ],
          },
        },
        { id: 'follow', type: 'sendEmail', position: at, data: { profileId: 'sandbox', subject: 'Follow-up', text: text('Follow-up') } },
        { id: 'end', type: 'exit', position: at, data: {} },
      ],
      edges: [
        { id: 'e1', source: 'trigger', target: 'first' },
        { id: 'e2', source: 'first', target: 'wait' },
        { id: 'e3', source: 'wait', target: 'split' },
        { id: 'e4', source: 'split', target: 'follow', sourceHandle: 'clicked' },
        { id: 'e5', source: 'split', target: 'end', sourceHandle: 'otherwise' },
        { id: 'e6', source: 'follow', target: 'end' },
      ],
    } as FlowGraph;
    const contactIds = [id(10), id(11), id(12), id(13)];
    await saveFlowDraft(env.db, { id: 'clicks', name: 'clicks', graph });
    await setFlowTracking(env.db, 'clicks', true);
    const before = env.received.length;
    const { runId, handle } = await env.run('clicks', graph, { audience: { kind: 'contacts', contactIds } });
    await until('everyone sent the sale and waiting in the Delay', async () => (await recipientCounts(env.db, runId, Date.now())).waiting === 4);

    // Contacts 10 and 12 follow the link of their own message (its token, as the SMTP server received it).
    const sale = env.received.slice(before);
    expect(sale).toHaveLength(4);
    for (const n of [10, 12]) {
      const message = sale.find((m) => m.to === `person${n}@example.test`);
      const link = /https:\/\/dripline\.example\.test\/t\/c\/(\S+)/.exec(message?.text ?? '')?.[1] ?? '';
      const to = await recordClick(env.db, [Buffer.alloc(32, 3)], link, 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0', '10.0.0.1');
      expect(to).toBe('https://shop.example.test/sale');
    }
    expect(sale.every((m) => !m.text.includes('https://shop.example.test/sale'))).toBe(true);
    // The Delay ends now.
    await env.db.updateTable('runRecipients').set({ dueAt: Date.now() }).where('runId', '=', runId).execute();
    await handle.signal(wakeSignal);
    expect(await handle.result()).toMatchObject({ status: 'completed', sent: 6, failed: 0 });
    const followUps = env.received.slice(before).filter((m) => m.text.includes('Follow-up'));
    expect(followUps.map((m) => m.to).sort()).toEqual(['person10@example.test', 'person12@example.test']);
  });
});
