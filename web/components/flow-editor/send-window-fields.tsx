'use client';
/** The Send window panel: the days, the hours, the time zone for contacts without one, and Randomize. Every input carries `nodrag`. */
import { useId, useMemo } from 'react';
import type { FlowError } from '@domain/flow/compile';
import type { SendWindowData } from '@domain/flow/nodes/send-window';
import { WEEKDAY_LABELS, WEEKDAYS } from '@domain/flow/send-window';

function Problems({ errors, field }: { errors: FlowError[]; field: string }) {
  const messages = errors.filter((e) => e.field === field).map((e) => e.message);
  return messages.length > 0 ? <p className="field-error">{messages.join('; ')}</p> : null;
}

/** Every IANA zone this browser knows, for the time zone box's suggestions. */
function useTimeZones(): string[] {
  return useMemo(() => {
    try {
      return Intl.supportedValuesOf('timeZone');
    } catch {
      return [];
    }
  }, []);
}

export function SendWindowFields({ data, errors, onChange }: { data: SendWindowData; errors: FlowError[]; onChange: (d: SendWindowData) => void }) {
  const id = useId();
  const zones = useTimeZones();
  const mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return (
    <>
      <fieldset className="field" data-testid="window-days">
        <legend>Send on</legend>
        <div className="segmented window-days">
          {WEEKDAYS.map((day) => (
            <label key={day}>
              <input
                className="nodrag"
                type="checkbox"
                checked={data.days.includes(day)}
                onChange={(e) => {
                  const on = e.currentTarget.checked;
                  onChange({ ...data, days: WEEKDAYS.filter((d) => (d === day ? on : data.days.includes(d))) });
                }}
                data-testid={`window-day-${day}`}
              />
              {WEEKDAY_LABELS[day]}
            </label>
          ))}
        </div>
        <Problems errors={errors} field="data.days" />
      </fieldset>
      <div className="field">
        <label htmlFor={`${id}-from`}>From</label>
        <input
          id={`${id}-from`}
          className="nodrag"
          type="time"
          required
          value={data.from}
          onChange={(e) => e.currentTarget.value && onChange({ ...data, from: e.currentTarget.value.slice(0, 5) })}
          data-testid="window-from"
        />
        <Problems errors={errors} field="data.from" />
      </div>
      <div className="field">
        <label htmlFor={`${id}-to`}>Until</label>
        <input
          id={`${id}-to`}
          className="nodrag"
          type="time"
          required
          value={data.to}
          onChange={(e) => e.currentTarget.value && onChange({ ...data, to: e.currentTarget.value.slice(0, 5) })}
          data-testid="window-to"
        />
        <Problems errors={errors} field="data.to" />
      </div>
      <div className="field">
        <label htmlFor={`${id}-zone`}>Time zone for contacts without one</label>
        <input
          id={`${id}-zone`}
          className="nodrag"
          type="text"
          list={`${id}-zones`}
          maxLength={64}
          spellCheck={false}
          value={data.timeZone}
          onChange={(e) => onChange({ ...data, timeZone: e.currentTarget.value.trim() })}
          data-testid="window-zone"
        />
        <datalist id={`${id}-zones`}>
          {zones.map((z) => (
            <option key={z} value={z} />
          ))}
        </datalist>
        <Problems errors={errors} field="data.timeZone" />
        {mine && mine !== data.timeZone && (
          <button
            type="button"
            className="link-button"
            style={{ alignSelf: 'flex-start' }}
            onClick={() => onChange({ ...data, timeZone: mine })}
            data-testid="window-zone-mine"
          >
            Use my time zone ({mine})
          </button>
        )}
      </div>
      <div className="field">
        <label>
          <input
            className="nodrag"
            type="checkbox"
            checked={data.randomize}
            onChange={(e) => onChange({ ...data, randomize: e.currentTarget.checked })}
            data-testid="window-randomize"
          />{' '}
          Randomize: spread sends across the window
        </label>
      </div>
      <p className="hint">
        Each contact waits here until the window is open in their own time zone (their <code>timezone</code> attribute, e.g. America/New_York), then
        goes on. Times follow the local clock, summer time included.
      </p>
    </>
  );
}
