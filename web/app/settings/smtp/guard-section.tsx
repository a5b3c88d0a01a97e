'use client';
/**
 * The reputation guard on the SMTP profile form (its thresholds), and the admin's "Resume sending"
 * once it paused the profile (server/sending/guard.ts).
 */
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { GUARD_MIN_ATTEMPTS } from '@domain/smtp-profile';
import { TextField } from '@/components/text-field';
import { callApi } from '@/lib/api-client';
import { bind, type SectionProps } from '@/app/settings/smtp/smtp-form-sections';

export function GuardSection(props: SectionProps) {
  const percent = { type: 'number', min: 0, max: 100, step: 1 } as const;
  return (
    <>
      <h2>Reputation guard</h2>
      <p className="hint">
        Sending pauses by itself when, over the last attempts counted, more than these shares of the server's answers are hard bounces, policy blocks
        or throttle replies (never on fewer than {GUARD_MIN_ATTEMPTS} attempts). Its sends wait until an admin resumes it. 0 turns a check off.
      </p>
      <div className="field-row field-row--3">
        <TextField
          {...bind(props, 'guardWindow')}
          label="Attempts counted"
          type="number"
          min={GUARD_MIN_ATTEMPTS}
          max={10_000}
          hint="The last this many."
          testId="smtp-guard-window"
        />
        <TextField {...bind(props, 'guardBouncePercent')} label="Hard bounces (%)" {...percent} hint="5.1.x replies." testId="smtp-guard-bounces" />
        <TextField {...bind(props, 'guardBlockPercent')} label="Policy blocks (%)" {...percent} hint="5.7.x replies." testId="smtp-guard-blocks" />
        <TextField
          {...bind(props, 'guardThrottlePercent')}
          label="Throttle replies (%)"
          {...percent}
          hint="The server asks to slow down."
          testId="smtp-guard-throttles"
        />
      </div>
    </>
  );
}

/** Admins: ends the guard's pause; waiting sends go on at once. */
export function ResumeSending({ profileId }: { profileId: string }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const resume = async () => {
    setBusy(true);
    setError('');
    const result = await callApi(`POST`, `/api/smtp-profiles/${encodeURIComponent(profileId)}/resume`);
    setBusy(false);
    if (result.ok) router.refresh();
    else setError(result.error.message);
  };
  return (
    <>
      <button type="button" onClick={resume} disabled={busy} data-testid="resume-sending">
        {busy ? 'Resuming…' : 'Resume sending'}
      </button>
      {error && (
        <span className="field-error" role="alert" data-testid="resume-error">
          {error}
        </span>
      )}
    </>
  );
}
