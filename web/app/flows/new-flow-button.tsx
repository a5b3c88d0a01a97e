'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { callApi } from '@/lib/api-client';
import type { FlowCreated } from '@/lib/api-types';

export function NewFlowButton() {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function create() {
    setBusy(true);
    setError(null);
    const result = await callApi<FlowCreated>('POST', '/api/flows');
    if (result.ok) {
      router.push(`/flows/${result.data.id}`);
    } else {
      setError(result.error.message);
      setBusy(false);
    }
  }

  return (
    <div className="inline-action">
      {error && (
        <span className="error-text" role="alert">
          {error}
        </span>
      )}
      <button type="button" className="button primary" onClick={create} disabled={busy} data-testid="new-flow">
        {busy ? 'Creating…' : 'New flow'}
      </button>
    </div>
  );
}
