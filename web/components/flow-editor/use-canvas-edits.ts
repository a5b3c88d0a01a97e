'use client';
/** The canvas's rules and edits: which connections are allowed, adding, changing and deleting nodes and connections. */
import { addEdge, type IsValidConnection, type OnConnect, useReactFlow } from '@xyflow/react';
import { type Dispatch, type RefObject, type SetStateAction, useCallback } from 'react';
import { NODE_KINDS, type NodeType } from '@domain/flow/nodes';
import type { UpdateNode } from '@/components/flow-editor/node-panel';
import { freeSpot, isVisible } from '@/components/flow-editor/placement';
import { type EditorEdge, type EditorNode, newEditorNode, newNodeId, type SenderProfile } from '@/components/flow-editor/types';

export const fitViewOptions = { padding: 0.25, maxZoom: 1 };

export function useCanvasEdits(options: {
  canvasRef: RefObject<HTMLDivElement | null>;
  profiles: SenderProfile[];
  setNodes: Dispatch<SetStateAction<EditorNode[]>>;
  setEdges: Dispatch<SetStateAction<EditorEdge[]>>;
}) {
  const { canvasRef, profiles, setNodes, setEdges } = options;
  const reactFlow = useReactFlow<EditorNode, EditorEdge>();

  /** Nothing flows into the Trigger or out of a node that ends the journey; no loops on one node, no duplicates. */
  const isValidConnection = useCallback<IsValidConnection<EditorEdge>>(
    (connection) => {
      if (connection.source === connection.target) return false;
      const source = reactFlow.getNode(connection.source);
      const target = reactFlow.getNode(connection.target);
      if (!source || !target) return false;
      if (target.type === 'trigger' || NODE_KINDS[source.type].outputs === 0) return false;
      return !reactFlow.getEdges().some((e) => e.source === connection.source && e.target === connection.target);
    },
    [reactFlow],
  );

  const onConnect = useCallback<OnConnect>(
    (connection) => setEdges((eds) => addEdge({ ...connection, id: `e-${connection.source}-${connection.target}` }, eds)),
    [setEdges],
  );

  /** Adds a node of this type, selected, where it covers no other; new Send nodes start with the user's default sender. */
  const addNode = useCallback(
    (type: NodeType) => {
      const taken = new Set(reactFlow.getNodes().map((n) => n.id));
      const position = freeSpot(reactFlow.getNodes(), canvasRef.current, reactFlow.screenToFlowPosition);
      const defaultProfile = profiles.find((p) => p.isDefault) ?? profiles[0];
      const node = newEditorNode(type, newNodeId(type, taken), position, { defaultProfileId: defaultProfile?.id ?? '' });
      setNodes((nds) => [...nds.map((n) => (n.selected ? { ...n, selected: false } : n)), node]);
      setEdges((eds) => eds.map((e) => (e.selected ? { ...e, selected: false } : e)));
      if (!isVisible(position, canvasRef.current, reactFlow.screenToFlowPosition)) {
        // Let React Flow measure the new node first, then bring everything into view.
        requestAnimationFrame(() => void reactFlow.fitView({ ...fitViewOptions, duration: 250 }));
      }
    },
    [canvasRef, profiles, reactFlow, setEdges, setNodes],
  );

  const updateNode = useCallback<UpdateNode>((id, update) => setNodes((nds) => nds.map((n) => (n.id === id ? update(n) : n))), [setNodes]);

  /** Deletes a node and its connections; the Trigger stays. */
  const deleteNode = useCallback(
    (id: string) => {
      setNodes((nds) => nds.filter((n) => n.id !== id || NODE_KINDS[n.type].unique));
      setEdges((eds) => eds.filter((e) => e.source !== id && e.target !== id));
    },
    [setEdges, setNodes],
  );

  const deleteEdge = useCallback((id: string) => setEdges((eds) => eds.filter((e) => e.id !== id)), [setEdges]);

  /** Selects the node and brings it into view (from the list of problems). */
  const focusNode = useCallback(
    (id: string) => {
      setNodes((nds) => nds.map((n) => ({ ...n, selected: n.id === id })));
      const node = reactFlow.getNode(id);
      if (node) void reactFlow.fitView({ nodes: [node], duration: 300, maxZoom: 1 });
    },
    [reactFlow, setNodes],
  );

  return { isValidConnection, onConnect, addNode, updateNode, deleteNode, deleteEdge, focusNode };
}
