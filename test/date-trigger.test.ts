/**
 * The date Trigger's arithmetic (domain/flow/date-trigger.ts): when a contact enters for a date
 * attribute, N days before or after, at a time on their clock, once or every year; its checks; and,
 * on both databases, publishing one and what the worker reads and writes for it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DateTriggerData, occurrencesBetween, parseDateValue, wallTimeToInstant } from '../domain/flow/date-trigger';
import { trigger } from '../domain/flow/nodes/trigger';
import type { FlowGraph } from '../domain/flow/schema';
import type { Db } from '../server/db';
import { defineAttributes, insertContacts, setContactStatus } from '../server/db/contacts';
import { contactsWithAttribute, dateFlows, recordDateEntry } from '../server/db/date-entries';
import { saveFlowDraft, setFlowArchived } from '../server/db/flows';
import { UserError } from '../server/errors';
import { publishFlow } from '../server/flows';
import { databases, tempInstallOn } from './databases';

const rule = (fields: Partial<DateTriggerData> = {}): DateTriggerData => ({
  attribute: 'renewal_date',
  days: 7,
  direction: 'before',
  at: '09:00',
  everyYear: false,
  timeZone: 'UTC',
  ...fields,
});
const YEAR = Date.parse('2026-01-01T00:00:00Z');
const iso = (t: number) => new Date(t).toISOString();
/** Every moment in the years 2026–2030. */
const moments = (value: unknown, r: DateTriggerData, zone = r.timeZone) =>
  occurrencesBetween(value, r, zone, YEAR, Date.parse('2031-01-01T00:00:00Z')).map((o) => `${o.occurrence} ${iso(o.at)}`);

describe('parsing a date attribute', () => {
  it('reads YYYY-MM-DD, single digits and a full ISO time leniently, and nothing else', () => {
    expect(parseDateValue('2027-03-31')).toEqual({ year: 2027, month: 3, day: 31 });
    expect(parseDateValue(' 2027-3-1 ')).toEqual({ year: 2027, month: 3, day: 1 });
    expect(parseDateValue('2027-03-31T22:00:00Z')).toEqual({ year: 2027, month: 3, day: 31 });
    for (const bad of ['2027-02-30', '31/03/2027', 'soon', '', 20270331, null, '2027-03-311']) expect(parseDateValue(bad)).toBeUndefined();
  });
});

