'use client';
/** Above the canvas: the flow's name, whether it is saved, Save and Publish, and what they answered. */
import Link from 'next/link';
import type { Notice } from '@/components/flow-editor/use-flow-save';

export function EditorToolbar(props: {
  name: string;
  onName: (name: string) => void;
  nameError: string | null;
  dirty: boolean;
  busy: 'save' | 'publish' | null;
  onSave: () => void;
  onPublish: () => void;
}) {
  const { name, nameError, dirty, busy } = props;
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
        />
        {nameError && <p className="field-error">{nameError}</p>}
      </div>
      <div className="editor__actions">
        <span className={`save-state ${dirty ? 'is-dirty' : ''}`} aria-live="polite">
          {dirty ? 'Unsaved changes' : 'All changes saved'}
        </span>
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
