'use client';
/**
 * The flow editor: a React Flow canvas with a palette, a side panel for the selected node, and the
 * flow's problems. This component holds the nodes, edges and name; the hooks beside it check the flow
 * (use-flow-problems), save it as you go and publish it (use-flow-save), edit the canvas
 * (use-canvas-edits), undo and redo (use-edit-history), and guard against leaving unsaved (leave-guard).
 */
import '@xyflow/react/dist/style.css';
import {
  type AriaLabelConfig,
  Background,
  Controls,
  type DefaultEdgeOptions,
  MarkerType,
  type OnNodesChange,
  ReactFlow,
  ReactFlowProvider,
  useEdgesState,
  useNodesState,
} from '@xyflow/react';
import { useCallback, useMemo, useRef, useState } from 'react';
import { diffFlows, hasChanges } from '@domain/flow/diff';
import { FlowGraph } from '@domain/flow/schema';
import { nodeTitle } from '@domain/flow/step-title';
import { EditorContext, type EditorContextValue, nodeTypes } from '@/components/flow-editor/nodes';
import { DraftBanner } from '@/components/flow-editor/draft-banner';
import { LeaveGuard } from '@/components/flow-editor/leave-guard';
import { Palette } from '@/components/flow-editor/palette';
import { StepPicker } from '@/components/flow-editor/step-picker';
import { EditorSidebar, type PublishedVersion } from '@/components/flow-editor/sidebar';
import { EditorNotices, EditorToolbar } from '@/components/flow-editor/toolbar';
import { type ContactAttributeType, type EditorEdge, type EditorNode, type SenderProfile, toEditor, toGraph } from '@/components/flow-editor/types';
import { useBuilding } from '@/components/flow-editor/use-building';
import { fitViewOptions, useCanvasEdits } from '@/components/flow-editor/use-canvas-edits';
import { useFlowProblems } from '@/components/flow-editor/use-flow-problems';
import { useEditHistory, useEditorShortcuts } from '@/components/flow-editor/use-edit-history';
import { useFlowSave } from '@/components/flow-editor/use-flow-save';

export type { PublishedVersion };

export interface FlowEditorProps {
  flowId: string;
  initialName: string;
  initialGraph: FlowGraph;
  /** Problems met while loading a damaged draft. */
  loadProblems: string[];
  profiles: SenderProfile[];
  /** The attributes contacts have, with their types: a Condition's rules offer and type them. */
  attributes?: ContactAttributeType[];
  /** Newest first. */
  versions: PublishedVersion[];
  /** The newest published version's graph, to show what the draft changes; null before the first publish. */
  publishedGraph: FlowGraph | null;
  /** The lists and segments the user may see: what changed in a Condition's test names them. */
  audiences?: { lists: { id: string; name: string }[]; segments: { id: string; name: string }[] };
}

const defaultEdgeOptions: DefaultEdgeOptions = { markerEnd: { type: MarkerType.ArrowClosed, width: 18, height: 18 } };
const deleteKeys = ['Delete', 'Backspace'];
const NO_ATTRIBUTES: ContactAttributeType[] = [];

/** What screen readers say about the canvas, in the product's words (React Flow's own speak of "nodes" and "edges"). */
const ariaLabelConfig: Partial<AriaLabelConfig> = {
  'node.a11yDescription.default':
    'Press Enter or Space to select this step and edit it in the panel beside the canvas, where Connect to… connects it. Arrow keys move it, Delete removes it (the steps around it are joined), Escape cancels.',
  'edge.a11yDescription.default': 'Press Enter or Space to select this connection, then Delete to remove it, or Escape to cancel.',
  'handle.ariaLabel': 'Connection point: drag it to another step to connect them, or to empty canvas to add a step there',
};

export function FlowEditor(props: FlowEditorProps) {
  return (
    <ReactFlowProvider>
      <Editor {...props} />
    </ReactFlowProvider>
  );
}

