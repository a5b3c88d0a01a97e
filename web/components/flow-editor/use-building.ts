'use client';
/**
 * Building with the mouse: a step dragged from the palette lands where it is dropped, or, dropped on a
 * connection, goes in the middle of it, or, dropped on a node's output (a branch's dot), goes after it;
 * room is made for it, so it covers no other step. A connection dragged from a handle and dropped on a node's body
 * connects to that node, and dropped on empty canvas opens a picker of steps that adds one there,
 * connected (React Flow's drag-and-drop and `onConnectEnd` patterns). Generic over the node registry.
 */
import { type Connection, type OnConnectEnd, useReactFlow } from '@xyflow/react';
import { type Dispatch, type DragEvent, type RefObject, type SetStateAction, useCallback, useState } from 'react';
import { NODE_KINDS, NODE_TYPES, type NodeType } from '@domain/flow/nodes';
import { firstBranch, insertAfter, insertOnEdge, NODE_HEIGHT, NODE_WIDTH, withRoomFor } from '@/components/flow-editor/layout';
import { isVisible } from '@/components/flow-editor/placement';
import { type EditorEdge, type EditorNode, edgeIdFor, newEditorNode, newNodeId, type SenderProfile } from '@/components/flow-editor/types';
import { fitViewOptions } from '@/components/flow-editor/use-canvas-edits';

/** The drag-and-drop type a palette item carries: the node type to add. */
export const STEP_DRAG_TYPE = 'application/x-dripline-step';

/** The node types a person may add (the Trigger is the flow's one and only). */
export const ADDABLE_TYPES = NODE_TYPES.filter((type) => !NODE_KINDS[type].unique);

/** Where a dragged connection was dropped on empty canvas: the picker shows there, and what it adds is connected to `fromId`. */
export interface PendingStep {
  /** Where the picker shows, in pixels from the canvas's top-left corner. */
  left: number;
  top: number;
  /** Where the new step goes, in flow coordinates (the drop point). */
  flow: { x: number; y: number };
  fromId: string;
  /** The connection was dragged out of the node's output (the new step comes after it) or its input (before it). */
  fromSide: 'source' | 'target';
  fromHandle: string | null;
}

/** The id of the element of this class (a node or a connection) under a screen point, if any. */
function idAt(x: number, y: number, className: string): string | undefined {
  for (const element of document.elementsFromPoint(x, y)) {
    const found = element.closest(`.${className}`);
    const id = found?.getAttribute('data-id');
    if (id) return id;
  }
  return undefined;
}

/** The node output (a source handle: a branch's dot, or the only one) under a screen point, if any. */
function outputAt(x: number, y: number): { nodeId: string; handle: string | null } | undefined {
  for (const element of document.elementsFromPoint(x, y)) {
    const found = element.closest('.react-flow__handle.source');
    const nodeId = found?.getAttribute('data-nodeid');
    if (nodeId) return { nodeId, handle: found?.getAttribute('data-handleid') || null };
  }
  return undefined;
}

