'use client';
/**
 * A button that asks first: it opens a modal dialog saying what will happen, and only "confirm" calls
 * the API. The answer's error shows in the dialog (and the dialog stays open); success runs `onDone`.
 */
import { useId, useRef, useState } from 'react';
import { callApi } from '@/lib/api-client';

export function ConfirmAction({
  label,
  title,
  body,
  confirmLabel,
  request,
  onDone,
  danger = false,
  testId,
}: {
  label: string;
  title: string;
  body: React.ReactNode;
  confirmLabel: string;
  request: { method: 'DELETE' | 'POST'; url: string; body?: unknown };
  onDone: () => void;
  danger?: boolean;
  testId: string;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function confirm() {
    setBusy(true);
    setError(null);
    const result = await callApi<unknown>(request.method, request.url, request.body);
    setBusy(false);
    if (!result.ok) {
      setError(result.error.message);
      return;
    }
    dialog.current?.close();
    onDone();
  }

  return (
    <>
      <button
        type="button"
        className={danger ? 'button danger' : 'button'}
        onClick={() => {
          setError(null);
          dialog.current?.showModal();
        }}
        data-testid={testId}
      >
        {label}
      </button>
      <dialog ref={dialog} className="dialog" aria-labelledby={titleId} data-testid={`${testId}-dialog`}>
        <h2 id={titleId}>{title}</h2>
        <div>{body}</div>
        {error && (
          <p className="field-error" role="alert" data-testid={`${testId}-error`}>
            {error}
          </p>
        )}
        <div className="dialog__actions">
          <button type="button" className="button" onClick={() => dialog.current?.close()} disabled={busy} data-testid={`${testId}-cancel`}>
            Cancel
          </button>
          <button
            type="button"
            className={danger ? 'button danger' : 'button primary'}
            onClick={confirm}
            disabled={busy}
            data-testid={`${testId}-confirm`}
          >
            {busy ? 'Working…' : confirmLabel}
          </button>
        </div>
      </dialog>
    </>
  );
}
