'use client';
/** A flow's Archive (or Restore) and Delete in the flows list; Delete asks first, and says why when it is refused. */
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { callApi } from '@/lib/api-client';
import type { ArchiveFlowBody, FlowArchived } from '@/lib/api-types';

export function FlowActions({ flowId, name, archived }: { flowId: string; name: string; archived: boolean }) {
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const url = `/api/flows/${encodeURIComponent(flowId)}`;

  async function act(call: () => ReturnType<typeof callApi>) {
    setBusy(true);
    setError(null);
    const result = await call();
    setBusy(false);
    setConfirming(false);
    if (result.ok) router.refresh();
    else setError(result.error.message);
  }

  const archive = () => act(() => callApi<FlowArchived>('PATCH', url, { archived: !archived } satisfies ArchiveFlowBody));
  const remove = () => act(() => callApi<null>('DELETE', url));

  return (
    <>
      {confirming ? (
        <fieldset className="confirm" aria-label={`Delete “${name}”?`} data-testid="confirm-delete">
          <span>Delete “{name}” for good?</span>
          <button type="button" className="button danger" onClick={remove} disabled={busy} data-testid="confirm-delete-yes">
            {busy ? 'Deleting…' : 'Delete'}
          </button>
          <button type="button" className="button" onClick={() => setConfirming(false)} disabled={busy} data-testid="confirm-delete-no">
            Cancel
          </button>
        </fieldset>
      ) : (
        <>
          <button type="button" className="link-button" onClick={archive} disabled={busy} data-testid={archived ? 'restore-flow' : 'archive-flow'}>
            {archived ? 'Restore' : 'Archive'}
          </button>
          <button
            type="button"
            className="link-button link-button--danger"
            onClick={() => {
              setError(null);
              setConfirming(true);
            }}
            disabled={busy}
            data-testid="delete-flow"
          >
            Delete
          </button>
        </>
      )}
      {error && (
        <p className="error-text" role="alert" data-testid="flow-action-error">
          {error}
        </p>
      )}
    </>
  );
}