export function useBuilding(options: {
  canvasRef: RefObject<HTMLDivElement | null>;
  profiles: SenderProfile[];
  setNodes: Dispatch<SetStateAction<EditorNode[]>>;
  setEdges: Dispatch<SetStateAction<EditorEdge[]>>;
  record: () => void;
  isValidConnection: (connection: Connection) => boolean;
  connect: (connection: Connection) => void;
}) {
  const { canvasRef, profiles, setNodes, setEdges, record, isValidConnection, connect } = options;
  const reactFlow = useReactFlow<EditorNode, EditorEdge>();
  const [dropEdgeId, setDropEdgeId] = useState<string | null>(null);
  const [pending, setPending] = useState<PendingStep | null>(null);

  /** A new node of this type whose top centre is at `at` (flow coordinates), selected, everything else deselected. */
  const makeNode = useCallback(
    (type: NodeType, at: { x: number; y: number }) => {
      const taken = new Set(reactFlow.getNodes().map((n) => n.id));
      const defaultProfile = profiles.find((p) => p.isDefault) ?? profiles[0];
      const position = { x: Math.round(at.x - NODE_WIDTH / 2), y: Math.round(at.y) };
      return newEditorNode(type, newNodeId(type, taken), position, { defaultProfileId: defaultProfile?.id ?? '' });
    },
    [profiles, reactFlow],
  );
  /** Shows the canvas after an edit; when room was made by moving the new step out of view, the whole flow is brought into view. */
  const show = useCallback(
    (next: { nodes: EditorNode[]; edges: EditorEdge[] }, addedId: string) => {
      setNodes(next.nodes);
      setEdges(next.edges);
      const added = next.nodes.find((n) => n.id === addedId);
      if (added && !isVisible(added.position, canvasRef.current, reactFlow.screenToFlowPosition))
        requestAnimationFrame(() => void reactFlow.fitView({ ...fitViewOptions, duration: 250 }));
    },
    [canvasRef, reactFlow, setEdges, setNodes],
  );
  const deselected = useCallback(
    () => ({
      nodes: reactFlow.getNodes().map((n) => (n.selected ? { ...n, selected: false } : n)),
      edges: reactFlow.getEdges().map((e) => (e.selected ? { ...e, selected: false } : e)),
    }),
    [reactFlow],
  );

  const onDragOver = useCallback((event: DragEvent) => {
    if (!event.dataTransfer.types.includes(STEP_DRAG_TYPE)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    setDropEdgeId(idAt(event.clientX, event.clientY, 'react-flow__edge') ?? null);
  }, []);

  const onDragLeave = useCallback(() => setDropEdgeId(null), []);

  /**
   * A palette step dropped on the canvas: placed at the drop point, after the output or on the
   * connection under it if there is one, with room made for it.
   */
  const onDrop = useCallback(
    (event: DragEvent) => {
      setDropEdgeId(null);
      const type = ADDABLE_TYPES.find((t) => t === event.dataTransfer.getData(STEP_DRAG_TYPE));
      if (!type) return;
      event.preventDefault();
      record();
      const at = reactFlow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      const node = makeNode(type, { x: at.x, y: at.y - NODE_HEIGHT / 2 });
      const current = deselected();
      const output = outputAt(event.clientX, event.clientY);
      const edgeId = idAt(event.clientX, event.clientY, 'react-flow__edge');
      const next = output
        ? insertAfter(current.nodes, current.edges, output.nodeId, output.handle, node)
        : edgeId
          ? insertOnEdge(current.nodes, current.edges, edgeId, node)
          : withRoomFor([...current.nodes, node], current.edges, node.id);
      show(next, node.id);
    },
    [deselected, makeNode, reactFlow, record, show],
  );

  /**
   * A connection let go of somewhere other than a handle: on a node's body it connects to that node; on
   * empty canvas it opens the picker of steps.
   */
  const onConnectEnd = useCallback<OnConnectEnd>(
    (event, state) => {
      if (state.isValid || !state.fromNode || !state.fromHandle) return;
      const point = 'changedTouches' in event ? event.changedTouches[0] : event;
      if (!point) return;
      const fromId = state.fromNode.id;
      const fromSide = state.fromHandle.type;
      const onNode = idAt(point.clientX, point.clientY, 'react-flow__node');
      if (onNode) {
        const connection: Connection =
          fromSide === 'source'
            ? { source: fromId, target: onNode, sourceHandle: state.fromHandle.id ?? null, targetHandle: null }
            : { source: onNode, target: fromId, sourceHandle: null, targetHandle: state.fromHandle.id ?? null };
        if (onNode !== fromId && isValidConnection(connection)) connect(connection);
        return;
      }
      const rect = canvasRef.current?.getBoundingClientRect();
      if (!rect) return;
      setPending({
        left: point.clientX - rect.left,
        top: point.clientY - rect.top,
        flow: reactFlow.screenToFlowPosition({ x: point.clientX, y: point.clientY }),
        fromId,
        fromSide,
        fromHandle: state.fromHandle.id ?? null,
      });
    },
    [canvasRef, connect, isValidConnection, reactFlow],
  );

  /** The picker's choice: the step, where the connection was dropped (room made for it), connected to the node it came from. */
  const addPending = useCallback(
    (type: NodeType) => {
      if (!pending) return;
      setPending(null);
      record();
      const before = pending.fromSide === 'target';
      const node = makeNode(type, before ? { x: pending.flow.x, y: pending.flow.y - NODE_HEIGHT } : pending.flow);
      const source = before ? node.id : pending.fromId;
      const target = before ? pending.fromId : node.id;
      const current = deselected();
      // Out of a Condition: the branch it was dragged from, or (a new Condition before a step) its first branch.
      const sourceHandle = before ? firstBranch(node) : pending.fromHandle;
      const edge: EditorEdge = { id: edgeIdFor(source, target, sourceHandle), source, target, ...(sourceHandle ? { sourceHandle } : {}) };
      show(withRoomFor([...current.nodes, node], [...current.edges, edge], node.id), node.id);
    },
    [deselected, makeNode, pending, record, show],
  );

  /** The steps the picker offers: before a node's input, only steps that lead somewhere. */
  const pendingChoices = pending ? ADDABLE_TYPES.filter((t) => pending.fromSide === 'source' || NODE_KINDS[t].outputs !== 0) : [];

  return { dropEdgeId, onDragOver, onDragLeave, onDrop, onConnectEnd, pending, pendingChoices, addPending, cancelPending: () => setPending(null) };
}
