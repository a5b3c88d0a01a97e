/** Graphs with an A/B split, shared by the split, journey and campaign tests. */
import type { FlowGraph } from '../domain/flow/schema';
import { SCHEMA_VERSION } from '../domain/flow/schema';

const at = { x: 0, y: 0 };

/** Trigger → A/B split "ab" → per branch: Send Email "send-<id>" (subject "Variant <label>") → Exit. */
export function splitFlow(profileId: string, branches: { id: string; label: string; percent: number }[]): FlowGraph {
  const nodes: unknown[] = [
    { id: 'trigger', type: 'trigger', position: at, data: { source: 'audience' } },
    { id: 'ab', type: 'split', position: at, data: { branches } },
  ];
  const edges: { id: string; source: string; target: string; sourceHandle?: string }[] = [{ id: 'e-trigger', source: 'trigger', target: 'ab' }];
  for (const b of branches) {
    nodes.push(
      {
        id: `send-${b.id}`,
        type: 'sendEmail',
        position: at,
        data: { profileId, subject: `Variant ${b.label}`, text: `Hi {{name}}, variant ${b.label}` },
      },
      { id: `exit-${b.id}`, type: 'exit', position: at, data: {} },
    );
    edges.push(
      { id: `e-ab-${b.id}`, source: 'ab', target: `send-${b.id}`, sourceHandle: b.id },
      { id: `e-send-${b.id}`, source: `send-${b.id}`, target: `exit-${b.id}` },
    );
  }
  return { schemaVersion: SCHEMA_VERSION, nodes, edges } as FlowGraph;
}

export const HALVES = [
  { id: 'a', label: 'A', percent: 50 },
  { id: 'b', label: 'B', percent: 50 },
];
