'use client';
/**
 * The flow editor: a React Flow canvas with a palette, a side panel for the selected node, and
 * the flow's problems. `compile` runs in the browser on every change, so errors show live; the
 * server's answers to Save and Publish are shown too until the flow changes again.
 */
import '@xyflow/react/dist/style.css';
import {
  addEdge,
  Background,
  Controls,
  MarkerType,
  ReactFlow,
  ReactFlowProvider,
  useEdgesState,
  useNodesState,
  useReactFlow,
  type DefaultEdgeOptions,
  type IsValidConnection,
  type OnConnect,
} from '@xyflow/react';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useCallback, useDeferredValue, useMemo, useRef, useState } from 'react';
import { compile, type FlowError } from '@domain/flow/compile';
import type { FlowGraph } from '@domain/flow/schema';
import { callApi, type ApiError } from '@/lib/api-client';
import { EditorContext, nodeTypes, type EditorContextValue } from '@/components/flow-editor/nodes';
import { NodePanel } from '@/components/flow-editor/node-panel';
import {
  NODE_LABELS,
  newNodeId,
  toEditor,
  toGraph,
  type EditorEdge,
  type EditorNode,
  type SenderProfile,
} from '@/components/flow-editor/types';

export interface PublishedVersion {
  version: number;
  publishedAt: string;
}

export interface FlowEditorProps {
  flowId: string;
  initialName: string;
  initialGraph: FlowGraph;
  /** Problems met while loading a damaged draft. */
  loadProblems: string[];
  profiles: SenderProfile[];
  versions: PublishedVersion[];
}

type Notice = { kind: 'info' | 'success' | 'error'; text: string };
type AddableType = 'delay' | 'sendEmail' | 'exit';

const defaultEdgeOptions: DefaultEdgeOptions = { markerEnd: { type: MarkerType.ArrowClosed, width: 18, height: 18 } };
const fitViewOptions = { padding: 0.25, maxZoom: 1 };
const deleteKeys = ['Delete', 'Backspace'];

const NODE_WIDTH = 240;
const NODE_HEIGHT = 90;
type ToFlow = (point: { x: number; y: number }) => { x: number; y: number };

/** The visible part of the canvas, in flow coordinates. */
function visibleArea(canvas: HTMLElement | null, toFlow: ToFlow) {
  const rect = canvas?.getBoundingClientRect();
  if (!rect) return undefined;
  const topLeft = toFlow({ x: rect.left, y: rect.top });
  const bottomRight = toFlow({ x: rect.right, y: rect.bottom });
  return { x: topLeft.x, y: topLeft.y, width: bottomRight.x - topLeft.x, height: bottomRight.y - topLeft.y };
}

function isVisible(position: { x: number; y: number }, canvas: HTMLElement | null, toFlow: ToFlow): boolean {
  const area = visibleArea(canvas, toFlow);
  if (!area) return true;
  return (
    position.x >= area.x &&
    position.y >= area.y &&
    position.x + NODE_WIDTH <= area.x + area.width &&
    position.y + NODE_HEIGHT <= area.y + area.height
  );
}

/** Where a new node goes: the middle of the visible canvas, moved right until it covers no other node. */
function freeSpot(nodes: EditorNode[], canvas: HTMLElement | null, toFlow: ToFlow): { x: number; y: number } {
  const area = visibleArea(canvas, toFlow);
  let x = Math.round(area ? area.x + area.width / 2 - NODE_WIDTH / 2 : 0);
  const y = Math.round(area ? area.y + area.height / 2 - NODE_HEIGHT / 2 : 0);
  const overlaps = (px: number) =>
    nodes.some((n) => {
      const w = n.measured?.width ?? NODE_WIDTH;
      const h = n.measured?.height ?? NODE_HEIGHT;
      return px < n.position.x + w + 20 && px + NODE_WIDTH + 20 > n.position.x && y < n.position.y + h + 20 && y + NODE_HEIGHT + 20 > n.position.y;
    });
  for (let i = 0; i < 100 && overlaps(x); i++) x += NODE_WIDTH / 2;
  return { x, y };
}

function isFlowErrorList(details: unknown): details is FlowError[] {
  return (
    Array.isArray(details) &&
    details.every((d) => d !== null && typeof d === 'object' && typeof (d as { message?: unknown }).message === 'string')
  );
}

function errorKey(e: FlowError): string {
  return `${e.nodeId ?? ''}|${e.edgeId ?? ''}|${e.field ?? ''}|${e.message}`;
}

export function FlowEditor(props: FlowEditorProps) {
  return (
    <ReactFlowProvider>
      <Editor {...props} />
    </ReactFlowProvider>
  );
}

