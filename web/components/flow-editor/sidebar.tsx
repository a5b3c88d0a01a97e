'use client';
/** Beside the canvas: the selected node or connection, the flow's problems, and its published versions. */
import { FlowSettings } from '@/components/flow-editor/flow-settings';
import type { Connection } from '@xyflow/react';
import Link from 'next/link';
import type { FlowError } from '@domain/flow/compile';
import { ConnectTo } from '@/components/flow-editor/connect-to';
import { ErrorList } from '@/components/flow-editor/error-list';
import { NodePanel, type UpdateNode } from '@/components/flow-editor/node-panel';
import type { EditorEdge, EditorNode, SenderProfile } from '@/components/flow-editor/types';

export interface PublishedVersion {
  version: number;
  /** Formatted for people. */
  publishedAt: string;
  note: string | null;
  publishedBy: string | null;
}

export function EditorSidebar(props: {
  flowId: string;
  selectedNode: EditorNode | undefined;
  selectedEdge: EditorEdge | undefined;
  errors: FlowError[];
  errorsByNode: ReadonlyMap<string, FlowError[]>;
  profiles: SenderProfile[];
  versions: PublishedVersion[];
  /** How a node is named in messages, e.g. Delay “wait”. */
  nodeLabel: (id: string) => string;
  nodes: EditorNode[];
  isValidConnection: (connection: Connection) => boolean;
  onConnect: (connection: Connection) => void;
  onUpdateNode: UpdateNode;
  onDeleteNode: (id: string) => void;
  onDeleteEdge: (id: string) => void;
  onFocusNode: (id: string) => void;
}) {
  const { flowId, selectedNode, selectedEdge, nodeLabel, versions } = props;
  return (
    <aside className="sidebar">
      {selectedNode ? (
        <>
          <NodePanel
            flowId={props.flowId}
            node={selectedNode}
            errors={props.errorsByNode.get(selectedNode.id) ?? []}
            profiles={props.profiles}
            onUpdate={props.onUpdateNode}
            onDelete={() => props.onDeleteNode(selectedNode.id)}
          />
          <ConnectTo node={selectedNode} nodes={props.nodes} isValidConnection={props.isValidConnection} onConnect={props.onConnect} />
        </>
      ) : selectedEdge ? (
        <div className="panel">
          <div className="panel__head">
            <h2>Connection</h2>
          </div>
          <p>
            From {nodeLabel(selectedEdge.source)} to {nodeLabel(selectedEdge.target)}.
          </p>
          <button type="button" className="button danger" onClick={() => props.onDeleteEdge(selectedEdge.id)} data-testid="delete-edge">
            Delete connection
          </button>
        </div>
      ) : (
        <div className="panel panel--empty">
          <p className="muted">Select a node to edit it.</p>
        </div>
      )}

      <ErrorList errors={props.errors} nodeLabel={nodeLabel} onFocus={props.onFocusNode} />

      <FlowSettings flowId={flowId} />

      <div className="panel">
        <div className="panel__head">
          <h2>Published versions</h2>
        </div>
        {versions.length === 0 ? (
          <p className="muted">Not published yet. Publish to start runs; later edits do not change a published version.</p>
        ) : (
          <ul className="versions">
            {versions.map((v) => (
              <li key={v.version} data-testid={`version-${v.version}`}>
                <span>
                  v{v.version}{' '}
                  <span className="muted">
                    · {v.publishedAt}
                    {v.publishedBy && ` by ${v.publishedBy}`}
                  </span>
                  {v.note && <span className="versions__note">{v.note}</span>}
                </span>
                <span className="versions__links">
                  <a href={`/api/flows/${flowId}/export?version=${v.version}`} download data-testid={`version-export-${v.version}`}>
                    Export
                  </a>
                  <Link href={`/flows/${flowId}/run?version=${v.version}`} data-testid={`version-run-link-${v.version}`}>
                    Start a run
                  </Link>
                  <Link href={`/flows/${flowId}/report`} data-testid={`version-report-link-${v.version}`}>
                    Report
                  </Link>
                </span>
              </li>
            ))}
          </ul>
        )}
      </div>
    </aside>
  );
}
