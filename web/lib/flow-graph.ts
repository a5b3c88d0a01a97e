/** Pure helpers shared by the flow pages, the editor and the API: no server or browser APIs. */
import { FlowEdge, FlowGraph, FlowNode, SCHEMA_VERSION } from '@domain/flow/schema';

/** The flow a "New flow" starts with: a Trigger and an Exit, not yet connected. */
export function newFlowGraph(): FlowGraph {
  return {
    schemaVersion: SCHEMA_VERSION,
    nodes: [
      { id: 'trigger', type: 'trigger', position: { x: 0, y: 0 }, data: { source: 'audience' } },
      { id: 'exit', type: 'exit', position: { x: 0, y: 240 }, data: {} },
    ],
    edges: [],
  };
}

/**
 * Reads a stored draft for the editor. Drafts are validated when saved, so this normally
 * succeeds whole; if one is damaged, the nodes and edges that still parse are kept and
 * the rest are reported instead of making the flow unopenable.
 */
export function loadDraft(raw: unknown): { graph: FlowGraph; problems: string[] } {
  const parsed = FlowGraph.safeParse(raw);
  if (parsed.success) return { graph: parsed.data, problems: [] };
  const record = raw && typeof raw === 'object' ? raw : {};
  const rawNodes: unknown[] = 'nodes' in record && Array.isArray(record.nodes) ? record.nodes : [];
  const rawEdges: unknown[] = 'edges' in record && Array.isArray(record.edges) ? record.edges : [];
  const problems: string[] = [];
  const nodes: FlowNode[] = [];
  rawNodes.forEach((n, i) => {
    const r = FlowNode.safeParse(n);
    if (r.success) nodes.push(r.data);
    else problems.push(`node ${i + 1} could not be loaded: ${r.error.issues[0]?.message ?? 'invalid'}`);
  });
  const edges = rawEdges.flatMap((e) => {
    const r = FlowEdge.safeParse(e);
    return r.success ? [r.data] : [];
  });
  if (edges.length < rawEdges.length) problems.push(`${rawEdges.length - edges.length} connection(s) could not be loaded`);
  if (!nodes.some((n) => n.type === 'trigger')) {
    nodes.unshift({ id: 'trigger', type: 'trigger', position: { x: 0, y: 0 }, data: { source: 'audience' } });
  }
  return { graph: { schemaVersion: SCHEMA_VERSION, nodes, edges }, problems };
}

export const FLOW_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
