'use client';
/** Above the canvas: the flow's name, whether it is saved, Undo and Redo, Save and Publish, and what they answered. */
import Link from 'next/link';
import type { Notice, SaveState } from '@/components/flow-editor/use-flow-save';
import { CharacterCount } from '@/components/character-count';

const SAVE_LABELS = { saved: 'Saved', pending: 'Unsaved changes', saving: 'Saving…' } as const;

/** Saved / Saving… / Unsaved changes, or why the draft is not saved (what to fix, or what failed). */
function SaveStatus({ state }: { state: SaveState }) {
  const text = state.kind === 'blocked' || state.kind === 'failed' ? state.reason : SAVE_LABELS[state.kind];
  return (
    <span className={`save-state save-state--${state.kind}`} role="status" aria-live="polite" data-testid="save-state" data-state={state.kind}>
      {text}
    </span>
  );
}

export function EditorToolbar(props: {
  flowId: string;
  name: string;
  onName: (name: string) => void;
  nameError: string | null;
  state: SaveState;
  busy: 'save' | 'publish' | null;
  onSave: () => void;
  /** Saves what is on the canvas now; true when it is saved (Export saves first, so the file is what you see). */
  saveNow: () => Promise<boolean>;
  onPublish: () => void;
  canUndo: boolean;
  canRedo: boolean;
  onUndo: () => void;
  onRedo: () => void;
}) {
  const { name, nameError, state, busy } = props;
  return (
    <div className="editor__toolbar">
      <div className="field editor__name">
        <label htmlFor="flow-name">Flow name</label>
        <input
          id="flow-name"
          type="text"
          value={name}
          maxLength={120}
          onChange={(e) => props.onName(e.currentTarget.value)}
          data-testid="flow-name"
          aria-invalid={nameError ? true : undefined}
          aria-describedby={nameError ? 'flow-name-error' : undefined}
        />
        <CharacterCount value={name} max={120} />
        {nameError && (
          <p className="field-error" id="flow-name-error" data-testid="flow-name-error">
            {nameError}
          </p>
        )}
      </div>
      <div className="editor__actions">
        <SaveStatus state={state} />
        <button
          type="button"
          className="button"
          onClick={props.onUndo}
          disabled={!props.canUndo}
          aria-keyshortcuts="Control+Z Meta+Z"
          data-testid="undo"
        >
          Undo
        </button>
        <button
          type="button"
          className="button"
          onClick={props.onRedo}
          disabled={!props.canRedo}
          aria-keyshortcuts="Control+Shift+Z Meta+Shift+Z Control+Y"
          data-testid="redo"
        >
          Redo
        </button>
        <a
          className="button"
          href={`/api/flows/${props.flowId}/export`}
          download
          title="Download this flow as a JSON file another Dripline can import"
          onClick={(e) => {
            if (state.kind === 'saved') return;
            // Unsaved changes: save them first, then download, so the file holds what is on the canvas.
            e.preventDefault();
            const link = e.currentTarget;
            void props.saveNow().then((ok) => {
              if (!ok) return;
              const copy = document.createElement('a');
              copy.href = link.href;
              copy.download = '';
              copy.click();
            });
          }}
          data-testid="export-flow"
        >
          Export
        </a>
        <button type="button" className="button" onClick={props.onSave} disabled={busy !== null} data-testid="save-flow">
          {busy === 'save' ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="button primary" onClick={props.onPublish} disabled={busy !== null} data-testid="publish-flow">
          {busy === 'publish' ? 'Publishing…' : 'Publish'}
        </button>
      </div>
    </div>
  );
}

export function EditorNotices(props: { flowId: string; notice: Notice | null; published: number | null; loadProblems: string[] }) {
  const { flowId, notice, published, loadProblems } = props;
  return (
    <>
      {notice && (
        <p className={`notice notice--${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'}>
          {notice.text}
        </p>
      )}
      {published !== null && (
        <p className="notice notice--success" data-testid="published-version">
          Published version {published}.{' '}
          <Link href={`/flows/${flowId}/run?version=${published}`} data-testid="start-run-link">
            Start a run
          </Link>
        </p>
      )}
      {loadProblems.length > 0 && (
        <div className="notice notice--error" role="alert">
          Parts of this draft could not be loaded: {loadProblems.join('; ')}. Saving keeps only what is shown.
        </div>
      )}
    </>
  );
}
