'use client';
/** "Add a step": a button for every node type a flow may have more than one of, in the registry's order, and Tidy layout. */
import { NODE_KINDS, NODE_TYPES, type NodeType } from '@domain/flow/nodes';
import { NODE_ICONS } from '@/components/flow-editor/nodes';

const ADDABLE = NODE_TYPES.filter((type) => !NODE_KINDS[type].unique);

export function Palette({ onAdd, onTidy }: { onAdd: (type: NodeType) => void; onTidy: () => void }) {
  return (
    <aside className="palette" aria-label="Add a step">
      <h2>Add a step</h2>
      {ADDABLE.map((type) => (
        <button key={type} type="button" className={`palette__item palette__item--${type}`} onClick={() => onAdd(type)} data-testid={`add-${type}`}>
          <span aria-hidden>{NODE_ICONS[type]}</span> {NODE_KINDS[type].label}
        </button>
      ))}
      <button type="button" className="button palette__tidy" onClick={onTidy} data-testid="tidy-layout">
        Tidy layout
      </button>
      <p className="hint">
        A step added while a node is selected goes under it, connected. Drag from a node’s bottom dot to another’s top dot to connect them; select a
        node or connection and press Delete to remove it (the steps around a deleted node are joined). Ctrl+Z undoes.
      </p>
    </aside>
  );
}
