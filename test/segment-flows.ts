/** Flows whose Trigger is a contact entering a segment, for the segment trigger's tests. */
import type { ReentryPolicy } from '../domain/flow/nodes/trigger';
import type { FlowGraph } from '../domain/flow/schema';

/** Trigger (enters the segment) → [Delay] → Send Email (the sandbox profile) → Exit; with `goalSegmentId`, entering that one is the goal. */
export function segmentGraph(
  segmentId: string,
  reentry: ReentryPolicy,
  options: { subject?: string; goalSegmentId?: string; delayMinutes?: number } = {},
): FlowGraph {
  const delay = options.delayMinutes !== undefined;
  return {
    schemaVersion: 1,
    nodes: [
      {
        id: 't',
        type: 'trigger',
        position: { x: 0, y: 0 },
        data: { source: 'segment', segmentId, reentry, ...(options.goalSegmentId ? { goalSegmentId: options.goalSegmentId } : {}) },
      },
      ...(delay
        ? [
            {
              id: 'd',
              type: 'delay' as const,
              position: { x: 0, y: 50 },
              data: { mode: 'fixed' as const, amount: options.delayMinutes!, unit: 'minutes' as const },
            },
          ]
        : []),
      {
        id: 's',
        type: 'sendEmail',
        position: { x: 0, y: 100 },
        data: { profileId: 'sandbox', subject: options.subject ?? 'Welcome {{ name }}', text: 'Hi {{ name }}' },
      },
      { id: 'x', type: 'exit', position: { x: 0, y: 200 }, data: {} },
    ],
    edges: [
      { id: 'e1', source: 't', target: delay ? 'd' : 's' },
      ...(delay ? [{ id: 'e0', source: 'd', target: 's' }] : []),
      { id: 'e2', source: 's', target: 'x' },
    ],
  };
}
