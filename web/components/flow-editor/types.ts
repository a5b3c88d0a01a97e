/**
 * The editor's React Flow nodes and the mapping between them and the saved graph, derived from the
 * node registry (domain/flow/nodes): one typed React Flow node per node type, carrying that type's data.
 */
import type { Edge, Node, XYPosition } from '@xyflow/react';
import type { AttributeType } from '@domain/contact';
import type { NodeDefaultsContext, NodeKind } from '@domain/flow/node';
import { NODE_KINDS, type NodeData, type NodeType } from '@domain/flow/nodes';
import { type FlowGraph, SCHEMA_VERSION } from '@domain/flow/schema';

/**
 * The React Flow node of one node type. `type` is required, so it tells the members of EditorNode apart;
 * `name` is the step's own name (React Flow keeps fields it does not know on the node as they are).
 */
export type EditorNodeOf<T extends NodeType> = Node<NodeData<T>, T> & { type: T; name?: string | undefined };

/**
 * For a union of node types, the union of their nodes, each with its own data (not one node whose
 * type and data are two unrelated unions). Generic code over T returns these, so callers with a
 * concrete type get exactly their node.
 */
type EditorNodeFor<T extends NodeType> = { [P in T]: EditorNodeOf<P> }[T];
type SavedNodeFor<T extends NodeType> = {
  [P in T]: { id: string; type: P; name?: string | undefined; position: XYPosition; data: NodeData<P> };
}[T];

export type EditorNode = EditorNodeFor<NodeType>;
export type EditorEdge = Edge;

/**
 * The registry, typed so that indexing it with a node type T gives T's own module (its defaults return
 * T's data). Checked, not cast: each module's declared type matches its entry here.
 */
const KINDS: { [T in NodeType]: NodeKind<T, NodeData<T>, unknown> } = NODE_KINDS;

/** An attribute contacts may carry, and its type (the same for every contact). */
export interface ContactAttributeType {
  name: string;
  type: AttributeType;
}

/** The fields of an SMTP profile the Sender select shows (a slice of SmtpProfileView: never a password). */
export interface SenderProfile {
  id: string;
  name: string;
  fromEmail: string;
  fromName: string;
  /** The profile this user's own sends use by default: new Send nodes start with it. */
  isDefault: boolean;
}

function toEditorNode<T extends NodeType>(node: SavedNodeFor<T>): EditorNodeFor<T> {
  // The unique node (the Trigger) cannot be deleted.
  const editorNode: EditorNodeOf<T> = {
    id: node.id,
    type: node.type,
    ...(node.name ? { name: node.name } : {}),
    position: node.position,
    data: node.data,
    deletable: !KINDS[node.type].unique,
  };
  return editorNode;
}

/** Only what the schema saves: React Flow's own fields (selected, measured, ...) stay in the editor. */
function toFlowNode<T extends NodeType>(node: EditorNodeFor<T>): SavedNodeFor<T> {
  const name = node.name?.trim();
  const saved: SavedNodeFor<T> = {
    id: node.id,
    type: node.type,
    ...(name ? { name } : {}),
    position: { x: node.position.x, y: node.position.y },
    data: node.data,
  };
  return saved;
}

/** An edge; one leaving a branch of a Condition carries the branch id as its sourceHandle. */
export function toEditorEdge(edge: { id: string; source: string; target: string; sourceHandle?: string | null | undefined }): EditorEdge {
  return { id: edge.id, source: edge.source, target: edge.target, ...(edge.sourceHandle ? { sourceHandle: edge.sourceHandle } : {}) };
}

/** The id of a new connection: a branch's includes the branch, so two branches may lead to one step. */
export const edgeIdFor = (source: string, target: string, sourceHandle?: string | null) =>
  sourceHandle ? `e-${source}-${sourceHandle}-${target}` : `e-${source}-${target}`;

export function toEditor(graph: FlowGraph): { nodes: EditorNode[]; edges: EditorEdge[] } {
  return { nodes: graph.nodes.map((n) => toEditorNode(n)), edges: graph.edges.map(toEditorEdge) };
}

/** What the editor saves: the graph exactly as the schema describes it. */
export function toGraph(nodes: EditorNode[], edges: EditorEdge[]): FlowGraph {
  return {
    schemaVersion: SCHEMA_VERSION,
    nodes: nodes.map((n) => toFlowNode(n)),
    edges: edges.map((e) => ({ id: e.id, source: e.source, target: e.target, ...(e.sourceHandle ? { sourceHandle: e.sourceHandle } : {}) })),
  };
}

/** A node added from the palette, selected, with its type's defaults. */
export function newEditorNode<T extends NodeType>(type: T, id: string, position: XYPosition, context: NodeDefaultsContext): EditorNodeFor<T> {
  const node: EditorNodeOf<T> = { id, type, position, selected: true, data: KINDS[type].defaults(context) };
  return node;
}

/** Node ids must match the schema's [A-Za-z0-9_-]; Math.random works on plain-http hosts too. */
export function newNodeId(type: NodeType, taken: Set<string>): string {
  for (;;) {
    const id = `${type}-${Math.random().toString(36).slice(2, 8)}`;
    if (!taken.has(id)) return id;
  }
}
