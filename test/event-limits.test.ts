/**
 * The events API's limits around acceptEvent, on a real SQLite install: attribute caps per event, per
 * contact and per workspace (422 naming the cap), each API key's rate (429 with a retry time, checked at
 * chosen instants), and idempotency keys bound to the API key and the body (409 for another body; the
 * first answer again, without writing the contact, for the same one). No flow listens to these events,
 * so the Temporal client (lazily connected) is never called.
 */
import { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../server/config';
import { createApiKey } from '../server/api-keys';
import { MAX_ATTRIBUTE_NAMES } from '../server/contacts';
import type { ApiKey } from '../server/db/api-keys';
import { findContactByEmail, getContact, listAttributeDefinitions } from '../server/db/contacts';
import { UserError } from '../server/errors';
import { eventBodyHash, parseEventRequest, receiveEvent } from '../server/event-requests';
import { tempInstall } from './helpers';

let install: Awaited<ReturnType<typeof tempInstall>>;
let temporal: Client;
let keyA: ApiKey;
let keyB: ApiKey;

beforeAll(async () => {
  install = await tempInstall();
  temporal = new Client();
  keyA = (await createApiKey(install.db, 'A', 'usr_test')).apiKey;
  keyB = (await createApiKey(install.db, 'B', 'usr_test')).apiKey;
});

afterAll(async () => {
  await temporal?.connection.close();
  await install?.db.destroy();
});

/** The UserError a call throws (or undefined). */
async function refusal(call: () => unknown): Promise<UserError | undefined> {
  try {
    await call();
    return undefined;
  } catch (err) {
    if (err instanceof UserError) return err;
    throw err;
  }
}

const attributes = (n: number, prefix = 'a') => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, i]));
const send = (apiKey: ApiKey, body: unknown, header: string | null = null) =>
  receiveEvent(install.db, temporal, install.config, apiKey, parseEventRequest(body, header));
const attributesOf = async (email: string) => {
  const found = await findContactByEmail(install.db, email);
  return found && (await getContact(install.db, found.id))?.attributes;
};

describe('idempotency keys', () => {
  it('replay the first answer for the same key and body, without writing the contact again', async () => {
    const body = { event: 'upgraded', email: 'replay@x.test', attributes: { plan: 'pro' } };
    const first = await send(keyA, body, 'upgrade-1');
    expect(first.replayed).toBe(false);
    await send(keyA, { ...body, attributes: { plan: 'free' } }, 'downgrade-1');
    expect(await attributesOf('replay@x.test')).toEqual({ plan: 'free' });
    // The same body written another way (the key in the body, not the header) is the same request.
    const again = await send(keyA, { ...body, idempotencyKey: 'upgrade-1' });
    expect(again).toEqual({ answer: first.answer, replayed: true });
    expect(await attributesOf('replay@x.test')).toEqual({ plan: 'free' });
  });

  it('refuse the same key with another body (409), and leave the contact as it was', async () => {
    await send(keyA, { event: 'upgraded', email: 'clash@x.test', attributes: { plan: 'pro' } }, 'clash-1');
    const err = await refusal(() => send(keyA, { event: 'upgraded', email: 'clash@x.test', attributes: { plan: 'team' } }, 'clash-1'));
    expect(err?.status).toBe(409);
    expect(err?.code).toBe('idempotency_key_reused');
    expect(err?.message).toMatch(/clash-1.*another body.*new key/);
    expect(await attributesOf('clash@x.test')).toEqual({ plan: 'pro' });
  });

  it('belong to the API key: another key may use the same one for its own event', async () => {
    await send(keyA, { event: 'upgraded', email: 'scoped@x.test', attributes: { plan: 'pro' } }, 'shared-key');
    const other = await send(keyB, { event: 'upgraded', email: 'scoped@x.test', attributes: { plan: 'team' } }, 'shared-key');
    expect(other.replayed).toBe(false);
    expect(await attributesOf('scoped@x.test')).toEqual({ plan: 'team' });
  });

  it('are freed by a refused request, so the corrected body may use them', async () => {
    const bad = await refusal(() => send(keyA, { event: 'upgraded', email: 'fixed@x.test', attributes: { timezone: 'Mars/Olympus' } }, 'fix-1'));
    expect(bad?.status).toBe(422);
    const fixed = await send(keyA, { event: 'upgraded', email: 'fixed@x.test', attributes: { timezone: 'Europe/Paris' } }, 'fix-1');
    expect(fixed.replayed).toBe(false);
  });

  it('hash the event, not the way its body is written', () => {
    const a = parseEventRequest({ event: 'e', email: 'h@x.test', attributes: { a: 1, b: 2 }, idempotencyKey: 'k1' }, null);
    const b = parseEventRequest({ attributes: { b: 2, a: 1 }, email: 'h@x.test', event: 'e' }, 'k2');
    expect(eventBodyHash(a)).toBe(eventBodyHash(b));
    expect(eventBodyHash(a)).not.toBe(eventBodyHash({ ...a, attributes: { a: 1, b: 3 } }));
  });
});

