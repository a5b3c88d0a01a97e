/**
 * A campaign's Send window: each due recipient gets the next time the window is open in their own
 * time zone (their `timezone` attribute, else the step's). One window computation per zone per call,
 * then a keyed draw per contact for Randomize (a retried activity or a replay draws the same).
 */
import { keyedRandom } from '../../domain/flow/draw';
import { contactZone } from '../../domain/flow/nodes/send-window';
import type { SendWindowStep } from '../../domain/flow/plan';
import { pickInWindow, windowInterval } from '../../domain/flow/send-window';
import { now, sql, type Db } from '.';
import { dueAtNode } from './due-recipients';

/**
 * Moves every recipient due at this Send window to its next step, due when the window next lets
 * them through, counted from `nowMs` (never from a due time already past: a late wake-up must not
 * send outside the window). Returns how many moved.
 */
export async function scheduleSendWindow(db: Db, runId: string, nodeId: string, step: SendWindowStep, seed: number, nowMs: number): Promise<number> {
  // Per call: each distinct timezone value checked once, each zone's window computed once.
  const zones = new Map<string, string>();
  const intervals = new Map<string, { start: number; end: number }>();
  let moved = 0;
  for (;;) {
    const page = await dueAtNode(db, runId, nodeId, nowMs)
      .innerJoin('contacts', 'contacts.id', 'runRecipients.contactId')
      .select(['runRecipients.contactId', sql<unknown>`json_extract(contacts.attributes, '$.timezone')`.as('timezone')])
      .execute();
    if (page.length === 0) return moved;
    const at = now();
    await db.transaction().execute(async (trx) => {
      for (const r of page) {
        const raw = typeof r.timezone === 'string' ? r.timezone : '';
        let zone = zones.get(raw);
        if (zone === undefined) {
          zone = contactZone({ timezone: raw }, step.timeZone);
          zones.set(raw, zone);
        }
        let interval = intervals.get(zone);
        if (!interval) {
          interval = windowInterval(nowMs, step, zone);
          intervals.set(zone, interval);
        }
        const dueAt = pickInWindow(interval, step.randomize, keyedRandom(seed, `${nodeId}\n${r.contactId}`));
        await trx
          .updateTable('runRecipients')
          .set({ nodeId: step.next, dueAt, updatedAt: at })
          .where('runId', '=', runId)
          .where('contactId', '=', r.contactId)
          .where('nodeId', '=', nodeId)
          .execute();
      }
    });
    moved += page.length;
  }
}
