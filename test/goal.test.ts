/**
 * Wait until and Goal and exit below the workflow: the flow language (what compile makes of them, and
 * refuses in a campaign), the event filters a journey runs, and the conversions and contact entries
 * the events API reads, on SQLite and PostgreSQL. The journeys themselves: test/wait-until.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../domain/flow/compile';
import { type EventMatch, eventMatches, hearsEvent } from '../domain/flow/event-match';
import type { FlowGraph } from '../domain/flow/schema';
import type { Db } from '../server/db';
import { anonymisedContactId, eraseContact } from '../server/db/contact-erasure';
import { conversionsByStep, recordConversion } from '../server/db/conversions';
import { insertEventEntry, recentContactEntries } from '../server/db/event-entries';
import { databases, tempInstallOn } from './databases';
import { goalFlow, waitUntilFlow } from './wait-until-flows';

const sameCart: EventMatch = { event: 'purchased', where: [{ property: 'cart_id', op: 'sameAsEntry' }] };
const meta = { flowId: 'f', version: 1 };
const asCampaign = (graph: FlowGraph): FlowGraph => ({
  ...graph,
  nodes: graph.nodes.map((n) => (n.type === 'trigger' ? { ...n, data: { source: 'audience' } } : n)),
});

describe('the flow language', () => {
  it('compiles a Wait until into a step with its longest wait and both outputs, and the goal into the plan', () => {
    const graph = waitUntilFlow('cart_updated', { kind: 'event', match: sameCart });
    const trigger = graph.nodes[0];
    if (trigger?.type === 'trigger') trigger.data.goal = { event: 'purchased', where: [] };
    const result = compile(graph, meta);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.plan.steps.wait).toEqual({
      type: 'waitUntil',
      until: { kind: 'event', match: sameCart },
      maxMs: 2 * 3_600_000,
      met: 'thanks',
      timedOut: 'remind',
    });
    expect(result.plan.goal).toEqual({ event: 'purchased', where: [] });
    expect(result.plan.entry).toBe('wait');
  });

  it('leaves a flow without a goal with a plan as before (no goal key)', () => {
    const result = compile(waitUntilFlow('cart_updated', { kind: 'event', match: sameCart }), meta);
    expect(result.ok && 'goal' in result.plan).toBe(false);
  });

  it('takes a Wait until in a campaign but refuses its entry-event filter and a goal, naming the step and the field', () => {
    const waits = compile(asCampaign(waitUntilFlow('x', { kind: 'event', match: sameCart })), meta);
    expect(!waits.ok && waits.errors).toEqual([
      expect.objectContaining({ nodeId: 'wait', field: 'data.until.match.where.0.op', message: expect.stringMatching(/no entering event/) }),
    ]);
    const paid: EventMatch = { event: 'purchased', where: [{ property: 'plan', op: 'equals', value: 'pro' }] };
    const plain = compile(asCampaign(waitUntilFlow('x', { kind: 'event', match: paid })), meta);
    expect(plain.ok && plain.plan.steps.wait).toMatchObject({ type: 'waitUntil', until: { kind: 'event', match: paid } });
    const graph = asCampaign(goalFlow('x', sameCart));
    const trigger = graph.nodes[0];
    if (trigger?.type === 'trigger') trigger.data.goal = sameCart;
    const goal = compile(graph, meta);
    expect(!goal.ok && goal.errors).toEqual([
      expect.objectContaining({ nodeId: 'trigger', field: 'data.goal', message: expect.stringMatching(/goal works in journeys only/) }),
    ]);
  });

  it('names the field of a bad event name, filter or longest wait', () => {
    const graph = waitUntilFlow('x', { kind: 'event', match: { event: 'no spaces', where: [{ property: 'Cart', op: 'exists' }] } });
    const wait = graph.nodes[1];
    if (wait?.type === 'waitUntil') wait.data.maxWait = 0;
    const result = compile(graph, meta);
    expect(result.ok).toBe(false);
    const fields = !result.ok ? result.errors.map((e) => `${e.nodeId} ${e.field}`) : [];
    expect(fields).toEqual(expect.arrayContaining(['wait data.until.match.event', 'wait data.until.match.where.0.property', 'wait data.maxWait']));
  });
});

describe('event filters', () => {
  const event = (properties: Record<string, string | number | null>) => ({ event: 'purchased', properties });
  it('matches the name and every filter: equals (typed), exists, and the entry event’s value', () => {
    const match: EventMatch = {
      event: 'purchased',
      where: [
        { property: 'cart_id', op: 'sameAsEntry' },
        { property: 'amount', op: 'exists' },
        { property: 'currency', op: 'equals', value: 'EUR' },
      ],
    };
    const entry = { cart_id: 'c1' };
    expect(eventMatches(match, event({ cart_id: 'c1', amount: 5, currency: 'EUR' }), entry)).toBe(true);
    expect(eventMatches(match, { ...event({ cart_id: 'c1', amount: 5, currency: 'EUR' }), event: 'refunded' }, entry)).toBe(false);
    expect(eventMatches(match, event({ cart_id: 'c2', amount: 5, currency: 'EUR' }), entry)).toBe(false);
    expect(eventMatches(match, event({ cart_id: 'c1', amount: null, currency: 'EUR' }), entry)).toBe(false);
    expect(eventMatches(match, event({ cart_id: 'c1', amount: 5, currency: 'eur' }), entry)).toBe(false);
    // No entry event (or no cart on it): "the same cart" matches nothing.
    expect(eventMatches(match, event({ cart_id: 'c1', amount: 5, currency: 'EUR' }))).toBe(false);
    expect(eventMatches({ event: 'n', where: [{ property: 'n', op: 'equals', value: 1 }] }, { event: 'n', properties: { n: '1' } })).toBe(false);
  });

  it('tells which plans hear an event: the goal’s, a Wait until’s, and any while a Wait until waits on the contact', () => {
    const plan = (graph: FlowGraph) => {
      const result = compile(graph, meta);
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      return result.plan;
    };
    expect(hearsEvent(plan(waitUntilFlow('a', { kind: 'event', match: sameCart })), 'purchased')).toBe(true);
    expect(hearsEvent(plan(waitUntilFlow('a', { kind: 'event', match: sameCart })), 'cart_updated')).toBe(false);
    expect(hearsEvent(plan(goalFlow('a', sameCart)), 'purchased')).toBe(true);
    expect(hearsEvent(plan(goalFlow('a', sameCart)), 'a')).toBe(false);
    expect(
      hearsEvent(plan(waitUntilFlow('a', { kind: 'contact', filter: { match: 'all', rules: [{ field: 'email', op: 'exists' }] } })), 'anything'),
    ).toBe(true);
  });
});

describe.each(databases)('conversions and entries on %s', (dialect) => {
  let db: Db;
  beforeAll(async () => {
    ({ db } = await tempInstallOn(dialect));
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('counts each journey once, per version and step', async () => {
    const at = '2026-12-07T08:00:00.000Z';
    const conversion = { runId: 'evt_1', flowId: 'shop', version: 1, nodeId: 'wait', contactId: 'ct_ada', convertedAt: at };
    await recordConversion(db, conversion);
    await recordConversion(db, conversion);
    await recordConversion(db, { ...conversion, runId: 'evt_2', contactId: 'ct_grace' });
    await recordConversion(db, { ...conversion, runId: 'evt_3', nodeId: 'tips' });
    await recordConversion(db, { ...conversion, runId: 'evt_4', version: 2 });
    await recordConversion(db, { ...conversion, runId: 'evt_5', flowId: 'other' });
    expect(await conversionsByStep(db, 'shop')).toEqual([
      { version: 1, nodeId: 'tips', converted: 1 },
      { version: 1, nodeId: 'wait', converted: 2 },
      { version: 2, nodeId: 'wait', converted: 1 },
    ]);
  });

  it('keeps a deleted contact’s conversion counted, under the stand-in id', async () => {
    await recordConversion(db, {
      runId: 'evt_erased',
      flowId: 'erased',
      version: 1,
      nodeId: 'wait',
      contactId: 'ct_grace',
      convertedAt: '2026-12-07T08:00:00.000Z',
    });
    await eraseContact(db, 'ct_grace');
    const rows = await db
      .selectFrom('journeyConversions')
      .select(['runId', 'contactId'])
      .where('contactId', 'in', ['ct_grace', anonymisedContactId('ct_grace')])
      .execute();
    expect(rows.every((r) => r.contactId === anonymisedContactId('ct_grace'))).toBe(true);
    expect(rows).toHaveLength(2);
    expect(await conversionsByStep(db, 'erased')).toEqual([{ version: 1, nodeId: 'wait', converted: 1 }]);
  });

  it("lists the contact's newest entries across flows, at most as many as asked", async () => {
    for (const [i, flowId] of ['a', 'b', 'c'].entries()) {
      const entry = {
        id: `evt_e${i}`,
        flowId,
        version: 1,
        contactId: 'ct_linus',
        event: 'x',
        idempotencyKey: `k${i}`,
        workflowId: `w${i}`,
        apiKeyId: 'key',
      };
      await insertEventEntry(db, entry, { onlyIfFirst: false });
    }
    const entries = await recentContactEntries(db, 'ct_linus', 2);
    expect(entries).toHaveLength(2);
    expect(entries.every((e) => e.contactId === 'ct_linus')).toBe(true);
    expect(await recentContactEntries(db, 'ct_ada', 5)).toEqual([]);
  });
});
