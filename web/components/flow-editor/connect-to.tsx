'use client';
/** "Connect to…": connects the selected step to another one chosen from a list, so connecting needs no mouse. */
import type { Connection } from '@xyflow/react';
import { useId, useState } from 'react';
import { nodeTitle } from '@domain/flow/step-title';
import type { EditorNode } from '@/components/flow-editor/types';

export function ConnectTo(props: {
  node: EditorNode;
  nodes: EditorNode[];
  isValidConnection: (connection: Connection) => boolean;
  onConnect: (connection: Connection) => void;
}) {
  const { node, nodes, isValidConnection, onConnect } = props;
  const id = useId();
  const [target, setTarget] = useState('');
  const targets = nodes.filter((n) => isValidConnection({ source: node.id, target: n.id, sourceHandle: null, targetHandle: null }));
  if (targets.length === 0) return null;
  const chosen = targets.some((n) => n.id === target) ? target : '';
  return (
    <div className="panel connect-to">
      <div className="field">
        <label htmlFor={id}>Connect to…</label>
        <div className="connect-to__row">
          <select id={id} value={chosen} onChange={(e) => setTarget(e.currentTarget.value)} data-testid="connect-to">
            <option value="">Choose the next step</option>
            {targets.map((n) => (
              <option key={n.id} value={n.id}>
                {nodeTitle(n)}
              </option>
            ))}
          </select>
          <button
            type="button"
            className="button"
            disabled={!chosen}
            onClick={() => {
              onConnect({ source: node.id, target: chosen, sourceHandle: null, targetHandle: null });
              setTarget('');
            }}
            data-testid="connect-to-submit"
          >
            Connect
          </button>
        </div>
      </div>
    </div>
  );
}
