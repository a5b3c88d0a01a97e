/**
 * A run's delivery log filtered and paged on the server (keyset), its CSV export, and its
 * reconciliation (who received, failed, is uncertain, was skipped, was never sent) and the snapshot a
 * "send to these" enrols, on a real SQLite database and a real PostgreSQL one.
 */
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryLogFilter, type DeliveryLogFilter as Filter, LogPage, SendToSetRequest } from '../domain/delivery-log';
import type { FlowGraph } from '../domain/flow/schema';
import type { Db } from '../server/db';
import { insertContacts } from '../server/db/contacts';
import { enrollReconciledSet, reconcileCounts, reconcileList } from '../server/db/reconciliation';
import { insertRun } from '../server/db/runs';
import type { AttemptOutcome, RecipientStatus, SendStatus } from '../server/db/tables';
import { runLogCsvFor, runLogFor } from '../server/runs/log';
import { sendToSet } from '../server/runs/resend';
import type { Client } from '@temporalio/client';
import type { Config } from '../server/config';
import { databases, tempInstallOn } from './databases';
import { publishForTest } from './helpers';

const admin = { id: 'admin-test', role: 'admin' as const };
const NOW = Date.now();
const RUN = 'run-log';

/** Trigger → Send "first" (sandbox) → Send "second" (profile p2) → Exit. */
const twoSends: FlowGraph = {
  schemaVersion: 1,
  nodes: [
    { id: 't', type: 'trigger', position: { x: 0, y: 0 }, data: { source: 'audience' } },
    { id: 's1', type: 'sendEmail', position: { x: 0, y: 100 }, data: { profileId: 'sandbox', subject: 'One', text: 'One' } },
    { id: 's2', type: 'sendEmail', position: { x: 0, y: 200 }, data: { profileId: 'p2', subject: 'Two', text: 'Two' } },
    { id: 'x', type: 'exit', position: { x: 0, y: 300 }, data: {} },
  ],
  edges: [
    { id: 'e1', source: 't', target: 's1' },
    { id: 'e2', source: 's1', target: 's2' },
    { id: 'e3', source: 's2', target: 'x' },
  ],
};

/** Each recipient: its state in the cohort, its sends, and its attempts (node, outcome, code), oldest first. */
const people: {
  id: string;
  email: string;
  status: RecipientStatus;
  dueAt?: number;
  sends?: [string, SendStatus][];
  attempts?: [string, AttemptOutcome, number | null][];
  contactStatus?: 'unsubscribed' | 'suppressed';
  expect: [string, string];
}[] = [
  {
    id: 'c00',
    email: 'ana@one.test',
    status: 'completed',
    sends: [
      ['s1', 'SENT'],
      ['s2', 'SENT'],
    ],
    attempts: [
      ['s1', 'sent', 250],
      ['s2', 'sent', 250],
    ],
    expect: ['received', ''],
  },
  {
    id: 'c01',
    email: 'anabel@one.test',
    status: 'failed',
    sends: [['s1', 'FAILED']],
    attempts: [
      ['s1', 'retrying', 421],
      ['s1', 'failed', 550],
    ],
    expect: ['failed', 'rejected'],
  },
  {
    id: 'c02',
    email: 'bob@two.test',
    status: 'failed',
    sends: [['s1', 'FAILED']],
    attempts: [
      ['s1', 'retrying', 451],
      ['s1', 'failed', 451],
    ],
    expect: ['failed', 'deferred'],
  },
  {
    id: 'c03',
    email: 'carla@two.test',
    status: 'held',
    sends: [['s1', 'UNCERTAIN']],
    attempts: [['s1', 'uncertain', null]],
    expect: ['uncertain', ''],
  },
  {
    id: 'c04',
    email: 'dan@two.test',
    status: 'skipped',
    attempts: [['s1', 'skipped', null]],
    contactStatus: 'unsubscribed',
    expect: ['skipped', 'unsubscribed'],
  },
  { id: 'c05', email: 'eve@three.test', status: 'pending', dueAt: NOW + 3_600_000, expect: ['unsent', 'waiting'] },
  { id: 'c06', email: 'fay@three.test', status: 'pending', dueAt: NOW - 1000, expect: ['unsent', 'due'] },
  { id: 'c07', email: 'gus@three.test', status: 'cancelled', expect: ['unsent', 'cancelled'] },
  {
    id: 'c08',
    email: 'hal@three.test',
    status: 'retrying',
    sends: [['s1', 'PENDING']],
    attempts: [['s1', 'retrying', 421]],
    expect: ['unsent', 'retrying'],
  },
  {
    id: 'c09',
    email: 'ida@four.test',
    status: 'pending',
    dueAt: NOW - 1000,
    sends: [['s1', 'SENT']],
    attempts: [['s1', 'sent', 250]],
    expect: ['received', ''],
  },
  {
    id: 'c10',
    email: 'jo@four.test',
    status: 'failed',
    sends: [
      ['s1', 'SENT'],
      ['s2', 'FAILED'],
    ],
    attempts: [
      ['s1', 'sent', 250],
      ['s2', 'failed', null],
    ],
    expect: ['failed', 'no-reply'],
  },
  {
    id: 'c11',
    email: 'kim@four.test',
    status: 'skipped',
    attempts: [['s2', 'skipped', null]],
    contactStatus: 'suppressed',
    expect: ['skipped', 'suppressed'],
  },
];

