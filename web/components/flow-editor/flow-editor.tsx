'use client';
/**
 * The flow editor: a React Flow canvas with a palette, a side panel for the selected node, and the
 * flow's problems. This component holds the nodes, edges and name; the hooks beside it check the flow
 * (use-flow-problems), save and publish it (use-flow-save) and edit the canvas (use-canvas-edits).
 */
import '@xyflow/react/dist/style.css';
import { Background, Controls, type DefaultEdgeOptions, MarkerType, ReactFlow, ReactFlowProvider, useEdgesState, useNodesState } from '@xyflow/react';
import { useMemo, useRef, useState } from 'react';
import { NODE_KINDS } from '@domain/flow/nodes';
import type { FlowGraph } from '@domain/flow/schema';
import { EditorContext, type EditorContextValue, nodeTypes } from '@/components/flow-editor/nodes';
import { Palette } from '@/components/flow-editor/palette';
import { EditorSidebar, type PublishedVersion } from '@/components/flow-editor/sidebar';
import { EditorNotices, EditorToolbar } from '@/components/flow-editor/toolbar';
import { type EditorEdge, type EditorNode, type SenderProfile, toEditor, toGraph } from '@/components/flow-editor/types';
import { fitViewOptions, useCanvasEdits } from '@/components/flow-editor/use-canvas-edits';
import { useFlowProblems } from '@/components/flow-editor/use-flow-problems';
import { useFlowSave } from '@/components/flow-editor/use-flow-save';

export type { PublishedVersion };

export interface FlowEditorProps {
  flowId: string;
  initialName: string;
  initialGraph: FlowGraph;
  /** Problems met while loading a damaged draft. */
  loadProblems: string[];
  profiles: SenderProfile[];
  versions: PublishedVersion[];
}

const defaultEdgeOptions: DefaultEdgeOptions = { markerEnd: { type: MarkerType.ArrowClosed, width: 18, height: 18 } };
const deleteKeys = ['Delete', 'Backspace'];

export function FlowEditor(props: FlowEditorProps) {
  return (
    <ReactFlowProvider>
      <Editor {...props} />
    </ReactFlowProvider>
  );
}

function Editor({ flowId, initialName, initialGraph, loadProblems, profiles, versions }: FlowEditorProps) {
  const canvasRef = useRef<HTMLDivElement>(null);
  const [initial] = useState(() => toEditor(initialGraph));
  const [nodes, setNodes, onNodesChange] = useNodesState<EditorNode>(initial.nodes);
  const [edges, setEdges, onEdgesChange] = useEdgesState<EditorEdge>(initial.edges);
  const [name, setName] = useState(initialName);

  const graph = useMemo(() => toGraph(nodes, edges), [nodes, edges]);
  const snapshot = useMemo(() => JSON.stringify({ name: name.trim(), graph }), [name, graph]);
  const { liveErrors, errors, errorsByNode, setServerErrors } = useFlowProblems(flowId, graph, snapshot);
  const saving = useFlowSave({
    flowId,
    name,
    graph,
    snapshot,
    initialSnapshot: () => JSON.stringify({ name: initialName.trim(), graph: toGraph(initial.nodes, initial.edges) }),
    liveErrorCount: liveErrors.length,
    setServerErrors,
  });
  const edits = useCanvasEdits({ canvasRef, profiles, setNodes, setEdges });

  const contextValue = useMemo<EditorContextValue>(() => ({ errorsByNode, profiles }), [errorsByNode, profiles]);

  const selectedNodes = nodes.filter((n) => n.selected);
  const selectedNode = selectedNodes.length === 1 ? selectedNodes[0] : undefined;
  const selectedEdge = selectedNodes.length === 0 ? edges.find((e) => e.selected) : undefined;

  const nodeLabel = (id: string) => {
    const node = nodes.find((n) => n.id === id);
    return node ? `${NODE_KINDS[node.type].label} “${id}”` : `“${id}”`;
  };

  return (
    <EditorContext.Provider value={contextValue}>
      <div className="editor">
        <EditorToolbar
          name={name}
          onName={setName}
          nameError={saving.nameError}
          dirty={saving.dirty}
          busy={saving.busy}
          onSave={saving.onSave}
          onPublish={saving.onPublish}
        />
        <EditorNotices flowId={flowId} notice={saving.notice} published={saving.published} loadProblems={loadProblems} />

        <div className="editor__body">
          <Palette onAdd={edits.addNode} />

          <div className="canvas" ref={canvasRef}>
            <ReactFlow<EditorNode, EditorEdge>
              nodes={nodes}
              edges={edges}
              nodeTypes={nodeTypes}
              onNodesChange={onNodesChange}
              onEdgesChange={onEdgesChange}
              onConnect={edits.onConnect}
              isValidConnection={edits.isValidConnection}
              defaultEdgeOptions={defaultEdgeOptions}
              deleteKeyCode={deleteKeys}
              fitView
              fitViewOptions={fitViewOptions}
              minZoom={0.25}
            >
              <Background gap={20} />
              <Controls showInteractive={false} />
            </ReactFlow>
          </div>

          <EditorSidebar
            flowId={flowId}
            selectedNode={selectedNode}
            selectedEdge={selectedEdge}
            errors={errors}
            errorsByNode={errorsByNode}
            profiles={profiles}
            versions={versions}
            nodeLabel={nodeLabel}
            onUpdateNode={edits.updateNode}
            onDeleteNode={edits.deleteNode}
            onDeleteEdge={edits.deleteEdge}
            onFocusNode={edits.focusNode}
          />
        </div>
      </div>
    </EditorContext.Provider>
  );
}
