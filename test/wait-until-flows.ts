/**
 * The journeys of test/wait-until.test.ts. Abandoned cart: "cart_updated" → Wait until "purchased" with
 * the same cart_id (2 hours) → "Thanks" or "Reminder". Onboarding with a goal: "signed_up" → Welcome →
 * Delay 1 day → Tips, ended by the goal "purchased" where amount is set.
 */
import type { ContactFilter } from '../domain/contact-filter';
import type { EventMatch } from '../domain/flow/event-match';
import { type FlowGraph, SCHEMA_VERSION } from '../domain/flow/schema';

const at = (x: number, y: number) => ({ x, y });
const send = (id: string, subject: string, y: number, x = 0) => ({
  id,
  type: 'sendEmail',
  position: at(x, y),
  data: { profileId: 'sandbox', subject, text: `${subject}, {{ name }}.` },
});

/** Trigger → Wait until (an event, or a condition on the contact) → "met" send or "timed out" send, each to an Exit. */
export function waitUntilFlow(event: string, until: { kind: 'event'; match: EventMatch } | { kind: 'contact'; filter: ContactFilter }): FlowGraph {
  return {
    schemaVersion: SCHEMA_VERSION,
    nodes: [
      { id: 'trigger', type: 'trigger', position: at(0, 0), data: { source: 'event', event, reentry: 'always' } },
      { id: 'wait', type: 'waitUntil', position: at(0, 150), data: { until, maxWait: 2, unit: 'hours' } },
      send('thanks', 'Thanks', 300, -150),
      send('remind', 'Reminder', 300, 150),
      { id: 'exit-thanks', type: 'exit', position: at(-150, 450), data: {} },
      { id: 'exit-remind', type: 'exit', position: at(150, 450), data: {} },
    ],
    edges: [
      { id: 'e1', source: 'trigger', target: 'wait' },
      { id: 'e-met', source: 'wait', target: 'thanks', sourceHandle: 'met' },
      { id: 'e-timed-out', source: 'wait', target: 'remind', sourceHandle: 'timedOut' },
      { id: 'e2', source: 'thanks', target: 'exit-thanks' },
      { id: 'e3', source: 'remind', target: 'exit-remind' },
    ],
  } as FlowGraph;
}

/** Trigger (with a goal) → Welcome → Delay 1 day → Tips → Exit. */
export function goalFlow(event: string, goal: EventMatch): FlowGraph {
  return {
    schemaVersion: SCHEMA_VERSION,
    nodes: [
      { id: 'trigger', type: 'trigger', position: at(0, 0), data: { source: 'event', event, reentry: 'always', goal } },
      send('welcome', 'Welcome', 150),
      { id: 'day', type: 'delay', position: at(0, 300), data: { mode: 'fixed', amount: 1, unit: 'days' } },
      send('tips', 'Tips', 450),
      { id: 'done', type: 'exit', position: at(0, 600), data: {} },
    ],
    edges: [
      { id: 'e1', source: 'trigger', target: 'welcome' },
      { id: 'e2', source: 'welcome', target: 'day' },
      { id: 'e3', source: 'day', target: 'tips' },
      { id: 'e4', source: 'tips', target: 'done' },
    ],
  } as FlowGraph;
}