const filter = (query: Record<string, string>): Filter => DeliveryLogFilter.parse(query);

describe.each(databases)('on %s', (dialect) => {
  let db: Db;
  beforeAll(async () => {
    db = (await tempInstallOn(dialect)).db;
    await insertContacts(
      db,
      people.map((p) => ({ id: p.id, email: p.email })),
    );
    const plan = await publishForTest(db, 'log', twoSends);
    const workflowId = `campaign:${RUN}`;
    await insertRun(db, {
      id: RUN,
      flowId: 'log',
      version: plan.version,
      startedBy: admin.id,
      idempotencyKey: null,
      audience: { kind: 'all' },
      workflowId,
      plan,
    });
    const at = new Date().toISOString();
    for (const p of people) {
      if (p.contactStatus) await db.updateTable('contacts').set({ status: p.contactStatus }).where('id', '=', p.id).execute();
      await db
        .insertInto('runRecipients')
        .values({ runId: RUN, contactId: p.id, nodeId: 's1', status: p.status, dueAt: p.dueAt ?? 0, workflowId, updatedAt: at })
        .execute();
      for (const [nodeId, status] of p.sends ?? [])
        await db
          .insertInto('sends')
          .values({ runId: RUN, nodeId, contactId: p.id, status, messageId: `<${p.id}.${nodeId}@t>`, updatedAt: at })
          .execute();
    }
    // Attempts interleaved across recipients, in rounds, so ids do not follow contacts.
    for (let round = 0; round < 2; round++) {
      for (const p of people) {
        const a = p.attempts?.[round];
        if (!a) continue;
        const [nodeId, outcome, smtpCode] = a;
        await db
          .insertInto('deliveryAttempts')
          .values({
            runId: RUN,
            nodeId,
            contactId: p.id,
            workflowId,
            attempt: round + 1,
            outcome,
            smtpCode,
            smtpReply: `reply ${smtpCode ?? 'none'}`,
            messageId: `<${p.id}.${nodeId}@t>`,
            at,
          })
          .execute();
      }
    }
  });
  afterAll(async () => db?.destroy());

  const all = people.flatMap((p) => (p.attempts ?? []).map(([nodeId, outcome, code]) => ({ contactId: p.id, nodeId, outcome, code })));
  const log = async (query: Record<string, string>, page: Record<string, string> = {}) =>
    runLogFor(db, admin, RUN, filter(query), LogPage.parse(page));
  const who = (items: { contactId: string }[]) => [...new Set(items.map((a) => a.contactId))].sort();

  it('filters the log by outcome, failure class, SMTP code, step, profile and email', async () => {
    expect((await log({})).items).toHaveLength(all.length);
    expect(who((await log({ outcome: 'failed' })).items)).toEqual(['c01', 'c02', 'c10']);
    expect(who((await log({ class: 'rejected' })).items)).toEqual(['c01']);
    // 4xx replies: the retries and the one that gave up.
    expect(who((await log({ class: 'deferred' })).items)).toEqual(['c01', 'c02', 'c08']);
    expect(who((await log({ class: 'no-reply' })).items)).toEqual(['c03', 'c10']);
    expect(who((await log({ outcome: 'failed', class: 'deferred' })).items)).toEqual(['c02']);
    expect(who((await log({ code: '451' })).items)).toEqual(['c02']);
    expect(who((await log({ step: 's2' })).items)).toEqual(['c00', 'c10', 'c11']);
    // The profile p2 sends only at s2; the sandbox only at s1.
    expect(who((await log({ profile: 'p2' })).items)).toEqual(['c00', 'c10', 'c11']);
    expect((await log({ profile: 'p2', step: 's1' })).items).toEqual([]);
    expect(who((await log({ email: 'ANA' })).items)).toEqual(['c00', 'c01']);
    expect(who((await log({ email: 'ana@one.test', exact: '1' })).items)).toEqual(['c00']);
    expect(who((await log({ email: 'ana@one.test' })).items)).toEqual(['c00']);
    expect(who((await log({ email: 'zed' })).items)).toEqual([]);
    expect(who((await log({ email: 'an', outcome: 'sent' })).items)).toEqual(['c00']);
  });

  it('says which field of a filter is wrong', () => {
    expect(() => filter({ outcome: 'bounced' })).toThrow(/outcome must be one of sent/);
    expect(() => filter({ code: 'abc' })).toThrow(/code must be an SMTP reply code/);
    expect(() => filter({ class: 'soft' })).toThrow(/class must be one of rejected/);
    expect(() => LogPage.parse({ before: '-3' })).toThrow();
    expect(SendToSetRequest.parse({ set: ['failed', 'uncertain', 'failed'] }).set).toEqual(['failed', 'uncertain']);
    expect(SendToSetRequest.parse({ set: 'failed' }).set).toEqual(['failed']);
    expect(() => SendToSetRequest.parse({ set: ['failed', 'uncertain'], reason: 'rejected' })).toThrow(/reason narrows one set/);
    expect(() => SendToSetRequest.parse({ set: 'everyone' })).toThrow(/set must be one of received/);
    // Nothing a database would refuse (PostgreSQL refuses NUL in text) gets past the schema.
    expect(() => filter({ email: 'a\u0000b' })).toThrow(/email must not contain control characters/);
    expect(() => LogPage.parse({ before: '1e30' })).toThrow(/before must be an attempt id/);
    expect(() => SendToSetRequest.parse({ set: 'failed', profileId: 'x\u0000' })).toThrow(/profileId must name an SMTP profile/);
  });

  it('pages the log by attempt id, newest first, both ways, without gaps or repeats', async () => {
    const ids: number[] = [];
    let page = await log({}, { limit: '4' });
    expect(page.newer).toBeNull();
    const pages = [page];
    ids.push(...page.items.map((a) => a.id));
    while (page.older !== null) {
      page = await log({}, { limit: '4', before: String(page.older) });
      pages.push(page);
      ids.push(...page.items.map((a) => a.id));
    }
    expect(ids).toHaveLength(all.length);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    // Back from the last page: the same pages, in the same order.
    const last = pages.at(-1)!;
    expect(last.newer).not.toBeNull();
    const back = await log({}, { limit: '4', after: String(last.newer) });
    expect(back.items.map((a) => a.id)).toEqual(pages.at(-2)!.items.map((a) => a.id));
    // Filtered pages keep to the filter.
    const failed = await log({ class: 'deferred' }, { limit: '2' });
    expect(failed.items).toHaveLength(2);
    const rest = await log({ class: 'deferred' }, { limit: '2', before: String(failed.older) });
    expect([...failed.items, ...rest.items].every((a) => a.smtpCode !== null && a.smtpCode >= 400 && a.smtpCode < 500)).toBe(true);
    expect(failed.items.length + rest.items.length).toBe(4);
    expect(rest.older).toBeNull();
  });

  it('exports the filtered log as CSV', async () => {
    const csv = await text(await runLogCsvFor(db, admin, RUN, filter({ outcome: 'failed' })));
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe('time,email,contact_id,step,attempt,outcome,failure_class,smtp_code,smtp_reply,message_id,profile_id');
    expect(lines).toHaveLength(4);
    expect(
      lines
        .slice(1)
        .map((l) => l.split(',')[1])
        .sort(),
    ).toEqual(['anabel@one.test', 'bob@two.test', 'jo@four.test']);
    expect(csv).toContain(',failed,rejected,550,reply 550,');
    await expect(runLogCsvFor(db, { id: 'someone', role: 'agent' }, RUN, filter({}))).rejects.toMatchObject({ status: 404 });
  });

  it('puts each recipient in one set, with its reason, counted and listed', async () => {
    const counts = await reconcileCounts(db, RUN, Date.now());
    const expected = new Map<string, number>();
    for (const p of people) expected.set(p.expect.join('/'), (expected.get(p.expect.join('/')) ?? 0) + 1);
    expect(new Map(counts.map((c) => [`${c.set}/${c.reason}`, c.count]))).toEqual(expected);
    for (const set of ['received', 'failed', 'uncertain', 'skipped', 'unsent'] as const) {
      const listed = await reconcileList(db, RUN, { set }, { limit: 100 }, Date.now());
      expect(listed.items.map((r) => r.contactId)).toEqual(people.filter((p) => p.expect[0] === set).map((p) => p.id));
    }
    const rejected = await reconcileList(db, RUN, { set: 'failed', reason: 'rejected' }, { limit: 100 }, Date.now());
    expect(rejected.items).toEqual([{ contactId: 'c01', email: 'anabel@one.test', reason: 'rejected' }]);
    // Paged by contact id.
    const first = await reconcileList(db, RUN, { set: 'unsent' }, { limit: 3 }, Date.now());
    expect(first.items.map((r) => r.contactId)).toEqual(['c05', 'c06', 'c07']);
    const next = await reconcileList(db, RUN, { set: 'unsent' }, { after: first.next!, limit: 3 }, Date.now());
    expect(next).toEqual({ items: [{ contactId: 'c08', email: 'hal@three.test', reason: 'retrying' }], next: null });
  });

  it('starts a resend only for who may start runs of the flow, never for an empty set or for the unsent of a run still going', async () => {
    // Nothing below reaches Temporal: each request is refused first.
    const send = (actor: { id: string; role: 'admin' | 'agent' }, runId: string, request: Parameters<typeof sendToSet>[5]) =>
      sendToSet(db, {} as Client, {} as Config, actor, runId, request);
    const agent = { id: 'agent-1', role: 'agent' as const };
    const plan = await publishForTest(db, 'log-agent', twoSends);
    await insertRun(db, {
      id: 'run-agent',
      flowId: 'log-agent',
      version: 1,
      startedBy: agent.id,
      idempotencyKey: null,
      audience: { kind: 'all' },
      workflowId: 'campaign:run-agent',
      plan,
    });
    // The agent started the run (and sees it) but does not own the flow.
    await expect(send(agent, 'run-agent', { set: 'failed' })).rejects.toMatchObject({ status: 403, code: 'flow_forbidden' });
    await expect(send({ id: 'agent-2', role: 'agent' }, RUN, { set: 'failed' })).rejects.toMatchObject({ status: 404 });
    await expect(send(admin, RUN, { set: 'unsent' })).rejects.toMatchObject({ status: 409, code: 'run_unfinished' });
    const runsBefore = await db.selectFrom('runs').select('id').execute();
    await expect(send(admin, RUN, { set: 'skipped', reason: 'deleted', profileId: 'sandbox' })).rejects.toMatchObject({
      status: 409,
      code: 'nothing_to_send',
    });
    expect(await db.selectFrom('runs').select('id').execute()).toEqual(runsBefore);
  });

  it('enrols exactly the chosen sets of a run in another run, as they are now', async () => {
    const plan = await publishForTest(db, 'log-resend', twoSends);
    for (const [runId, choice, ids] of [
      ['run-resend-failed', { sets: ['failed'] }, ['c01', 'c02', 'c10']],
      ['run-resend-waiting', { sets: ['unsent'], reason: 'waiting' }, ['c05']],
      ['run-resend-two', { sets: ['failed', 'uncertain'] }, ['c01', 'c02', 'c03', 'c10']],
    ] as const) {
      const to = { runId, entry: plan.entry, workflowId: `campaign:${runId}`, dueAt: Date.now() };
      await insertRun(db, {
        id: runId,
        flowId: 'log-resend',
        version: 1,
        startedBy: admin.id,
        idempotencyKey: null,
        audience: { kind: 'resend', sourceRunId: RUN, sets: [...choice.sets], count: 0 },
        workflowId: to.workflowId,
        plan,
      });
      expect(await enrollReconciledSet(db, { runId: RUN, choice }, to)).toBe(ids.length);
      const enrolled = await db.selectFrom('runRecipients').selectAll().where('runId', '=', runId).orderBy('contactId').execute();
      expect(enrolled.map((r) => [r.contactId, r.status, r.nodeId])).toEqual(ids.map((id) => [id, 'pending', plan.entry]));
    }
  });
});
