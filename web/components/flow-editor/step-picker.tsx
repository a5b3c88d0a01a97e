'use client';
/** The picker that opens where a dragged connection was dropped on empty canvas: which step to add there, connected. */
import { useEffect, useRef } from 'react';
import { NODE_KINDS, type NodeType } from '@domain/flow/nodes';
import { NODE_ICONS } from '@/components/flow-editor/nodes';
import type { PendingStep } from '@/components/flow-editor/use-building';

export function StepPicker(props: { pending: PendingStep; choices: NodeType[]; onChoose: (type: NodeType) => void; onCancel: () => void }) {
  const { pending, choices, onChoose, onCancel } = props;
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => first.current?.focus(), []);
  return (
    <div
      className="step-picker nodrag nopan"
      role="dialog"
      aria-label="Add a step here"
      style={{ left: pending.left, top: pending.top }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onCancel();
      }}
      data-testid="step-picker"
    >
      <p className="step-picker__title">{pending.fromSide === 'source' ? 'Add the next step' : 'Add a step before'}</p>
      {choices.map((type, i) => (
        <button
          key={type}
          ref={i === 0 ? first : undefined}
          type="button"
          className={`palette__item palette__item--${type}`}
          onClick={() => onChoose(type)}
          data-testid={`pick-${type}`}
        >
          <span aria-hidden>{NODE_ICONS[type]}</span> {NODE_KINDS[type].label}
        </button>
      ))}
      <button type="button" className="button" onClick={onCancel} data-testid="pick-cancel">
        Cancel
      </button>
    </div>
  );
}
