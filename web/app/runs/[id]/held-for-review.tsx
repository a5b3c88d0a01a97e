'use client';
/** Recipients whose send's outcome is unknown, held because their profile says so: a person decides to resend. */
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { callApi } from '@/lib/api-client';
import { Count } from '@/components/count';

export function HeldForReview({ runId, held, total }: { runId: string; held: { id: string; email: string }[]; total: number }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const resend = async (contactIds?: string[]) => {
    setBusy(true);
    setError(null);
    const result = await callApi<{ resent: number }>('POST', `/api/runs/${encodeURIComponent(runId)}/resend`, contactIds ? { contactIds } : {});
    setBusy(false);
    if (!result.ok) setError(result.error.message);
    router.refresh();
  };
  return (
    <section className="notice notice--info" data-testid="held-for-review">
      <h2>
        Held for review (<Count value={total} />)
      </h2>
      <p>
        An attempt stopped after the message went out (a lost connection, a worker that stopped), so the server may already have it. Resending uses
        the same Message-ID, which most receivers use to drop a duplicate.
      </p>
      <ul>
        {held.map((r) => (
          <li key={r.id}>
            {r.email}{' '}
            <button type="button" className="button" disabled={busy} onClick={() => void resend([r.id])} data-testid={`resend-${r.id}`}>
              Resend
            </button>
          </li>
        ))}
      </ul>
      <button type="button" className="button primary" disabled={busy} onClick={() => void resend()} data-testid="resend-all-held">
        Resend all <Count value={total} />
      </button>
      {error && <p className="field-error">{error}</p>}
    </section>
  );
}
