/** Flows whose Trigger is a contact joining a list, for the list trigger's tests. */
import type { ReentryPolicy } from '../domain/flow/nodes/trigger';
import type { FlowGraph } from '../domain/flow/schema';

/** Trigger (joins the list) → Send Email (the sandbox profile) → Exit. */
export function listGraph(listId: string, reentry: ReentryPolicy, subject = 'Welcome {{ name }}'): FlowGraph {
  return {
    schemaVersion: 1,
    nodes: [
      { id: 't', type: 'trigger', position: { x: 0, y: 0 }, data: { source: 'list', listId, reentry } },
      { id: 's', type: 'sendEmail', position: { x: 0, y: 100 }, data: { profileId: 'sandbox', subject, text: 'Hi {{ name }}' } },
      { id: 'x', type: 'exit', position: { x: 0, y: 200 }, data: {} },
    ],
    edges: [
      { id: 'e1', source: 't', target: 's' },
      { id: 'e2', source: 's', target: 'x' },
    ],
  };
}
