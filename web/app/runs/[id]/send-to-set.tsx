'use client';
/** "Send to these": a new run of the same flow version for the sets shown, with the run's senders or another profile. */
import { useRouter } from 'next/navigation';
import { type ReactNode, useId, useState } from 'react';
import type { ReconcileSet } from '@domain/delivery-log';
import { callApi } from '@/lib/api-client';
import type { SentToSet } from '@/lib/run-log-api';
import { Count } from '@/components/count';

export function SendToSet({
  runId,
  sets,
  reason,
  count,
  profiles,
  blocked,
  testId = 'send-to-these',
  label = (
    <>
      Send to these <Count value={count} /> in a new run
    </>
  ),
}: {
  runId: string;
  sets: ReconcileSet[];
  /** Narrows a single set to those with this reason. */
  reason?: string | undefined;
  count: number;
  profiles: { id: string; name: string }[];
  blocked: string | null;
  testId?: string;
  label?: ReactNode;
}) {
  const router = useRouter();
  const id = useId();
  const [profileId, setProfileId] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // One key per press: a double click starts one run.
  const [key] = useState(() => crypto.randomUUID());
  const send = async () => {
    setBusy(true);
    setError(null);
    const body = {
      set: sets,
      ...(reason ? { reason } : {}),
      ...(profileId ? { profileId } : {}),
      idempotencyKey: `${key}/${sets.join('+')}/${reason ?? ''}/${profileId}`,
    };
    const result = await callApi<SentToSet>('POST', `/api/runs/${encodeURIComponent(runId)}/send-to`, body);
    setBusy(false);
    if (!result.ok) setError(result.error.message);
    else router.push(`/runs/${encodeURIComponent(result.data.runId)}`);
  };
  return (
    <div className="form form--row" data-testid={`${testId}-form`}>
      <div className="field">
        <label htmlFor={`${id}-profile`}>Send with</label>
        <select id={`${id}-profile`} value={profileId} onChange={(e) => setProfileId(e.target.value)} data-testid="send-to-profile">
          <option value="">The same senders as this run</option>
          {profiles.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </div>
      <div className="form__actions">
        <button type="button" className="button primary" disabled={busy || blocked !== null} onClick={() => void send()} data-testid={testId}>
          {label}
        </button>
      </div>
      {blocked && <p className="hint form__full">{blocked}</p>}
      {error && (
        <p className="field-error form__full" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
