/** Graphs with an A/B split, shared by the split, journey and campaign tests. */
import type { FlowGraph } from '../domain/flow/schema';
import { SCHEMA_VERSION } from '../domain/flow/schema';

const at = (x: number, y: number) => ({ x, y });

/** Trigger → A/B split "ab" → per branch: Send Email "send-<id>" (subject "Variant <label>") → Exit. */
export function splitFlow(profileId: string, branches: { id: string; label: string; percent: number }[]): FlowGraph {
  const nodes: unknown[] = [
    { id: 'trigger', type: 'trigger', position: at(0, 0), data: { source: 'audience' } },
    { id: 'ab', type: 'split', position: at(0, 150), data: { branches } },
  ];
  const edges: { id: string; source: string; target: string; sourceHandle?: string }[] = [{ id: 'e-trigger', source: 'trigger', target: 'ab' }];
  for (const [i, b] of branches.entries()) {
    nodes.push(
      {
        id: `send-${b.id}`,
        type: 'sendEmail',
        position: at(i * 280 - 140, 320),
        data: { profileId, subject: `Variant ${b.label}`, text: `Hi {{name}}, variant ${b.label}` },
      },
      { id: `exit-${b.id}`, type: 'exit', position: at(i * 280 - 140, 480), data: {} },
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
