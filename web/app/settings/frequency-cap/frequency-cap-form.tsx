'use client';

import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import type { FrequencyCap } from '@domain/frequency-cap';
import { callApi } from '@/lib/api-client';
import { type FieldErrors, fieldErrors } from '@/lib/form-errors';

export function FrequencyCapForm({ cap }: { cap: FrequencyCap | null }) {
  const router = useRouter();
  const [on, setOn] = useState(cap !== null);
  const [maxEmails, setMaxEmails] = useState(String(cap?.maxEmails ?? 3));
  const [periodHours, setPeriodHours] = useState(String(cap?.periodHours ?? 168));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setErrors({});
    setMessage(null);
    setBusy(true);
    const result = on
      ? await callApi<{ cap: FrequencyCap | null }>('PUT', '/api/frequency-cap', { maxEmails: Number(maxEmails), periodHours: Number(periodHours) })
      : await callApi<{ cap: FrequencyCap | null }>('DELETE', '/api/frequency-cap');
    setBusy(false);
    if (result.ok) {
      setMessage(result.data.cap ? 'Saved: the cap applies to every send from now on.' : 'Saved: no cap.');
      router.refresh();
      return;
    }
    const fields = fieldErrors(result.error);
    setErrors(fields);
    if (Object.keys(fields).length === 0) setMessage(result.error.message);
  }

  const error = (field: string) =>
    errors[field] && (
      <p className="field-error" data-testid={`frequency-cap-error-${field}`}>
        {errors[field]}
      </p>
    );

  return (
    <form className="form card" onSubmit={onSubmit} noValidate data-testid="frequency-cap-form">
      <label>
        <input type="checkbox" checked={on} onChange={(e) => setOn(e.currentTarget.checked)} data-testid="frequency-cap-on" /> Cap marketing emails
        per contact
      </label>
      <div className="field">
        <label htmlFor="frequency-cap-max">Emails at most</label>
        <input
          id="frequency-cap-max"
          type="number"
          min={1}
          max={1000}
          disabled={!on}
          value={maxEmails}
          onChange={(e) => setMaxEmails(e.currentTarget.value)}
          data-testid="frequency-cap-max"
        />
        {error('maxEmails')}
      </div>
      <div className="field">
        <label htmlFor="frequency-cap-period">Per</label>
        <select
          id="frequency-cap-period"
          disabled={!on}
          value={['24', '168'].includes(periodHours) ? periodHours : 'hours'}
          onChange={(e) => setPeriodHours(e.currentTarget.value === 'hours' ? '12' : e.currentTarget.value)}
          data-testid="frequency-cap-period"
        >
          <option value="24">day</option>
          <option value="168">week</option>
          <option value="hours">number of hours</option>
        </select>
        {!['24', '168'].includes(periodHours) && (
          <input
            aria-label="Hours"
            type="number"
            min={1}
            max={2160}
            disabled={!on}
            value={periodHours}
            onChange={(e) => setPeriodHours(e.currentTarget.value)}
            data-testid="frequency-cap-hours"
          />
        )}
        {error('periodHours')}
      </div>
      <button type="submit" className="primary" disabled={busy} data-testid="frequency-cap-save">
        {busy ? 'Saving…' : 'Save'}
      </button>
      {message && (
        <p role="status" data-testid="frequency-cap-message">
          {message}
        </p>
      )}
    </form>
  );
}
