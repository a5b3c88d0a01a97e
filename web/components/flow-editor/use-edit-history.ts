'use client';
/**
 * Undo and redo over every edit of the canvas (nodes added, deleted, moved, connected, their fields),
 * and the editor's keyboard shortcuts: Ctrl/Cmd+Z undo, Ctrl/Cmd+Shift+Z or Ctrl+Y redo, Ctrl/Cmd+C and
 * Ctrl/Cmd+V copy and paste nodes. In a text box the browser's own undo and copy apply instead.
 */
import type { NodeChange } from '@xyflow/react';
import { type Dispatch, type SetStateAction, useCallback, useEffect, useRef, useState } from 'react';
import { type EditHistory, emptyHistory, recordEdit, redoEdit, undoEdit } from '@/components/flow-editor/edit-history';
import type { EditorEdge, EditorNode } from '@/components/flow-editor/types';

interface CanvasState {
  nodes: EditorNode[];
  edges: EditorEdge[];
}

export function useEditHistory(options: {
  nodes: EditorNode[];
  edges: EditorEdge[];
  setNodes: Dispatch<SetStateAction<EditorNode[]>>;
  setEdges: Dispatch<SetStateAction<EditorEdge[]>>;
}) {
  const { setNodes, setEdges } = options;
  const present = useRef<CanvasState>({ nodes: options.nodes, edges: options.edges });
  present.current = { nodes: options.nodes, edges: options.edges };
  const history = useRef<EditHistory<CanvasState>>(emptyHistory());
  const [counts, setCounts] = useState({ undo: 0, redo: 0 });
  const dragging = useRef(false);

  const update = useCallback((next: EditHistory<CanvasState>) => {
    history.current = next;
    setCounts({ undo: next.past.length, redo: next.future.length });
  }, []);

  /** Call before an edit: the canvas as it is now becomes the step undo returns to. */
  const record = useCallback((key: string | null = null) => update(recordEdit(history.current, present.current, key)), [update]);

  const restore = useCallback(
    (result: { history: EditHistory<CanvasState>; state: CanvasState } | undefined) => {
      if (!result) return;
      update(result.history);
      setNodes(result.state.nodes);
      setEdges(result.state.edges);
    },
    [setEdges, setNodes, update],
  );
  const undo = useCallback(() => restore(undoEdit(history.current, present.current)), [restore]);
  const redo = useCallback(() => restore(redoEdit(history.current, present.current)), [restore]);

  /**
   * Moves: a mouse drag is one step (recorded as it starts); arrow-key nudges of the selected nodes join
   * one step while they follow each other closely.
   */
  const recordMoves = useCallback(
    (changes: NodeChange<EditorNode>[]) => {
      for (const change of changes) {
        if (change.type !== 'position' || !change.position) continue;
        if (change.dragging) {
          if (!dragging.current) record();
          dragging.current = true;
        } else if (dragging.current) {
          dragging.current = false;
        } else {
          record('move');
        }
        return;
      }
    },
    [record],
  );

  return { record, undo, redo, recordMoves, canUndo: counts.undo > 0, canRedo: counts.redo > 0 };
}

/** A text box, select or editable element: the browser's own undo, copy and paste belong there. */
function isEditable(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

export function useEditorShortcuts(actions: { undo: () => void; redo: () => void; copy: () => void; paste: () => void }) {
  const latest = useRef(actions);
  latest.current = actions;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || isEditable(e.target)) return;
      const key = e.key.toLowerCase();
      const action =
        key === 'z' ? (e.shiftKey ? 'redo' : 'undo') : key === 'y' && !e.shiftKey ? 'redo' : key === 'c' ? 'copy' : key === 'v' ? 'paste' : null;
      if (!action) return;
      // Copying text selected on the page (a problem's message, say) stays the browser's.
      if (action === 'copy' && window.getSelection()?.toString()) return;
      e.preventDefault();
      latest.current[action]();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