describe('when a contact enters', () => {
  it('N days before or after, at the time on the clock of the zone, once', () => {
    expect(moments('2027-06-15', rule())).toEqual(['2027-06-15 2027-06-08T09:00:00.000Z']);
    expect(moments('2027-06-15', rule({ direction: 'after', days: 3, at: '17:30' }))).toEqual(['2027-06-15 2027-06-18T17:30:00.000Z']);
    expect(moments('2027-06-15', rule({ days: 0 }), 'Asia/Tokyo')).toEqual(['2027-06-15 2027-06-15T00:00:00.000Z']);
    expect(moments('not a date', rule())).toEqual([]);
  });

  it('across a year boundary: Dec 28 + 7 days is Jan 4 of the next year; 7 days before Jan 3 is Dec 27 of the one before', () => {
    expect(moments('2026-12-28', rule({ direction: 'after' }), 'Europe/Berlin')).toEqual(['2026-12-28 2027-01-04T08:00:00.000Z']);
    expect(moments('2027-01-03', rule(), 'Europe/Berlin')).toEqual(['2027-01-03 2026-12-27T08:00:00.000Z']);
  });

  it('every year, from the date’s own year on; Feb 29 falls on Feb 28 in a year without one', () => {
    expect(moments('2027-05-02', rule({ everyYear: true, days: 1 }))).toEqual([
      '2027-05-02 2027-05-01T09:00:00.000Z',
      '2028-05-02 2028-05-01T09:00:00.000Z',
      '2029-05-02 2029-05-01T09:00:00.000Z',
      '2030-05-02 2030-05-01T09:00:00.000Z',
    ]);
    expect(moments('2000-02-29', rule({ everyYear: true, days: 0 }))).toEqual([
      '2026-02-28 2026-02-28T09:00:00.000Z',
      '2027-02-28 2027-02-28T09:00:00.000Z',
      '2028-02-29 2028-02-29T09:00:00.000Z',
      '2029-02-28 2029-02-28T09:00:00.000Z',
      '2030-02-28 2030-02-28T09:00:00.000Z',
    ]);
  });

  it('on the contact’s clock across a DST change: Europe/Berlin and America/New_York, before and after the spring-forward and fall-back', () => {
    const yearly = rule({ everyYear: true, days: 0 });
    // 09:00 CET is 08:00Z; on and after the spring-forward (2027-03-28) it is CEST, 07:00Z; after the fall-back (2027-10-31) CET again.
    expect(
      occurrencesBetween('1990-03-27', yearly, 'Europe/Berlin', Date.parse('2027-01-01'), Date.parse('2028-01-01')).map((o) => iso(o.at)),
    ).toEqual(['2027-03-27T08:00:00.000Z']);
    expect(
      occurrencesBetween('1990-03-28', yearly, 'Europe/Berlin', Date.parse('2027-01-01'), Date.parse('2028-01-01')).map((o) => iso(o.at)),
    ).toEqual(['2027-03-28T07:00:00.000Z']);
    expect(
      occurrencesBetween('1990-10-31', yearly, 'Europe/Berlin', Date.parse('2027-01-01'), Date.parse('2028-01-01')).map((o) => iso(o.at)),
    ).toEqual(['2027-10-31T08:00:00.000Z']);
    // New York: EST −5 until 2027-03-14, EDT −4 from it.
    expect(moments('2027-03-21', rule({ days: 7 }), 'America/New_York')).toEqual(['2027-03-21 2027-03-14T13:00:00.000Z']);
    expect(moments('2027-03-20', rule({ days: 7 }), 'America/New_York')).toEqual(['2027-03-20 2027-03-13T14:00:00.000Z']);
  });

  it('a time the clock skips is the first wall time after the gap; a repeated one is its first', () => {
    expect(iso(wallTimeToInstant({ year: 2027, month: 3, day: 14 }, '02:30', 'America/New_York'))).toBe('2027-03-14T07:00:00.000Z'); // 03:00 EDT
    expect(iso(wallTimeToInstant({ year: 2027, month: 3, day: 28 }, '02:30', 'Europe/Berlin'))).toBe('2027-03-28T01:00:00.000Z'); // 03:00 CEST
    expect(iso(wallTimeToInstant({ year: 2027, month: 11, day: 7 }, '01:30', 'America/New_York'))).toBe('2027-11-07T05:30:00.000Z'); // EDT, the first
  });

  it('only the moments inside the period, so consecutive days start each occurrence once', () => {
    const r = rule({ everyYear: true, days: 0, at: '00:00' });
    const day = Date.parse('2027-05-02T00:00:00Z');
    expect(occurrencesBetween('1980-05-02', r, 'UTC', day - 86_400_000, day)).toEqual([]);
    expect(occurrencesBetween('1980-05-02', r, 'UTC', day, day + 86_400_000)).toEqual([{ occurrence: '2027-05-02', at: day }]);
  });
});

describe('checking a date Trigger', () => {
  const node = (date?: Partial<DateTriggerData>) => ({
    id: 't',
    type: 'trigger' as const,
    name: undefined,
    position: { x: 0, y: 0 },
    data: { source: 'date' as const, ...(date ? { date: rule(date) } : {}) },
  });
  it('names the field and the fix: no attribute, a bad time, a bad zone', () => {
    expect(trigger.check(node() as never)).toEqual([expect.objectContaining({ field: 'data.date.attribute' })]);
    expect(trigger.check(node({ at: '9am' }) as never)).toEqual([
      expect.objectContaining({ field: 'data.date.at', message: expect.stringContaining('HH:MM') }),
    ]);
    expect(trigger.check(node({ timeZone: 'Mars/Base' }) as never)).toEqual([expect.objectContaining({ field: 'data.date.timeZone' })]);
    expect(trigger.check(node({}) as never)).toEqual([]);
    expect(trigger.summary(node({ everyYear: true }).data as never)).toBe(
      'A contact enters 7 days before renewal_date at 09:00 on their clock, every year',
    );
  });
});

