'use client';
/** Pause, resume and cancel a running campaign; cancel a scheduled one before it starts. */
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { callApi } from '@/lib/api-client';

export function RunControls({ runId, status }: { runId: string; status: string }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (status !== 'running' && status !== 'paused' && status !== 'scheduled') return null;
  const act = async (action: 'pause' | 'resume' | 'cancel') => {
    if (action === 'cancel' && !window.confirm('Cancel this run? Messages already sent stay sent; nobody else will get one.')) return;
    setBusy(true);
    setError(null);
    const result = await callApi<{ ok: true }>('POST', `/api/runs/${encodeURIComponent(runId)}/${action}`);
    setBusy(false);
    if (!result.ok) setError(result.error.message);
    router.refresh();
  };
  return (
    <div className="run-controls" data-testid="run-controls">
      {status === 'scheduled' ? null : status === 'running' ? (
        <button type="button" className="button" disabled={busy} onClick={() => void act('pause')} data-testid="pause-run">
          Pause
        </button>
      ) : (
        <button type="button" className="button" disabled={busy} onClick={() => void act('resume')} data-testid="resume-run">
          Resume
        </button>
      )}
      <button type="button" className="button button--danger" disabled={busy} onClick={() => void act('cancel')} data-testid="cancel-run">
        Cancel run
      </button>
      {error && <p className="field-error">{error}</p>}
    </div>
  );
}
