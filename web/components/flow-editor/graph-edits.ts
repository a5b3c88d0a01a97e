/**
 * Edits of several nodes and connections at once, as pure functions of the canvas's nodes and edges:
 * copy and paste, and joining the neighbours of deleted nodes.
 */
import { NODE_KINDS } from '@domain/flow/nodes';
import { type EditorEdge, type EditorNode, edgeIdFor, newNodeId, toEditorEdge } from '@/components/flow-editor/types';

/** What Ctrl/Cmd+C copied: nodes and the connections between them. */
export interface Clip {
  nodes: EditorNode[];
  edges: EditorEdge[];
}

/** How far each paste lands from what was copied, so pasted nodes never sit exactly on others. */
export const PASTE_OFFSET = 40;

/** The selected nodes (never the Trigger: a flow has one) and the connections among them; undefined when none is selected. */
export function copySelection(nodes: EditorNode[], edges: EditorEdge[]): Clip | undefined {
  const copied = nodes.filter((n) => n.selected && !NODE_KINDS[n.type].unique);
  if (copied.length === 0) return undefined;
  const ids = new Set(copied.map((n) => n.id));
  return {
    nodes: copied.map((n) => ({ ...n, selected: false, dragging: false })),
    edges: edges.filter((e) => ids.has(e.source) && ids.has(e.target)).map(toEditorEdge),
  };
}

/**
 * The clip as new nodes (fresh ids, shifted by `times` × PASTE_OFFSET, selected) and their connections,
 * rewired to the new ids. `taken` holds the ids already on the canvas.
 */
export function pasteClip(clip: Clip, taken: ReadonlySet<string>, times: number): Clip {
  const used = new Set(taken);
  const newIds = new Map<string, string>();
  for (const n of clip.nodes) {
    const id = newNodeId(n.type, used);
    used.add(id);
    newIds.set(n.id, id);
  }
  const shift = PASTE_OFFSET * times;
  const nodes = clip.nodes.map(
    (n): EditorNode => ({
      ...n,
      id: newIds.get(n.id) ?? n.id,
      position: { x: n.position.x + shift, y: n.position.y + shift },
      selected: true,
      measured: undefined,
    }),
  );
  const edges = clip.edges.flatMap((e) => {
    const source = newIds.get(e.source);
    const target = newIds.get(e.target);
    const handle = e.sourceHandle ? { sourceHandle: e.sourceHandle } : {};
    return source && target ? [{ id: edgeIdFor(source, target, e.sourceHandle), source, target, ...handle, selected: false }] : [];
  });
  return { nodes, edges };
}

/**
 * When nodes are deleted, the connections that join what came before them to what came after: for
 * Trigger → A → B → Exit, deleting A (or A and B) connects the Trigger to B (or to the Exit). Only nodes'
 * deletions reconnect; a connection deleted on its own stays deleted. A node already connected to that
 * next step, or a step that would point at itself, gets nothing new.
 */
export function reconnectAround(deletedNodeIds: ReadonlySet<string>, edges: EditorEdge[]): EditorEdge[] {
  if (deletedNodeIds.size === 0) return [];
  const nextOf = new Map<string, string>();
  for (const e of edges) if (!nextOf.has(e.source)) nextOf.set(e.source, e.target);
  const keyOf = (source: string, handle: string | null | undefined, target: string) => `${source}|${handle ?? ''}→${target}`;
  const existing = new Set(
    edges.filter((e) => !deletedNodeIds.has(e.source) && !deletedNodeIds.has(e.target)).map((e) => keyOf(e.source, e.sourceHandle, e.target)),
  );
  const added: EditorEdge[] = [];
  for (const e of edges) {
    if (deletedNodeIds.has(e.source) || !deletedNodeIds.has(e.target)) continue;
    // Walk past the deleted nodes to the first one that stays.
    const seen = new Set<string>();
    let next: string | undefined = e.target;
    while (next !== undefined && deletedNodeIds.has(next) && !seen.has(next)) {
      seen.add(next);
      next = nextOf.get(next);
    }
    if (next === undefined || deletedNodeIds.has(next) || next === e.source) continue;
    const key = keyOf(e.source, e.sourceHandle, next);
    if (existing.has(key)) continue;
    existing.add(key);
    // A branch of a Condition that led to the deleted step now leads past it, from the same branch.
    added.push({
      id: edgeIdFor(e.source, next, e.sourceHandle),
      source: e.source,
      target: next,
      ...(e.sourceHandle ? { sourceHandle: e.sourceHandle } : {}),
    });
  }
  return added;
}
