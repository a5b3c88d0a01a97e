/**
 * Where nodes go: "Tidy layout" lays the whole flow out top to bottom with dagre (a layered-graph layout
 * library), and a step added while a node is selected goes right under it, connected to it.
 */
import { Graph, layout } from '@dagrejs/dagre';
import { NODE_KINDS } from '@domain/flow/nodes';
import { type EditorEdge, type EditorNode, edgeIdFor } from '@/components/flow-editor/types';

export const NODE_WIDTH = 240;
export const NODE_HEIGHT = 90;
/** The vertical gap between a step and the next. */
const RANK_GAP = 60;

const sizeOf = (n: EditorNode) => ({ width: n.measured?.width ?? NODE_WIDTH, height: n.measured?.height ?? NODE_HEIGHT });

/** Every node placed by dagre, top to bottom in the order of the connections; nodes not connected go beside. */
export function tidyLayout(nodes: EditorNode[], edges: EditorEdge[]): EditorNode[] {
  const graph = new Graph();
  graph.setGraph({ rankdir: 'TB', nodesep: 50, ranksep: RANK_GAP, marginx: 0, marginy: 0 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) graph.setNode(n.id, sizeOf(n));
  for (const e of edges) if (graph.hasNode(e.source) && graph.hasNode(e.target)) graph.setEdge(e.source, e.target);
  layout(graph);
  return nodes.map((n) => {
    const placed = graph.node(n.id);
    if (!placed || placed.x === undefined || placed.y === undefined) return n;
    const { width, height } = sizeOf(n);
    // dagre gives centres; React Flow positions are top-left corners.
    return { ...n, position: { x: Math.round(placed.x - width / 2), y: Math.round(placed.y - height / 2) } };
  });
}

/**
 * Adds `node` under `after`, connected: after → node, and, when `after` already led somewhere and the
 * new step has a next step, node → (what came after), with that part of the flow moved down to make
 * room. A new Exit under a node that already leads somewhere is placed but left unconnected (an Exit
 * ends the journey, so it would cut off the steps after it).
 */
export function firstBranch(node: EditorNode): string | undefined {
  const kind = NODE_KINDS[node.type];
  return kind.outputs === 'branches' ? (kind.branches as (data: unknown) => { id: string }[] | undefined)?.(node.data)?.[0]?.id : undefined;
}

export function insertBelow(
  nodes: EditorNode[],
  edges: EditorEdge[],
  afterId: string,
  node: EditorNode,
): { nodes: EditorNode[]; edges: EditorEdge[] } {
  const after = nodes.find((n) => n.id === afterId);
  // Under a Condition the new step is placed, not connected: the person chooses its branch.
  if (!after || NODE_KINDS[after.type].outputs !== 1) return { nodes: [...nodes, node], edges };
  const placed: EditorNode = { ...node, position: { x: after.position.x, y: after.position.y + sizeOf(after).height + RANK_GAP } };
  const out = edges.find((e) => e.source === afterId);
  const link = (source: string, target: string, sourceHandle?: string): EditorEdge => ({
    id: edgeIdFor(source, target, sourceHandle),
    source,
    target,
    ...(sourceHandle ? { sourceHandle } : {}),
  });
  if (!out) return { nodes: [...nodes, placed], edges: [...edges, link(afterId, placed.id)] };
  if (NODE_KINDS[placed.type].outputs === 0) {
    const aside: EditorNode = { ...placed, position: { x: placed.position.x + NODE_WIDTH + 50, y: placed.position.y } };
    return { nodes: [...nodes, aside], edges };
  }
  return {
    nodes: [...moveDown(nodes, edges, out.target, afterId, sizeOf(placed).height + RANK_GAP), placed],
    // A new Condition goes on by its first branch; the others wait to be connected (compile names them).
    edges: [...edges.filter((e) => e.id !== out.id), link(afterId, placed.id), link(placed.id, out.target, firstBranch(placed))],
  };
}

/** The nodes with `from` and the steps after it (up to `stop`) moved down by `shift`. */
function moveDown(nodes: EditorNode[], edges: EditorEdge[], from: string, stop: string, shift: number): EditorNode[] {
  const below = new Set<string>();
  const nextOf = new Map(edges.map((e) => [e.source, e.target]));
  for (let id: string | undefined = from; id !== undefined && !below.has(id) && id !== stop; id = nextOf.get(id)) below.add(id);
  return nodes.map((n) => (below.has(n.id) ? { ...n, position: { x: n.position.x, y: n.position.y + shift } } : n));
}

/**
 * Puts `node` (already placed where it was dropped) on the connection `edgeId`: source → node → target,
 * with the target and what follows it moved down when the new step would overlap them. A step that ends
 * the journey (an Exit) cannot go in the middle of one: it is added unconnected, and the connection stays.
 */
export function insertOnEdge(
  nodes: EditorNode[],
  edges: EditorEdge[],
  edgeId: string,
  node: EditorNode,
): { nodes: EditorNode[]; edges: EditorEdge[]; inserted: boolean } {
  const edge = edges.find((e) => e.id === edgeId);
  if (!edge || NODE_KINDS[node.type].outputs === 0) return { nodes: [...nodes, node], edges, inserted: false };
  const target = nodes.find((n) => n.id === edge.target);
  const room = node.position.y + sizeOf(node).height + RANK_GAP - (target?.position.y ?? Number.POSITIVE_INFINITY);
  const moved = room > 0 ? moveDown(nodes, edges, edge.target, edge.source, room) : nodes;
  const link = (source: string, target: string, sourceHandle?: string | null): EditorEdge => ({
    id: edgeIdFor(source, target, sourceHandle ?? undefined),
    source,
    target,
    ...(sourceHandle ? { sourceHandle } : {}),
  });
  return {
    nodes: [...moved, node],
    // The connection keeps its branch (from a Condition); a new Condition goes on by its first branch.
    edges: [...edges.filter((e) => e.id !== edge.id), link(edge.source, node.id, edge.sourceHandle), link(node.id, edge.target, firstBranch(node))],
    inserted: true,
  };
}
