/**
 * Undo and redo for the editor: a pure history of the states before each edit. The editor records the
 * state it is about to change; undo swaps the present for the last recorded state (keeping the present
 * for redo). A burst of edits of one kind (typing in a field, nudging a node with the arrow keys) makes
 * one step, not one per keystroke.
 */

export interface EditHistory<T> {
  /** States before each edit, oldest first. */
  past: T[];
  /** States undone, the next to redo last. */
  future: T[];
  /** What the last recorded edit was, for joining a burst of the same edit into one step. */
  lastKey: string | null;
  lastAt: number;
}

/** How many steps back undo can go. */
export const HISTORY_LIMIT = 100;
/** Edits with the same key closer together than this join one step. */
export const COALESCE_MS = 1000;

export function emptyHistory<T>(): EditHistory<T> {
  return { past: [], future: [], lastKey: null, lastAt: 0 };
}

/**
 * Records `present`, the state an edit is about to change. With a `key`, an edit that follows one with
 * the same key within COALESCE_MS joins its step (the state before the first of them stays the one undo
 * returns to). Any new edit clears redo.
 */
export function recordEdit<T>(history: EditHistory<T>, present: T, key: string | null = null, now = Date.now()): EditHistory<T> {
  if (key !== null && key === history.lastKey && now - history.lastAt < COALESCE_MS && history.past.length > 0) {
    return { ...history, future: [], lastAt: now };
  }
  const past = [...history.past, present];
  return { past: past.slice(Math.max(0, past.length - HISTORY_LIMIT)), future: [], lastKey: key, lastAt: now };
}

/** The state before the last edit, and the history with `present` kept for redo; undefined when there is nothing to undo. */
export function undoEdit<T>(history: EditHistory<T>, present: T): { history: EditHistory<T>; state: T } | undefined {
  const state = history.past.at(-1);
  if (state === undefined) return undefined;
  return { state, history: { past: history.past.slice(0, -1), future: [...history.future, present], lastKey: null, lastAt: 0 } };
}

/** The state undo left, and the history with `present` back in the past; undefined when there is nothing to redo. */
export function redoEdit<T>(history: EditHistory<T>, present: T): { history: EditHistory<T>; state: T } | undefined {
  const state = history.future.at(-1);
  if (state === undefined) return undefined;
  return { state, history: { past: [...history.past, present], future: history.future.slice(0, -1), lastKey: null, lastAt: 0 } };
}
