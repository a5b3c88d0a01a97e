/**
 * Where nodes go: "Tidy layout" lays the whole flow out top to bottom, branches side by side in the
 * order of their outputs; a step added under a node, dropped on a connection or on a branch's output,
 * or picked where a connection was let go, is connected and room is made for it (the geometry is in
 * domain/flow/placing.ts).
 */
import { NODE_KINDS } from '@domain/flow/nodes';
import { type Box, type Link, makeRoom, SIDE_GAP, STEP_GAP, tidy } from '@domain/flow/placing';
import { type EditorEdge, type EditorNode, edgeIdFor } from '@/components/flow-editor/types';

export const NODE_WIDTH = 240;
export const NODE_HEIGHT = 90;

/** The branches of a node with branches, in order (left to right on the canvas); none for the others. */
function branchesOf(node: EditorNode): { id: string }[] {
  const kind = NODE_KINDS[node.type];
  return kind.outputs === 'branches' ? ((kind.branches as (data: unknown) => { id: string }[] | undefined)?.(node.data) ?? []) : [];
}

/** The branch a new node with branches goes on by: its first. */
export const firstBranch = (node: EditorNode): string | undefined => branchesOf(node)[0]?.id;

const boxOf = (n: EditorNode): Box => ({
  id: n.id,
  x: n.position.x,
  y: n.position.y,
  width: n.measured?.width ?? NODE_WIDTH,
  height: n.measured?.height ?? NODE_HEIGHT,
});

function linksOf(nodes: EditorNode[], edges: EditorEdge[]): Link[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  return edges.map((e) => {
    const source = byId.get(e.source);
    const order = source && e.sourceHandle ? branchesOf(source).findIndex((b) => b.id === e.sourceHandle) : 0;
    return { source: e.source, target: e.target, order: Math.max(order, 0) };
  });
}

/** The nodes at the positions of these boxes (by index). */
const moveTo = (nodes: EditorNode[], boxes: Box[]): EditorNode[] =>
  nodes.map((n, i) => {
    const b = boxes[i];
    return b && (b.x !== n.position.x || b.y !== n.position.y) ? { ...n, position: { x: b.x, y: b.y } } : n;
  });

/** Every node placed top to bottom in the order of the connections, branches side by side; nodes not connected go beside. */
export function tidyLayout(nodes: EditorNode[], edges: EditorEdge[]): EditorNode[] {
  return moveTo(nodes, tidy(nodes.map(boxOf), linksOf(nodes, edges)));
}

/** The new node `placedId` (already among `nodes`, connected by `edges`) moved below what leads into it, and the steps in its way moved down. */
export function withRoomFor(nodes: EditorNode[], edges: EditorEdge[], placedId: string): { nodes: EditorNode[]; edges: EditorEdge[] } {
  return { nodes: moveTo(nodes, makeRoom(nodes.map(boxOf), linksOf(nodes, edges), placedId)), edges };
}

const link = (source: string, target: string, sourceHandle?: string | null): EditorEdge => ({
  id: edgeIdFor(source, target, sourceHandle),
  source,
  target,
  ...(sourceHandle ? { sourceHandle } : {}),
});

/**
 * Adds `node` under `after`, connected: after → node, and, when `after` already led somewhere and the
 * new step has a next step, node → (what came after), with that part of the flow moved down to make
 * room. A new Exit under a node that already leads somewhere is placed beside, unconnected (an Exit
 * ends the journey, so it would cut off the steps after it). Under a Condition the new step is placed,
 * not connected: the person chooses its branch.
 */
export function insertBelow(
  nodes: EditorNode[],
  edges: EditorEdge[],
  afterId: string,
  node: EditorNode,
): { nodes: EditorNode[]; edges: EditorEdge[] } {
  const after = nodes.find((n) => n.id === afterId);
  if (!after) return withRoomFor([...nodes, node], edges, node.id);
  const below = { x: after.position.x, y: after.position.y + boxOf(after).height + STEP_GAP };
  if (NODE_KINDS[after.type].outputs !== 1) return withRoomFor([...nodes, { ...node, position: below }], edges, node.id);
  const placed: EditorNode = { ...node, position: below };
  const out = edges.find((e) => e.source === afterId);
  if (!out) return withRoomFor([...nodes, placed], [...edges, link(afterId, placed.id)], placed.id);
  if (NODE_KINDS[placed.type].outputs === 0) {
    const aside: EditorNode = { ...placed, position: { x: below.x + NODE_WIDTH + SIDE_GAP, y: below.y } };
    return withRoomFor([...nodes, aside], edges, aside.id);
  }
  return insertOnEdge(nodes, edges, out.id, placed);
}

/**
 * Puts `node` (already placed where it was dropped) on the connection `edgeId`: source → node → target,
 * with room made for it. The connection keeps its branch (from a Condition); a new node with branches
 * goes on by its first. A step that ends the journey (an Exit) cannot go in the middle of one: it is
 * added unconnected, and the connection stays.
 */
export function insertOnEdge(
  nodes: EditorNode[],
  edges: EditorEdge[],
  edgeId: string,
  node: EditorNode,
): { nodes: EditorNode[]; edges: EditorEdge[]; inserted: boolean } {
  const edge = edges.find((e) => e.id === edgeId);
  if (!edge || NODE_KINDS[node.type].outputs === 0) return { ...withRoomFor([...nodes, node], edges, node.id), inserted: false };
  const rewired = [
    ...edges.filter((e) => e.id !== edge.id),
    link(edge.source, node.id, edge.sourceHandle),
    link(node.id, edge.target, firstBranch(node)),
  ];
  return { ...withRoomFor([...nodes, node], rewired, node.id), inserted: true };
}

/**
 * Puts `node` after the output `handle` of `sourceId` (a branch's, or the only one when null): in the
 * middle of the connection that leaves it if there is one (in line with the step after), else connected to it.
 */
export function insertAfter(
  nodes: EditorNode[],
  edges: EditorEdge[],
  sourceId: string,
  handle: string | null,
  node: EditorNode,
): { nodes: EditorNode[]; edges: EditorEdge[] } {
  const out = edges.find((e) => e.source === sourceId && (e.sourceHandle ?? null) === handle);
  // In line with the step it goes before, so that part of the flow stays straight.
  const next = out && nodes.find((n) => n.id === out.target);
  if (out) return insertOnEdge(nodes, edges, out.id, next ? { ...node, position: { x: next.position.x, y: node.position.y } } : node);
  return withRoomFor([...nodes, node], [...edges, link(sourceId, node.id, handle)], node.id);
}