// The rate itself, shared by every web instance, is tested in rate-limits.test.ts.
describe('the per-key rate', () => {
  it('is configured by DRIPLINE_EVENTS_PER_SECOND and DRIPLINE_EVENTS_BURST, refused when not a positive number', () => {
    expect(readConfig({ DRIPLINE_DATA_DIR: '/tmp/unused' })).toMatchObject({ DRIPLINE_EVENTS_PER_SECOND: 100, DRIPLINE_EVENTS_BURST: 200 });
    expect(readConfig({ DRIPLINE_DATA_DIR: '/tmp/unused', DRIPLINE_EVENTS_PER_SECOND: '0.5', DRIPLINE_EVENTS_BURST: '3' })).toMatchObject({
      DRIPLINE_EVENTS_PER_SECOND: 0.5,
      DRIPLINE_EVENTS_BURST: 3,
    });
    expect(() => readConfig({ DRIPLINE_EVENTS_PER_SECOND: '0' })).toThrow(/DRIPLINE_EVENTS_PER_SECOND/);
    expect(() => readConfig({ DRIPLINE_EVENTS_BURST: 'lots' })).toThrow(/DRIPLINE_EVENTS_BURST/);
  });
});

// Last: it fills the workspace's attribute names.
describe('attribute caps', () => {
  it('refuse an event with more than 100 attributes, naming the cap and the fix', async () => {
    const err = await refusal(() =>
      parseEventRequest({ event: 'signed_up', email: 'cap@x.test', attributes: attributes(101), idempotencyKey: 'k' }, null),
    );
    expect(err?.status).toBe(422);
    expect(err?.code).toBe('too_many_attributes');
    expect(err?.message).toMatch(/at most 100 attributes.*send only the attributes that changed/);
    expect(
      parseEventRequest({ event: 'signed_up', email: 'cap@x.test', attributes: attributes(100), idempotencyKey: 'k' }, null).attributes,
    ).toBeDefined();
  });

  it('refuse a change that would leave a contact with more than 200 attributes, and write nothing', async () => {
    await send(keyA, { event: 'signed_up', email: 'full@x.test', attributes: attributes(100, 'p'), idempotencyKey: 'full-1' });
    await send(keyA, { event: 'signed_up', email: 'full@x.test', attributes: attributes(100, 'q'), idempotencyKey: 'full-2' });
    const err = await refusal(() => send(keyA, { event: 'signed_up', email: 'full@x.test', attributes: { r0: 1 }, idempotencyKey: 'full-3' }));
    expect(err?.status).toBe(422);
    expect(err?.code).toBe('too_many_attributes');
    expect(err?.message).toMatch(/at most 200 attributes.*remove some/);
    expect(Object.keys((await attributesOf('full@x.test')) ?? {})).toHaveLength(200);
    // Removing one makes room again.
    await send(keyA, { event: 'signed_up', email: 'full@x.test', attributes: { p0: null, r0: 1 }, idempotencyKey: 'full-4' });
    expect(await attributesOf('full@x.test')).toMatchObject({ r0: 1 });
  });

  it(`refuse new attribute names beyond ${MAX_ATTRIBUTE_NAMES} in the workspace`, async () => {
    // Some names exist from the test above; fill up to the cap, 100 names per contact.
    for (let batch = 0, left = MAX_ATTRIBUTE_NAMES - (await listAttributeDefinitions(install.db)).length; left > 0; batch++, left -= 100) {
      const more = attributes(Math.min(100, left), `n${batch}_`);
      await send(keyA, { event: 'signed_up', email: `names-${batch}@x.test`, attributes: more, idempotencyKey: `names-${batch}` });
    }
    expect(await listAttributeDefinitions(install.db)).toHaveLength(MAX_ATTRIBUTE_NAMES);
    const err = await refusal(() =>
      send(keyA, { event: 'signed_up', email: 'names-x@x.test', attributes: { brand_new: 1 }, idempotencyKey: 'names-x' }),
    );
    expect(err?.status).toBe(422);
    expect(err?.code).toBe('too_many_attribute_names');
    expect(err?.message).toMatch(/at most 1000 attribute names.*brand_new.*use the existing names/);
    // Existing names are still fine.
    await send(keyA, { event: 'signed_up', email: 'names-x@x.test', attributes: { p1: 5 }, idempotencyKey: 'names-y' });
    expect(await attributesOf('names-x@x.test')).toEqual({ p1: 5 });
  });
});
