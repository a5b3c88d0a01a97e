'use client';
/**
 * "Add a step": a button for every node type a flow may have more than one of, in the registry's order,
 * and Tidy layout. Click one to add it (under the selected step), or drag it onto the canvas or onto a connection.
 */
import { NODE_KINDS } from '@domain/flow/nodes';
import type { NodeType } from '@domain/flow/nodes';
import { NODE_ICONS } from '@/components/flow-editor/nodes';
import { ADDABLE_TYPES, STEP_DRAG_TYPE } from '@/components/flow-editor/use-building';

export function Palette({ onAdd, onTidy }: { onAdd: (type: NodeType) => void; onTidy: () => void }) {
  return (
    <aside className="palette" aria-label="Add a step">
      <h2>Add a step</h2>
      {ADDABLE_TYPES.map((type) => (
        <button
          key={type}
          type="button"
          className={`palette__item palette__item--${type}`}
          onClick={() => onAdd(type)}
          draggable
          onDragStart={(e) => {
            e.dataTransfer.setData(STEP_DRAG_TYPE, type);
            e.dataTransfer.effectAllowed = 'copy';
          }}
          data-testid={`add-${type}`}
        >
          <span aria-hidden>{NODE_ICONS[type]}</span> {NODE_KINDS[type].label}
        </button>
      ))}
      <button type="button" className="button palette__tidy" onClick={onTidy} data-testid="tidy-layout">
        Tidy layout
      </button>
      <p className="hint">
        Click a step to add it under the selected one, or drag it onto the canvas or a connection. Drag from a node’s bottom dot to another node, or
        to empty canvas to add a step. Delete removes the selection; Ctrl+Z undoes.
      </p>
    </aside>
  );
}
