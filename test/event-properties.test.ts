/**
 * An API event's properties: the body's `properties` checked at the door (each problem naming its
 * field), printed by a journey's template as `{{ event.<name> }}`, and in the editor's preview filled
 * from a typed sample event, or printed empty and named when there is none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../server/db';
import { saveFlowDraft } from '../server/db/flows';
import { parseEventRequest } from '../server/event-requests';
import { previewSendAs } from '../server/preview';
import { printVariables, renderFields } from '../server/templates';
import { tempInstall } from './helpers';

const admin = { id: 'admin-test', role: 'admin' as const };
let db: Db;
beforeAll(async () => {
  ({ db } = await tempInstall());
  await saveFlowDraft(db, { id: 'orders', name: 'Orders', graph: { schemaVersion: 1, nodes: [], edges: [] } });
});
afterAll(async () => db?.destroy());

const body = (properties: unknown) => ({ event: 'order.paid', email: 'ada@example.test', properties });

describe('event properties', () => {
  it('takes text, numbers, true/false and null, and names the field of anything else', () => {
    expect(parseEventRequest(body({ order_id: 'A-1001', total: 42.5, gift: false, note: null }), 'k').properties).toEqual({
      order_id: 'A-1001',
      total: 42.5,
      gift: false,
      note: null,
    });
    const refused = (properties: unknown) => {
      try {
        parseEventRequest(body(properties), 'k');
      } catch (err) {
        return (err as { message: string }).message;
      }
      return 'accepted';
    };
    expect(refused({ items: [1, 2] })).toBe('properties.items: each property must be text, a number, true/false or null');
    expect(refused({ 'order-id': 'x' })).toMatch(/^properties\.order-id: a property name uses letters, digits and _/);
    expect(refused('A-1001')).toBe('properties: properties must be an object of name: value');
    expect(refused(Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`p${i}`, i])))).toBe('properties: properties may have at most 50 names');
  });

  it('prints them as {{ event.<name> }}, and a missing one empty', async () => {
    const scope = { name: 'Ada', event: { order_id: 'A-1001', total: 42.5 } };
    // Printing the object itself is Liquid's: the quick path leaves it to the template thread.
    expect(printVariables('{{ event }}', 'text', scope)).toBeUndefined();
    expect(
      await renderFields([{ name: 'text', source: 'Order {{ event.order_id }} ({{ event.total }}){{ event.nope }}', kind: 'text' }], scope),
    ).toEqual({
      text: 'Order A-1001 (42.5)',
    });
  });

  it('previews with a sample event, or says {{ event }} printed empty without one', async () => {
    const input = {
      profileId: 'sandbox',
      subject: 'Order {{ event.order_id }}',
      text: 'Hi {{ name }}',
      sample: { name: 'Ada', email: 'ada@example.test', attributes: {} },
    };
    const link = { publicUrl: 'https://dripline.example.test', secret: Buffer.alloc(32, 1) };
    const filled = await previewSendAs(db, admin, 'orders', { ...input, event: { order_id: 'A-1001' } }, link);
    expect(filled).toMatchObject({ subject: 'Order A-1001', empty: [] });
    const empty = await previewSendAs(db, admin, 'orders', input, link);
    expect(empty).toMatchObject({ subject: 'Order ', empty: ['event'] });
  });
});