function Editor({ flowId, initialName, initialGraph, loadProblems, profiles, versions }: FlowEditorProps) {
  const router = useRouter();
  const reactFlow = useReactFlow<EditorNode, EditorEdge>();
  const canvasRef = useRef<HTMLDivElement>(null);

  const [initial] = useState(() => toEditor(initialGraph));
  const [nodes, setNodes, onNodesChange] = useNodesState<EditorNode>(initial.nodes);
  const [edges, setEdges, onEdgesChange] = useEdgesState<EditorEdge>(initial.edges);
  const [name, setName] = useState(initialName);

  const graph = useMemo(() => toGraph(nodes, edges), [nodes, edges]);
  const snapshot = useMemo(() => JSON.stringify({ name: name.trim(), graph }), [name, graph]);
  const [savedSnapshot, setSavedSnapshot] = useState(() =>
    JSON.stringify({ name: initialName.trim(), graph: toGraph(initial.nodes, initial.edges) }),
  );
  const dirty = snapshot !== savedSnapshot;

  const [busy, setBusy] = useState<'save' | 'publish' | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [nameError, setNameError] = useState<string | null>(null);
  const [published, setPublished] = useState<number | null>(null);
  /** Errors the server answered with, valid only for the exact flow they were about. */
  const [serverErrors, setServerErrors] = useState<{ errors: FlowError[]; snapshot: string } | null>(null);

  // Live validation with the same compiler the server uses; deferred so dragging stays smooth.
  const deferredGraph = useDeferredValue(graph);
  const liveErrors = useMemo(() => {
    const result = compile(deferredGraph, { flowId, version: 0 });
    return result.ok ? [] : result.errors;
  }, [deferredGraph, flowId]);

  const errors = useMemo(() => {
    const all = [...liveErrors, ...(serverErrors && serverErrors.snapshot === snapshot ? serverErrors.errors : [])];
    const seen = new Set<string>();
    return all.filter((e) => {
      const key = errorKey(e);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }, [liveErrors, serverErrors, snapshot]);

  const errorsByNode = useMemo(() => {
    const map = new Map<string, FlowError[]>();
    for (const e of errors) if (e.nodeId) map.set(e.nodeId, [...(map.get(e.nodeId) ?? []), e]);
    return map;
  }, [errors]);

  const contextValue = useMemo<EditorContextValue>(() => ({ errorsByNode, profiles }), [errorsByNode, profiles]);

  const selectedNodes = nodes.filter((n) => n.selected);
  const selectedNode = selectedNodes.length === 1 ? selectedNodes[0] : undefined;
  const selectedEdge = selectedNodes.length === 0 ? edges.find((e) => e.selected) : undefined;

  // ---- canvas rules and edits ------------------------------------------------------------

  const isValidConnection = useCallback<IsValidConnection<EditorEdge>>(
    (connection) => {
      if (connection.source === connection.target) return false;
      const source = reactFlow.getNode(connection.source);
      const target = reactFlow.getNode(connection.target);
      if (!source || !target) return false;
      if (target.type === 'trigger' || source.type === 'exit') return false;
      return !reactFlow.getEdges().some((e) => e.source === connection.source && e.target === connection.target);
    },
    [reactFlow],
  );

  const onConnect = useCallback<OnConnect>(
    (connection) => setEdges((eds) => addEdge({ ...connection, id: `e-${connection.source}-${connection.target}` }, eds)),
    [setEdges],
  );

  const addNode = useCallback(
    (type: AddableType) => {
      const taken = new Set(reactFlow.getNodes().map((n) => n.id));
      const id = newNodeId(type, taken);
      const position = freeSpot(reactFlow.getNodes(), canvasRef.current, reactFlow.screenToFlowPosition);
      const defaultProfile = profiles.find((p) => p.isDefault) ?? profiles[0];
      const node: EditorNode =
        type === 'delay'
          ? { id, type, position, selected: true, data: { mode: 'fixed', amount: 1, unit: 'days' } }
          : type === 'sendEmail'
            ? {
                id,
                type,
                position,
                selected: true,
                data: { profileId: defaultProfile?.id ?? '', subject: 'Hello {{name}}', text: 'Hi {{name}},\n\n' },
              }
            : { id, type, position, selected: true, data: {} };
      setNodes((nds) => [...nds.map((n) => (n.selected ? { ...n, selected: false } : n)), node]);
      setEdges((eds) => eds.map((e) => (e.selected ? { ...e, selected: false } : e)));
      if (!isVisible(position, canvasRef.current, reactFlow.screenToFlowPosition)) {
        // Let React Flow measure the new node first, then bring everything into view.
        requestAnimationFrame(() => void reactFlow.fitView({ ...fitViewOptions, duration: 250 }));
      }
    },
    [profiles, reactFlow, setEdges, setNodes],
  );

  const updateNode = useCallback(
    (next: EditorNode) => setNodes((nds) => nds.map((n) => (n.id === next.id ? ({ ...n, data: next.data } as EditorNode) : n))),
    [setNodes],
  );

  const deleteNode = useCallback(
    (id: string) => {
      setNodes((nds) => nds.filter((n) => n.id !== id || n.type === 'trigger'));
      setEdges((eds) => eds.filter((e) => e.source !== id && e.target !== id));
    },
    [setEdges, setNodes],
  );

  const deleteEdge = useCallback((id: string) => setEdges((eds) => eds.filter((e) => e.id !== id)), [setEdges]);

  const focusNode = useCallback(
    (id: string) => {
      setNodes((nds) => nds.map((n) => ({ ...n, selected: n.id === id })));
      const node = reactFlow.getNode(id);
      if (node) void reactFlow.fitView({ nodes: [node], duration: 300, maxZoom: 1 });
    },
    [reactFlow, setNodes],
  );

  // ---- save and publish ------------------------------------------------------------------

  function showApiError(error: ApiError, forSnapshot: string) {
    if (isFlowErrorList(error.details) && (error.code === 'invalid_flow' || error.code === 'unknown_profile')) {
      setServerErrors({ errors: error.details, snapshot: forSnapshot });
    } else if (error.code === 'invalid_request' && Array.isArray(error.details)) {
      const nameIssue = (error.details as { path?: unknown[]; message?: string }[]).find((i) => i.path?.[0] === 'name');
      if (nameIssue?.message) setNameError(nameIssue.message);
    }
    setNotice({ kind: 'error', text: error.message });
  }

  async function save(): Promise<boolean> {
    const sent = snapshot;
    setNameError(null);
    const result = await callApi<{ ok: true }>('PUT', `/api/flows/${encodeURIComponent(flowId)}`, { name: name.trim(), graph });
    if (!result.ok) {
      showApiError(result.error, sent);
      return false;
    }
    setSavedSnapshot(sent);
    setServerErrors(null);
    return true;
  }

  async function onSave() {
    setBusy('save');
    setNotice(null);
    if (await save()) {
      setNotice({
        kind: 'success',
        text: liveErrors.length > 0 ? 'Draft saved. Fix the problems listed before publishing.' : 'Draft saved.',
      });
      router.refresh();
    }
    setBusy(null);
  }

  async function onPublish() {
    setBusy('publish');
    setNotice(null);
    setPublished(null);
    const sent = snapshot;
    if (await save()) {
      const result = await callApi<{ version: number }>('POST', `/api/flows/${encodeURIComponent(flowId)}/publish`);
      if (result.ok) {
        setPublished(result.data.version);
        router.refresh();
      } else {
        showApiError(result.error, sent);
      }
    }
    setBusy(null);
  }

  const nodeLabel = (id: string) => {
    const node = nodes.find((n) => n.id === id);
    return node ? `${NODE_LABELS[node.type]} “${id}”` : `“${id}”`;
  };

  return (
    <EditorContext.Provider value={contextValue}>
      <div className="editor">
        <div className="editor__toolbar">
          <div className="field editor__name">
            <label htmlFor="flow-name">Flow name</label>
            <input
              id="flow-name"
              type="text"
              value={name}
              maxLength={120}
              onChange={(e) => setName(e.currentTarget.value)}
              data-testid="flow-name"
              aria-invalid={nameError ? true : undefined}
            />
            {nameError && <p className="field-error">{nameError}</p>}
          </div>
          <div className="editor__actions">
            <span className={`save-state ${dirty ? 'is-dirty' : ''}`} aria-live="polite">
              {dirty ? 'Unsaved changes' : 'All changes saved'}
            </span>
            <button type="button" className="button" onClick={onSave} disabled={busy !== null} data-testid="save-flow">
              {busy === 'save' ? 'Saving…' : 'Save'}
            </button>
            <button type="button" className="button primary" onClick={onPublish} disabled={busy !== null} data-testid="publish-flow">
              {busy === 'publish' ? 'Publishing…' : 'Publish'}
            </button>
          </div>
        </div>

        {notice && (
          <p className={`notice notice--${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'}>
            {notice.text}
          </p>
        )}
        {published !== null && (
          <p className="notice notice--success" data-testid="published-version">
            Published version {published}.{' '}
            <Link href={`/flows/${flowId}/run?version=${published}`} data-testid="start-run-link">
              Start a run
            </Link>
          </p>
        )}
        {loadProblems.length > 0 && (
          <div className="notice notice--error" role="alert">
            Parts of this draft could not be loaded: {loadProblems.join('; ')}. Saving keeps only what is shown.
          </div>
        )}

        <div className="editor__body">
          <aside className="palette" aria-label="Add a step">
            <h2>Add a step</h2>
            <button type="button" className="palette__item palette__item--delay" onClick={() => addNode('delay')} data-testid="add-delay">
              <span aria-hidden>◷</span> Delay
            </button>
            <button
              type="button"
              className="palette__item palette__item--sendEmail"
              onClick={() => addNode('sendEmail')}
              data-testid="add-sendEmail"
            >
              <span aria-hidden>✉</span> Send Email
            </button>
            <button type="button" className="palette__item palette__item--exit" onClick={() => addNode('exit')} data-testid="add-exit">
              <span aria-hidden>■</span> Exit
            </button>
            <p className="hint">
              Drag from a node’s bottom dot to the next node’s top dot to connect them. Select a node or connection and press Delete
              to remove it.
            </p>
          </aside>

          <div className="canvas" ref={canvasRef}>
            <ReactFlow<EditorNode, EditorEdge>
              nodes={nodes}
              edges={edges}
              nodeTypes={nodeTypes}
              onNodesChange={onNodesChange}
              onEdgesChange={onEdgesChange}
              onConnect={onConnect}
              isValidConnection={isValidConnection}
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

          <aside className="sidebar">
            {selectedNode ? (
              <NodePanel
                node={selectedNode}
                errors={errorsByNode.get(selectedNode.id) ?? []}
                profiles={profiles}
                onChange={updateNode}
                onDelete={() => deleteNode(selectedNode.id)}
              />
            ) : selectedEdge ? (
              <div className="panel">
                <div className="panel__head">
                  <h2>Connection</h2>
                </div>
                <p>
                  From {nodeLabel(selectedEdge.source)} to {nodeLabel(selectedEdge.target)}.
                </p>
                <button type="button" className="button danger" onClick={() => deleteEdge(selectedEdge.id)} data-testid="delete-edge">
                  Delete connection
                </button>
              </div>
            ) : (
              <div className="panel panel--empty">
                <p className="muted">Select a node to edit it.</p>
              </div>
            )}

            <ErrorList errors={errors} nodeLabel={nodeLabel} onFocus={focusNode} />

            <div className="panel">
              <div className="panel__head">
                <h2>Published versions</h2>
              </div>
              {versions.length === 0 ? (
                <p className="muted">Not published yet. Publish to start runs; later edits do not change a published version.</p>
              ) : (
                <ul className="versions">
                  {versions.map((v) => (
                    <li key={v.version}>
                      <span>
                        v{v.version} <span className="muted">· {v.publishedAt}</span>
                      </span>
                      <Link href={`/flows/${flowId}/run?version=${v.version}`} data-testid={`version-run-link-${v.version}`}>
                        Start a run
                      </Link>
                    </li>
                  ))}
                </ul>
              )}
            </div>
          </aside>
        </div>
      </div>
    </EditorContext.Provider>
  );
}

function ErrorList(props: { errors: FlowError[]; nodeLabel: (id: string) => string; onFocus: (nodeId: string) => void }) {
  const { errors, nodeLabel, onFocus } = props;
  if (errors.length === 0) {
    return (
      <div className="panel panel--ok" data-testid="flow-ok">
        <p>No problems found: this flow can be published.</p>
      </div>
    );
  }
  const groups = new Map<string, FlowError[]>();
  for (const e of errors) {
    const key = e.nodeId ?? '';
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  return (
    <div className="panel panel--errors" data-testid="flow-errors" role="region" aria-label="Problems">
      <div className="panel__head">
        <h2>
          Problems <span className="count">{errors.length}</span>
        </h2>
      </div>
      <ul className="error-groups">
        {[...groups.entries()].map(([nodeId, list]) => (
          <li key={nodeId || '(flow)'} data-testid={nodeId ? `flow-error-${nodeId}` : 'flow-error-flow'}>
            {nodeId ? (
              <button type="button" className="link-button" onClick={() => onFocus(nodeId)}>
                {nodeLabel(nodeId)}
              </button>
            ) : (
              <strong>Whole flow</strong>
            )}
            <ul>
              {list.map((e) => (
                <li key={errorKey(e)}>
                  {e.field && e.field !== 'type' && <code>{e.field.replace(/^data\./, '')}</code>} {e.message}
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </div>
  );
}