function Editor({
  flowId,
  initialName,
  initialGraph,
  loadProblems,
  profiles,
  attributes = NO_ATTRIBUTES,
  versions,
  publishedGraph,
  audiences,
}: FlowEditorProps) {
  const canvasRef = useRef<HTMLDivElement>(null);
  const [initial] = useState(() => toEditor(initialGraph));
  const [nodes, setNodes, onNodesChange] = useNodesState<EditorNode>(initial.nodes);
  const [edges, setEdges, onEdgesChange] = useEdgesState<EditorEdge>(initial.edges);
  const [name, setName] = useState(initialName);

  const graph = useMemo(() => toGraph(nodes, edges), [nodes, edges]);
  const snapshot = useMemo(() => JSON.stringify({ name: name.trim(), graph }), [name, graph]);
  const attributeNames = useMemo(() => attributes.map((a) => a.name), [attributes]);
  const { liveErrors, errors, errorsByNode, setServerErrors } = useFlowProblems(flowId, graph, snapshot, attributeNames);
  const saving = useFlowSave({
    flowId,
    name,
    graph,
    snapshot,
    initialSnapshot: () => JSON.stringify({ name: initialName.trim(), graph: toGraph(initial.nodes, initial.edges) }),
    liveErrorCount: liveErrors.length,
    setServerErrors,
  });
  // What the draft changes from the newest published version (moving steps is not a change).
  const [note, setNote] = useState('');
  const newest = versions[0];
  // Compared as the server stores it (parsed: text trimmed, defaults filled), so a trailing space is no change.
  const diff = useMemo(() => {
    if (!publishedGraph) return null;
    const parsed = FlowGraph.safeParse(graph);
    const profileName = (id: string) => profiles.find((p) => p.id === id)?.name;
    const listName = (id: string) => audiences?.lists.find((l) => l.id === id)?.name;
    const segmentName = (id: string) => audiences?.segments.find((l) => l.id === id)?.name;
    return diffFlows(publishedGraph, parsed.success ? parsed.data : graph, { profileName, listName, segmentName });
  }, [publishedGraph, graph, profiles, audiences]);
  const unpublished = newest && diff && hasChanges(diff) ? { version: newest.version, diff } : null;
  const { onPublish } = saving;
  const publish = useCallback(() => {
    void onPublish(note).then((published) => {
      if (published) setNote('');
    });
  }, [note, onPublish]);
  const history = useEditHistory({ nodes, edges, setNodes, setEdges });
  const edits = useCanvasEdits({ canvasRef, profiles, setNodes, setEdges, record: history.record });
  const building = useBuilding({
    canvasRef,
    profiles,
    setNodes,
    setEdges,
    record: history.record,
    isValidConnection: edits.isValidConnection,
    connect: edits.onConnect,
  });
  useEditorShortcuts({ undo: history.undo, redo: history.redo, copy: edits.copy, paste: edits.paste });

  const { recordMoves } = history;
  const onNodesChangeRecorded = useCallback<OnNodesChange<EditorNode>>(
    (changes) => {
      recordMoves(changes);
      onNodesChange(changes);
    },
    [onNodesChange, recordMoves],
  );

  // Keyed by the names themselves, so moving a node does not re-render every node.
  const namesKey = JSON.stringify(nodes.filter((n) => n.name?.trim()).map((n) => [n.id, n.name?.trim()]));
  const names = useMemo(() => new Map<string, string>(JSON.parse(namesKey)), [namesKey]);
  const contextValue = useMemo<EditorContextValue>(
    () => ({ errorsByNode, profiles, names, attributes }),
    [errorsByNode, profiles, names, attributes],
  );

  const selectedNodes = nodes.filter((n) => n.selected);
  const selectedNode = selectedNodes.length === 1 ? selectedNodes[0] : undefined;
  const selectedEdge = selectedNodes.length === 0 ? edges.find((e) => e.selected) : undefined;

  const nodeLabel = (id: string) => {
    const node = nodes.find((n) => n.id === id);
    return node ? nodeTitle(node) : 'a deleted step';
  };
  const blocker = saving.state.kind === 'blocked' ? saving.state.reason : null;

  // What a screen reader says for a connection: the steps' names, not their ids.
  const titles = useMemo(() => new Map(nodes.map((n) => [n.id, nodeTitle(n)])), [nodes]);
  // The connection a step dragged from the palette would go into is highlighted.
  const { dropEdgeId } = building;
  const labelledNodes = useMemo(() => nodes.map((n) => ({ ...n, ariaLabel: `Step: ${titles.get(n.id) ?? n.type}` })), [nodes, titles]);
  const labelledEdges = useMemo(
    () =>
      edges.map((e) => ({
        ...e,
        ariaLabel: `Connection from ${titles.get(e.source) ?? 'a deleted step'} to ${titles.get(e.target) ?? 'a deleted step'}`,
        ...(e.id === dropEdgeId ? { className: 'is-drop-target' } : {}),
      })),
    [edges, titles, dropEdgeId],
  );

  return (
    <EditorContext.Provider value={contextValue}>
      <div className="editor">
        <EditorToolbar
          flowId={flowId}
          name={name}
          onName={setName}
          nameError={saving.nameError}
          state={saving.state}
          busy={saving.busy}
          onSave={saving.onSave}
          saveNow={saving.save}
          onPublish={publish}
          canUndo={history.canUndo}
          canRedo={history.canRedo}
          onUndo={history.undo}
          onRedo={history.redo}
        />
        <EditorNotices flowId={flowId} notice={saving.notice} published={saving.published} loadProblems={loadProblems} />
        {unpublished && <DraftBanner version={unpublished.version} diff={unpublished.diff} note={note} onNote={setNote} />}
        <LeaveGuard dirty={saving.dirty} blocker={blocker} save={saving.save} />

        <div className="editor__body">
          <Palette onAdd={edits.addNode} onTidy={edits.tidy} />

          <div className="canvas" ref={canvasRef}>
            <ReactFlow<EditorNode, EditorEdge>
              nodes={labelledNodes}
              edges={labelledEdges}
              nodeTypes={nodeTypes}
              onNodesChange={onNodesChangeRecorded}
              onEdgesChange={onEdgesChange}
              onConnect={edits.onConnect}
              onConnectEnd={building.onConnectEnd}
              onDragOver={building.onDragOver}
              onDragLeave={building.onDragLeave}
              onDrop={building.onDrop}
              onBeforeDelete={edits.onBeforeDelete}
              onDelete={edits.onDelete}
              isValidConnection={edits.isValidConnection}
              defaultEdgeOptions={defaultEdgeOptions}
              deleteKeyCode={deleteKeys}
              fitView
              fitViewOptions={fitViewOptions}
              minZoom={0.25}
              ariaLabelConfig={ariaLabelConfig}
            >
              <Background gap={20} />
              <Controls showInteractive={false} />
            </ReactFlow>
            {building.pending && (
              <StepPicker
                pending={building.pending}
                choices={building.pendingChoices}
                onChoose={building.addPending}
                onCancel={building.cancelPending}
              />
            )}
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
            nodes={nodes}
            isValidConnection={edits.isValidConnection}
            onConnect={edits.onConnect}
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
