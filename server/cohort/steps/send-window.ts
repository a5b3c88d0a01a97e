/**
 * A campaign's Send window: each due recipient gets the next time the window is open in their own
 * time zone (their `timezone` attribute, else the step's), counted from now (never from a due time
 * already past: a late wake-up must not send outside the window). One window computation per zone per
 * call, then a keyed draw per contact for Randomize (a retried activity draws the same).
 */
import { keyedRandom } from '../../../domain/flow/draw';
import { contactZone } from '../../../domain/flow/nodes/send-window';
import type { SendWindowStep } from '../../../domain/flow/plan';
import { pickInWindow, windowInterval } from '../../../domain/flow/send-window';
import { dueRecipientZones, rescheduleRecipients } from '../../db/due-recipients';
import { byPages, type CohortStep } from '../step';

export const sendWindow: CohortStep<SendWindowStep> = {
  sentInBatches: false,
  async advance({ db, runId, nodeId, seed, nowMs }, step) {
    // Per call: each distinct timezone value checked once, each zone's window computed once.
    const zones = new Map<string, string>();
    const intervals = new Map<string, { start: number; end: number }>();
    const dueAt = (contactId: string, timezone: unknown) => {
      const raw = typeof timezone === 'string' ? timezone : '';
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
      return { windowOpensAt: interval.start, dueAt: pickInWindow(interval, step.randomize, keyedRandom(seed, `${nodeId}\n${contactId}`)) };
    };
    return byPages(
      () => dueRecipientZones(db, runId, nodeId, nowMs),
      (page) =>
        rescheduleRecipients(
          db,
          runId,
          nodeId,
          'window',
          nowMs,
          page.map((r) => ({ contactId: r.contactId, next: step.next, ...dueAt(r.contactId, r.timezone) })),
        ),
    );
  },
};
