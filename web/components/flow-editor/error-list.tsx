'use client';
/** The flow's problems, grouped by node; a node's name selects it on the canvas. */
import type { FlowError } from '@domain/flow/compile';
import { fieldLabel } from '@/components/flow-editor/step-names';
import { errorKey } from '@/components/flow-editor/use-flow-problems';

export function ErrorList(props: { errors: FlowError[]; nodeLabel: (id: string) => string; onFocus: (nodeId: string) => void }) {
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
    <section className="panel panel--errors" data-testid="flow-errors" aria-label="Problems">
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
                  {e.field && e.field !== 'type' && <strong>{fieldLabel(e.field)}:</strong>} {e.message}
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </section>
  );
}
