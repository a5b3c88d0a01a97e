/**
 * The events API for developers, on real databases (SQLite and PostgreSQL): an event name no published
 * flow listens to is accepted with a warning that names it and suggests the closest name one listens
 * to; the event log lists received events newest first, a page at a time, with their contact and what
 * they started or why nothing; the OpenAPI document requires exactly the fields the server refuses a
 * request without. No journey starts here, so the Temporal client (lazily connected) is never called.
 */
import { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closestName } from '../domain/closest-name';
import { SANDBOX_PROFILE_ID } from '../domain/senders';
import type { FlowGraph } from '../domain/flow/schema';
import { createApiKey } from '../server/api-keys';
import type { Db } from '../server/db';
import type { ApiKey } from '../server/db/api-keys';
import { eventLog } from '../server/event-log';
import { parseEventRequest, receiveEvent } from '../server/event-requests';
import { UserError } from '../server/errors';
import type { Config } from '../server/config';
import { eventsOpenApi } from '../web/lib/events-openapi';
import { databases, tempInstallOn } from './databases';
import { publishForTest } from './helpers';

const listening = (event: string): FlowGraph => ({
  schemaVersion: 1,
  nodes: [
    { id: 't', type: 'trigger', position: { x: 0, y: 0 }, data: { source: 'event', event } },
    { id: 's', type: 'sendEmail', position: { x: 0, y: 100 }, data: { profileId: SANDBOX_PROFILE_ID, subject: 'Hi', text: 'Hi' } },
    { id: 'x', type: 'exit', position: { x: 0, y: 200 }, data: {} },
  ],
  edges: [
    { id: 'e1', source: 't', target: 's' },
    { id: 'e2', source: 's', target: 'x' },
  ],
});

describe('did you mean', () => {
  it('suggests the closest known name for a typo, and nothing for a name far from all', () => {
    const known = ['signed_up', 'order_placed', 'trial_ended'];
    expect(closestName('signed_upp', known)).toBe('signed_up');
    expect(closestName('singed_up', known)).toBe('signed_up');
    expect(closestName('Order_Placed', known)).toBe('order_placed');
    expect(closestName('trial_end', known)).toBe('trial_ended');
    expect(closestName('password_reset', known)).toBeUndefined();
    expect(closestName('ab', ['xy'])).toBeUndefined();
    expect(closestName('signed_up', known)).toBeUndefined();
  });
});

describe('the OpenAPI document', () => {
  it('requires exactly the body fields the server refuses a request without', () => {
    const doc = eventsOpenApi('http://localhost:3000');
    const schema = doc.components.schemas.EventRequest as { required: string[]; properties: Record<string, unknown> };
    const full = {
      event: 'signed_up',
      email: 'ada@example.test',
      name: 'Ada',
      attributes: { plan: 'pro' },
      properties: { order_id: 'A-1' },
      idempotencyKey: 'k-1',
    };
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(full).sort());
    const refusedWithout = Object.keys(full).filter((field) => {
      const { [field as keyof typeof full]: _, ...rest } = full;
      try {
        parseEventRequest(rest, null);
        return false;
      } catch (err) {
        expect(err).toBeInstanceOf(UserError);
        expect((err as UserError).message).toContain(field);
        return true;
      }
    });
    expect(refusedWithout.sort()).toEqual([...schema.required].sort());
    expect(schema.required).toContain('idempotencyKey');
    // The header the document offers instead of the body's key is taken for it.
    expect(doc.paths['/api/v1/events'].post.parameters.map((p) => p.name)).toEqual(['Idempotency-Key']);
    expect(parseEventRequest({ event: 'signed_up', email: 'ada@example.test' }, 'k-2').idempotencyKey).toBe('k-2');
  });
});

describe.each(databases)('on %s', (dialect) => {
  let db: Db;
  let config: Config;
  let apiKey: ApiKey;
  const temporal = new Client();
  beforeAll(async () => {
    ({ db, config } = await tempInstallOn(dialect));
    apiKey = (await createApiKey(db, 'Signup form', 'usr_test')).apiKey;
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('accepts an event no published flow listens to with a warning naming it, suggesting the closest name', async () => {
    const send = (event: string, key: string, email = 'ada@example.test') =>
      receiveEvent(db, temporal, config, apiKey, { event, email, idempotencyKey: key }).then((r) => r.answer);
    const none = await send('signed_up', 'k-0');
    expect(none.journeys).toEqual([]);
    expect(none.warnings).toEqual([
      {
        code: 'unknown_event',
        event: 'signed_up',
        message: expect.stringContaining('no published flow listens to any event yet'),
      },
    ]);
    await publishForTest(db, 'welcome-event', listening('signed_up'));
    await publishForTest(db, 'order-event', listening('order_placed'));

    const typo = await send('signed_upp', 'k-1');
    expect(typo.journeys).toEqual([]);
    expect(typo.warnings).toEqual([
      {
        code: 'unknown_event',
        event: 'signed_upp',
        didYouMean: 'signed_up',
        message: expect.stringMatching(/"signed_upp".*did you mean "signed_up"\?/),
      },
    ]);
    const far = await send('password_reset', 'k-2', 'grace@example.test');
    expect(far.warnings[0]?.didYouMean).toBeUndefined();
    expect(far.warnings[0]?.message).toContain('published flows listen to "order_placed", "signed_up"');
    // The same key and body again: the first answer, warning included.
    expect(await send('signed_upp', 'k-1')).toEqual(typo);

    // The log: newest first (times set apart, as requests a millisecond apart may share one), paged.
    const at = (key: string, time: string) => db.updateTable('eventRequests').set({ createdAt: time }).where('idempotencyKey', '=', key).execute();
    await at('k-0', '2026-12-07T10:00:00.000Z');
    await at('k-1', '2026-12-07T10:00:01.000Z');
    await at('k-2', '2026-12-07T10:00:02.000Z');
    const first = await eventLog(db, 1, 2);
    expect(first.more).toBe(true);
    expect(first.entries.map((e) => [e.event, e.contactEmail, e.apiKeyName, e.idempotencyKey])).toEqual([
      ['password_reset', 'grace@example.test', 'Signup form', 'k-2'],
      ['signed_upp', 'ada@example.test', 'Signup form', 'k-1'],
    ]);
    expect(first.entries[1]?.warnings[0]?.didYouMean).toBe('signed_up');
    const second = await eventLog(db, 2, 2);
    expect(second).toMatchObject({ more: false, entries: [{ event: 'signed_up', receivedAt: '2026-12-07T10:00:00.000Z' }] });
  });
});
