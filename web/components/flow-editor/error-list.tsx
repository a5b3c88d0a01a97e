'use client';
/** The flow's problems, grouped by node; a node's name selects it on the canvas. Warnings are listed apart: they do not stop publishing. */
import type { FlowError } from '@domain/flow/compile';
import { fieldLabel } from '@domain/flow/field-labels';
import { errorKey } from '@/components/flow-editor/use-flow-problems';

type ListProps = { nodeLabel: (id: string) => string; onFocus: (nodeId: string) => void };

export function ErrorList(props: { errors: FlowError[] } & ListProps) {
  const errors = props.errors.filter((e) => e.severity !== 'warning');
  const warnings = props.errors.filter((e) => e.severity === 'warning');
  return (
    <>
      {errors.length === 0 ? (
        <div className="panel panel--ok" data-testid="flow-ok">
          <p>No problems found: this flow can be published.</p>
        </div>
      ) : (
        <Grouped list={errors} title="Problems" testId="flow-errors" {...props} />
      )}
      {warnings.length > 0 && <Grouped list={warnings} title="Warnings" testId="flow-warnings" {...props} />}
    </>
  );
}

function Grouped(props: { list: FlowError[]; title: string; testId: string } & ListProps) {
  const { list, title, testId, nodeLabel, onFocus } = props;
  const warning = testId === 'flow-warnings';
  const groups = new Map<string, FlowError[]>();
  for (const e of list) {
    const key = e.nodeId ?? '';
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  return (
    <section className={`panel ${warning ? 'panel--warnings' : 'panel--errors'}`} data-testid={testId} aria-label={title}>
      <div className="panel__head">
        <h2>
          {title} <span className="count">{list.length}</span>
        </h2>
      </div>
      {warning && <p className="hint">These do not stop publishing.</p>}
      <ul className="error-groups">
        {[...groups.entries()].map(([nodeId, list]) => (
          <li key={nodeId || '(flow)'} data-testid={`${warning ? 'flow-warning' : 'flow-error'}-${nodeId || 'flow'}`}>
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
