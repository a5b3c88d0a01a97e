'use client';

import { useState } from 'react';
import { MAX_SPREAD_HOURS } from '@domain/run-schedule';

/** What the start request adds for a schedule (POST /api/runs: startAt, spreadHours). */
export interface RunScheduleChoice {
  startAt?: string;
  spreadHours?: number;
  /** "Start at" is chosen without a date and time: what to tell the person instead of starting now. */
  missing?: string;
}

/**
 * When the run starts (now, or at a date and time in this browser's zone) and whether its first send
 * is spread over some hours. The server checks both (a time that has passed is refused, naming startAt).
 */
export function ScheduleFields({ onChange }: { onChange: (choice: RunScheduleChoice) => void }) {
  const [v, setV] = useState({ later: false, startAt: '', spread: false, hours: 6 });
  const { later, startAt, spread, hours } = v;

  function update(next: Partial<typeof v>) {
    const now = { ...v, ...next };
    setV(now);
    const at = now.later && now.startAt ? new Date(now.startAt) : undefined;
    onChange({
      ...(at && !Number.isNaN(at.getTime()) ? { startAt: at.toISOString() } : {}),
      ...(now.later && !at ? { missing: 'Choose the date and time to start at, or choose Start now.' } : {}),
      ...(now.spread ? { spreadHours: now.hours } : {}),
    });
  }

  return (
    <fieldset className="field">
      <legend>When</legend>
      <label className="radio">
        <input type="radio" name="when" checked={!later} onChange={() => update({ later: false })} data-testid="start-now" />
        Start now
      </label>
      <label className="radio">
        <input type="radio" name="when" checked={later} onChange={() => update({ later: true })} data-testid="start-later" />
        Start at{' '}
        <input
          type="datetime-local"
          aria-label="Start at"
          value={startAt}
          onChange={(e) => update({ later: true, startAt: e.currentTarget.value })}
          data-testid="start-at"
        />{' '}
        <span className="muted">(your time zone; the run waits until then and can be rescheduled or cancelled before)</span>
      </label>
      <label className="checkbox">
        <input type="checkbox" checked={spread} onChange={(e) => update({ spread: e.currentTarget.checked })} data-testid="spread" /> Spread the first
        send over{' '}
        <input
          type="number"
          min={1}
          max={MAX_SPREAD_HOURS}
          step={1}
          aria-label="Hours to spread the first send over"
          value={hours}
          onChange={(e) => update({ spread: true, hours: Number(e.currentTarget.value) })}
          data-testid="spread-hours"
        />{' '}
        hours
      </label>
    </fieldset>
  );
}
