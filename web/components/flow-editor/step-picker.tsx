'use client';
/**
 * The picker that opens where a dragged connection was dropped on empty canvas: which step to add there,
 * connected. It opens below and right of that point, or flips to the other side (or is pushed in) where
 * it would cross the edge of the canvas or of the window.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { NODE_KINDS, type NodeType } from '@domain/flow/nodes';
import { placePopup } from '@domain/flow/placing';
import { NODE_ICONS } from '@/components/flow-editor/nodes';
import type { PendingStep } from '@/components/flow-editor/use-building';

export function StepPicker(props: { pending: PendingStep; choices: NodeType[]; onChoose: (type: NodeType) => void; onCancel: () => void }) {
  const { pending, choices, onChoose, onCancel } = props;
  const first = useRef<HTMLButtonElement>(null);
  const picker = useRef<HTMLDivElement>(null);
  const [at, setAt] = useState<{ x: number; y: number } | null>(null);
  // Measured before it is painted, so it never shows cut off.
  useLayoutEffect(() => {
    const canvas = picker.current?.offsetParent?.getBoundingClientRect();
    const size = picker.current?.getBoundingClientRect();
    if (!canvas || !size) return;
    // What can be seen of the canvas, from the canvas's top-left corner.
    const left = Math.max(0, -canvas.left);
    const top = Math.max(0, -canvas.top);
    const right = Math.min(canvas.width, window.innerWidth - canvas.left);
    const bottom = Math.min(canvas.height, window.innerHeight - canvas.top);
    setAt(placePopup({ x: pending.left, y: pending.top }, size, { x: left, y: top, width: right - left, height: bottom - top }));
  }, [pending.left, pending.top]);
  useEffect(() => {
    if (at) first.current?.focus({ preventScroll: true });
  }, [at]);
  return (
    <div
      ref={picker}
      className="step-picker nodrag nopan"
      role="dialog"
      aria-label="Add a step here"
      style={at ? { left: at.x, top: at.y } : { left: 0, top: 0, visibility: 'hidden' }}
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
