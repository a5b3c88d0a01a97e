/** A journey with a Webhook, shared by the webhook tests: Trigger (an event) → Webhook "hook" → Exit "sent" or Exit "not-sent". */
import { type FlowGraph, SCHEMA_VERSION } from '../domain/flow/schema';

export function webhookFlow(url: string, body: string, source: 'event' | 'audience' = 'event'): FlowGraph {
  const at = (x: number, y: number) => ({ x, y });
  return {
    schemaVersion: SCHEMA_VERSION,
    nodes: [
      {
        id: 'trigger',
        type: 'trigger',
        position: at(0, 0),
        data: source === 'event' ? { source, event: 'signed_up', reentry: 'always' } : { source },
      },
      { id: 'hook', type: 'webhook', position: at(0, 150), data: { url, body } },
      { id: 'sent', type: 'exit', position: at(-140, 320), data: {} },
      { id: 'not-sent', type: 'exit', position: at(140, 320), data: {} },
    ],
    edges: [
      { id: 'e-trigger', source: 'trigger', target: 'hook' },
      { id: 'e-ok', source: 'hook', target: 'sent', sourceHandle: 'success' },
      { id: 'e-failed', source: 'hook', target: 'not-sent', sourceHandle: 'failure' },
    ],
  } as FlowGraph;
}

export const CONTACT_BODY = '{"email": "{{ email }}", "name": "{{ name }}", "plan": "{{ plan | default: "free" }}"}';
