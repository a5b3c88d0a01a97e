'use client';
/**
 * The canvas's rules and edits: which connections are allowed; adding, changing, deleting, copying and
 * pasting nodes and connections. Every edit records the canvas first (`record`), so undo can return to it.
 */
import { addEdge, type IsValidConnection, type OnBeforeDelete, type OnConnect, type OnDelete, useReactFlow } from '@xyflow/react';
import { type Dispatch, type RefObject, type SetStateAction, useCallback, useRef } from 'react';
import { NODE_KINDS, type NodeType } from '@domain/flow/nodes';
import { type Clip, copySelection, pasteClip, reconnectAround } from '@/components/flow-editor/graph-edits';
import { insertBelow, tidyLayout } from '@/components/flow-editor/layout';
import type { UpdateNode } from '@/components/flow-editor/node-panel';
import { freeSpot, isVisible } from '@/components/flow-editor/placement';
import { type EditorEdge, type EditorNode, edgeIdFor, newEditorNode, newNodeId, type SenderProfile } from '@/components/flow-editor/types';

export const fitViewOptions = { padding: 0.25, maxZoom: 1 };

/** What was copied last, kept for the tab's lifetime so it pastes into another flow too. */
let clipboard: { clip: Clip; pasted: number } | undefined;

export function useCanvasEdits(options: {
  canvasRef: RefObject<HTMLDivElement | null>;
  profiles: SenderProfile[];
  setNodes: Dispatch<SetStateAction<EditorNode[]>>;
  setEdges: Dispatch<SetStateAction<EditorEdge[]>>;
  /** Records the canvas before an edit; edits with the same key in quick succession make one undo step. */
  record: (key?: string | null) => void;
}) {
  const { canvasRef, profiles, setNodes, setEdges, record } = options;
  const reactFlow = useReactFlow<EditorNode, EditorEdge>();
  /** Connections that join the neighbours of the nodes being deleted by the keyboard, added once they are gone. */
  const pendingReconnect = useRef<EditorEdge[]>([]);

  /** Nothing flows into the Trigger or out of a node that ends the journey; no loops on one node, no duplicates. */
  const isValidConnection = useCallback<IsValidConnection<EditorEdge>>(
    (connection) => {
      if (connection.source === connection.target) return false;
      const source = reactFlow.getNode(connection.source);
      const target = reactFlow.getNode(connection.target);
      if (!source || !target) return false;
      if (target.type === 'trigger' || NODE_KINDS[source.type].outputs === 0) return false;
      // No duplicates; two branches of a Condition (sourceHandle) may lead to the same step.
      return !reactFlow
        .getEdges()
        .some(
          (e) => e.source === connection.source && e.target === connection.target && (e.sourceHandle ?? null) === (connection.sourceHandle ?? null),
        );
    },
    [reactFlow],
  );

  const onConnect = useCallback<OnConnect>(
    (connection) => {
      record();
      setEdges((eds) => addEdge({ ...connection, id: edgeIdFor(connection.source, connection.target, connection.sourceHandle) }, eds));
    },
    [record, setEdges],
  );

  /**
   * Adds a node of this type, selected, with its type's defaults (new Send nodes start with the user's
   * default sender). With one node selected it goes right under it, connected (into the chain if that
   * node led somewhere); otherwise where it covers no other node.
   */
  const addNode = useCallback(
    (type: NodeType) => {
      record();
      const current = reactFlow.getNodes();
      const taken = new Set(current.map((n) => n.id));
      const selected = current.filter((n) => n.selected);
      const after = selected.length === 1 ? selected[0] : undefined;
      const position = freeSpot(current, canvasRef.current, reactFlow.screenToFlowPosition);
      const defaultProfile = profiles.find((p) => p.isDefault) ?? profiles[0];
      const node = newEditorNode(type, newNodeId(type, taken), position, { defaultProfileId: defaultProfile?.id ?? '' });
      const deselected = current.map((n) => (n.selected ? { ...n, selected: false } : n));
      const edges = reactFlow.getEdges().map((e) => (e.selected ? { ...e, selected: false } : e));
      const next = after ? insertBelow(deselected, edges, after.id, node) : { nodes: [...deselected, node], edges };
      setNodes(next.nodes);
      setEdges(next.edges);
      const added = next.nodes.find((n) => n.id === node.id);
      if (added && !isVisible(added.position, canvasRef.current, reactFlow.screenToFlowPosition)) {
        // Let React Flow measure the new node first, then bring everything into view.
        requestAnimationFrame(() => void reactFlow.fitView({ ...fitViewOptions, duration: 250 }));
      }
    },
    [canvasRef, profiles, reactFlow, record, setEdges, setNodes],
  );

  /** Lays the whole flow out again, top to bottom, and shows all of it. */
  const tidy = useCallback(() => {
    record();
    setNodes(tidyLayout(reactFlow.getNodes(), reactFlow.getEdges()));
    requestAnimationFrame(() => void reactFlow.fitView({ ...fitViewOptions, duration: 250 }));
  }, [reactFlow, record, setNodes]);

  /** A field edit: typing in one node's fields makes one undo step per burst, not one per key. */
  const updateNode = useCallback<UpdateNode>(
    (id, update) => {
      record(`edit:${id}`);
      setNodes((nds) => nds.map((n) => (n.id === id ? update(n) : n)));
    },
    [record, setNodes],
  );

  /** Deletes a node and its connections, joining what came before it to what came after; the Trigger stays. */
  const deleteNode = useCallback(
    (id: string) => {
      const node = reactFlow.getNode(id);
      if (!node || NODE_KINDS[node.type].unique) return;
      record();
      setNodes((nds) => nds.filter((n) => n.id !== id));
      setEdges((eds) => [...eds.filter((e) => e.source !== id && e.target !== id), ...reconnectAround(new Set([id]), eds)]);
    },
    [reactFlow, record, setEdges, setNodes],
  );

  const deleteEdge = useCallback(
    (id: string) => {
      record();
      setEdges((eds) => eds.filter((e) => e.id !== id));
    },
    [record, setEdges],
  );

  /** Delete or Backspace on the canvas: one undo step for the nodes and connections it removes. */
  const onBeforeDelete = useCallback<OnBeforeDelete<EditorNode, EditorEdge>>(
    async ({ nodes }) => {
      record();
      pendingReconnect.current = reconnectAround(new Set(nodes.map((n) => n.id)), reactFlow.getEdges());
      return true;
    },
    [reactFlow, record],
  );
  const onDelete = useCallback<OnDelete<EditorNode, EditorEdge>>(() => {
    const added = pendingReconnect.current;
    pendingReconnect.current = [];
    if (added.length > 0) setEdges((eds) => [...eds, ...added.filter((a) => !eds.some((e) => e.id === a.id))]);
  }, [setEdges]);

  const copy = useCallback(() => {
    const clip = copySelection(reactFlow.getNodes(), reactFlow.getEdges());
    if (clip) clipboard = { clip, pasted: 0 };
  }, [reactFlow]);

  /** Pastes what was copied, a little below and to the right each time, selected (and only it). */
  const paste = useCallback(() => {
    if (!clipboard) return;
    clipboard.pasted += 1;
    const pasted = pasteClip(clipboard.clip, new Set(reactFlow.getNodes().map((n) => n.id)), clipboard.pasted);
    record();
    setNodes((nds) => [...nds.map((n) => (n.selected ? { ...n, selected: false } : n)), ...pasted.nodes]);
    setEdges((eds) => [...eds.map((e) => (e.selected ? { ...e, selected: false } : e)), ...pasted.edges]);
  }, [reactFlow, record, setEdges, setNodes]);

  /** Selects the node and brings it into view (from the list of problems). */
  const focusNode = useCallback(
    (id: string) => {
      setNodes((nds) => nds.map((n) => ({ ...n, selected: n.id === id })));
      const node = reactFlow.getNode(id);
      if (node) void reactFlow.fitView({ nodes: [node], duration: 300, maxZoom: 1 });
    },
    [reactFlow, setNodes],
  );

  return { isValidConnection, onConnect, addNode, tidy, updateNode, deleteNode, deleteEdge, onBeforeDelete, onDelete, copy, paste, focusNode };
}