describe.each(databases)('a date Trigger on %s', (dialect) => {
  let db: Db;
  beforeAll(async () => {
    ({ db } = await tempInstallOn(dialect));
    await defineAttributes(db, [
      { name: 'birthday', type: 'date' },
      { name: 'plan', type: 'text' },
    ]);
    await insertContacts(db, [
      { id: 'ct_b', email: 'b@x.test', attributes: { birthday: '1990-02-29' } },
      { id: 'ct_a', email: 'a@x.test', attributes: { birthday: '1985-12-31', plan: 'pro' } },
      { id: 'ct_c', email: 'c@x.test', attributes: { plan: 'free' } },
      { id: 'ct_d', email: 'd@x.test', attributes: { birthday: '2000-01-01' } },
    ]);
    await setContactStatus(db, 'ct_d', 'unsubscribed', 'test');
  });
  afterAll(async () => db?.destroy());

  const admin = { id: 'admin-test', role: 'admin' as const };
  const graph = (attribute: string): FlowGraph => ({
    schemaVersion: 1,
    nodes: [
      { id: 't', type: 'trigger', position: { x: 0, y: 0 }, data: { source: 'date', date: rule({ attribute, everyYear: true }) } },
      { id: 's', type: 'sendEmail', position: { x: 0, y: 100 }, data: { profileId: 'sandbox', subject: 'Happy birthday', text: 'Hi' } },
      { id: 'x', type: 'exit', position: { x: 0, y: 200 }, data: {} },
    ],
    edges: [
      { id: 'e1', source: 't', target: 's' },
      { id: 'e2', source: 's', target: 'x' },
    ],
  });

  it('publishes only on a date attribute contacts have, naming the field and the fix', async () => {
    for (const [attribute, message] of [
      ['anniversary', 'no contact has an attribute named anniversary; choose a date attribute (birthday)'],
      ['plan', 'plan is a text attribute, not a date; choose a date attribute (birthday)'],
    ]) {
      await saveFlowDraft(db, { id: 'birthdays', name: 'Birthdays', graph: graph(attribute!) });
      const refused = await publishFlow(db, 'birthdays', admin).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(UserError);
      expect(refused).toMatchObject({ status: 422, details: [{ nodeId: 't', field: 'data.date.attribute', message }] });
    }
    expect(await dateFlows(db)).toEqual([]);
    await saveFlowDraft(db, { id: 'birthdays', name: 'Birthdays', graph: graph('birthday') });
    await expect(publishFlow(db, 'birthdays', admin)).resolves.toMatchObject({ version: 1 });
    expect((await dateFlows(db)).map((f) => [f.flowId, f.version, f.date.attribute])).toEqual([['birthdays', 1, 'birthday']]);
  });

  it('reads the subscribed contacts that have the attribute, a page at a time in id order', async () => {
    const first = await contactsWithAttribute(db, 'birthday', '', 1);
    expect(first).toEqual([{ id: 'ct_a', attributes: { birthday: '1985-12-31', plan: 'pro' } }]);
    expect((await contactsWithAttribute(db, 'birthday', 'ct_a', 10)).map((c) => c.id)).toEqual(['ct_b']);
  });

  it('writes one entry per contact and occurrence, however often it is asked', async () => {
    const [flow] = await dateFlows(db);
    const first = await recordDateEntry(db, flow!, 'ct_a', '2026-12-31', '2026-12-30T09:00:00.000Z');
    const again = await recordDateEntry(db, flow!, 'ct_a', '2026-12-31', '2026-12-30T10:00:00.000Z');
    const next = await recordDateEntry(db, flow!, 'ct_a', '2027-12-31', '2027-12-30T09:00:00.000Z');
    expect(again).toEqual(first);
    expect(first.workflowId).toBe('date:birthdays:ct_a:2026-12-31');
    const rows = await db
      .selectFrom('eventEntries')
      .select(['id', 'idempotencyKey', 'event'])
      .where('flowId', '=', 'birthdays')
      .orderBy('idempotencyKey')
      .execute();
    expect(rows).toEqual([
      { id: first.id, idempotencyKey: 'date:2026-12-31', event: 'date:birthday' },
      { id: next.id, idempotencyKey: 'date:2027-12-31', event: 'date:birthday' },
    ]);
  });

  it('has no date-triggered flow once the flow is archived', async () => {
    await setFlowArchived(db, 'birthdays', true);
    expect(await dateFlows(db)).toEqual([]);
  });
});
