'use client';
/** A scheduled run's start time, and moving it (POST /api/runs/:id/reschedule); a spread start's window. */
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { callApi } from '@/lib/api-client';

interface Props {
  runId: string;
  status: string;
  /** ISO; null for a run started at once. */
  startAt: string | null;
  spreadHours: number | null;
}

export function RunSchedule({ runId, status, startAt, spreadHours }: Props) {
  const router = useRouter();
  const [when, setWhen] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!startAt && !spreadHours) return null;
  const spread = spreadHours ? `its first send spread over ${spreadHours} hour${spreadHours === 1 ? '' : 's'}` : '';
  const at = startAt ? new Date(startAt).toLocaleString() : '';

  async function reschedule(event: FormEvent) {
    event.preventDefault();
    const moved = when ? new Date(when) : undefined;
    if (!moved || Number.isNaN(moved.getTime())) {
      setError('Choose the new date and time to start at.');
      return;
    }
    setBusy(true);
    setError(null);
    const result = await callApi<{ ok: true }>('POST', `/api/runs/${encodeURIComponent(runId)}/reschedule`, { startAt: moved.toISOString() });
    setBusy(false);
    if (!result.ok) setError(result.error.message);
    router.refresh();
  }

  if (status !== 'scheduled') {
    return (
      <p className="muted" data-testid="run-schedule">
        {startAt ? `Scheduled for ${at}` : 'Started at once'}
        {spread ? `, ${spread}` : ''}.
      </p>
    );
  }
  return (
    <form className="run-schedule" onSubmit={reschedule} data-testid="run-schedule">
      <p>
        Scheduled to start at{' '}
        <strong data-testid="run-start-at" data-at={startAt}>
          {at}
        </strong>
        {spread ? `, ${spread}` : ''}. Nothing is sent before then; the run waits in Temporal.
      </p>
      <label>
        Start at instead <input type="datetime-local" value={when} onChange={(e) => setWhen(e.currentTarget.value)} data-testid="reschedule-at" />
      </label>{' '}
      <button type="submit" className="button" disabled={busy} data-testid="reschedule-run">
        Reschedule
      </button>
      {error && <p className="field-error">{error}</p>}
    </form>
  );
}
