'use client';
/**
 * The SMTP profile form's "Limits" group: the limits a provider publishes (per second, minute, hour, a daily
 * cap per calendar day in a time zone or over the last 24 hours), the connections, the warm-up ramp, and
 * what happens to sends that fail for a while or whose outcome is unknown (domain/send-limits.ts).
 */
import { rampLength, rampLevel } from '@domain/send-limits';
import { TextField } from '@/components/text-field';
import { bind, type SectionProps } from '@/app/settings/smtp/smtp-form-sections';

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** The profile's limits hold for the whole cluster. */
export function LimitsSection(props: SectionProps) {
  const { id, values, errors, dispatch } = props;
  return (
    <>
      <h2>Limits</h2>
      <p className="hint">What your provider allows, in its own terms: any of them, in any combination. Empty: no limit of that kind.</p>
      <div className="field-row field-row--3">
        <TextField {...bind(props, 'ratePerSecond')} label="Messages per second" type="number" min={0} step="any" testId="smtp-rate" />
        <TextField
          {...bind(props, 'perMinute')}
          label="Messages per minute"
          type="number"
          min={1}
          hint="Microsoft 365: 30."
          testId="smtp-per-minute"
        />
        <TextField {...bind(props, 'perHour')} label="Messages per hour" type="number" min={1} hint="Many hosts: 100–500." testId="smtp-per-hour" />
      </div>
      <div className="field-row field-row--3">
        <TextField {...bind(props, 'dailyCap')} label="Daily cap" type="number" min={1} hint="Recipients a day." testId="smtp-daily-cap" />
        <div className="field">
          <label htmlFor={`${id}-dailyCapWindow`}>Daily cap counts</label>
          <select
            id={`${id}-dailyCapWindow`}
            value={values.dailyCapWindow}
            onChange={(e) => dispatch({ type: 'text', field: 'dailyCapWindow', value: e.currentTarget.value })}
            data-testid="smtp-daily-cap-window"
          >
            <option value="rolling">Over the last 24 hours (Gmail, Microsoft 365, SES)</option>
            <option value="calendar">Per calendar day in the time zone</option>
          </select>
          {errors.dailyCapWindow && (
            <p className="field-error" data-testid="smtp-error-dailyCapWindow">
              {errors.dailyCapWindow}
            </p>
          )}
        </div>
        <TextField
          {...bind(props, 'timeZone')}
          label="Time zone"
          hint="IANA name, e.g. Europe/Berlin: when a day (cap, warm-up) begins."
          testId="smtp-time-zone"
        />
      </div>
      <div className="field-row field-row--3">
        <TextField
          {...bind(props, 'maxConnections')}
          label="Max connections"
          type="number"
          min={1}
          max={50}
          hint="Open at once (1–50)."
          testId="smtp-max-connections"
        />
        <TextField
          {...bind(props, 'retryForHours')}
          label="Retry for (hours)"
          type="number"
          min={1}
          max={720}
          hint="Temporary failures, then the recipient fails."
          testId="smtp-retry-for"
        />
      </div>
      <WarmupFields {...props} />
      <div className="field">
        <label htmlFor={`${id}-uncertain`}>When a send's outcome is unknown</label>
        <select
          id={`${id}-uncertain`}
          value={values.uncertainPolicy}
          onChange={(e) => dispatch({ type: 'text', field: 'uncertainPolicy', value: e.currentTarget.value })}
          data-testid="smtp-uncertain-policy"
        >
          <option value="resend">Resend it with the same Message-ID (receivers drop the duplicate)</option>
          <option value="hold">Hold it for review on the run page</option>
        </select>
        <p className="hint">
          A connection lost after the message went out, or a worker that stopped mid-send, leaves it unknown whether the server has it.
        </p>
      </div>
    </>
  );
}

/** A new address's daily ramp: first, first × growth, … up to the target, on the chosen weekdays. */
function WarmupFields(props: SectionProps) {
  const { values, errors, dispatch } = props;
  const on = values.warmupStart !== '';
  const today = new Date().toISOString().slice(0, 10);
  const set = (field: 'warmupStart' | 'warmupDays', value: string) => dispatch({ type: 'text', field, value });
  const first = Number(values.warmupFirst);
  const factor = Number(values.warmupFactor);
  const target = Number(values.warmupTarget);
  const ramp =
    on && first >= 1 && factor >= 1.1 && target >= first ? { start: values.warmupStart, first, factor, target, days: values.warmupDays } : null;
  const length = ramp ? rampLength(ramp) : 0;
  return (
    <div className="field" data-testid="smtp-warmup">
      <label className="check-field">
        <input type="checkbox" checked={on} onChange={(e) => set('warmupStart', e.currentTarget.checked ? today : '')} data-testid="smtp-warmup-on" />
        Warm-up: raise the daily volume step by step (a new address or IP)
      </label>
      {on && (
        <>
          <div className="field-row field-row--3">
            <TextField {...bind(props, 'warmupStart')} label="Starts on" type="date" testId="smtp-warmup-start" />
            <TextField
              {...bind(props, 'warmupFirst')}
              label="First day"
              type="number"
              min={1}
              hint="Messages; 50 is usual."
              testId="smtp-warmup-first"
            />
            <TextField
              {...bind(props, 'warmupFactor')}
              label="Growth per sending day"
              type="number"
              min={1.1}
              step="any"
              hint="× each day; 2 doubles."
              testId="smtp-warmup-factor"
            />
            <TextField {...bind(props, 'warmupTarget')} label="Target" type="number" min={1} hint="Messages a day." testId="smtp-warmup-target" />
          </div>
          <fieldset className="field">
            <legend>Sends on</legend>
            {WEEKDAYS.map((name, i) => {
              const digit = String(i + 1);
              return (
                <label key={name} className="check-field check-field--inline">
                  <input
                    type="checkbox"
                    checked={values.warmupDays.includes(digit)}
                    onChange={(e) => set('warmupDays', e.currentTarget.checked ? values.warmupDays + digit : values.warmupDays.replace(digit, ''))}
                    data-testid={`smtp-warmup-day-${digit}`}
                  />
                  {name}
                </label>
              );
            })}
            {errors.warmupDays && (
              <p className="field-error" data-testid="smtp-error-warmupDays">
                {errors.warmupDays}
              </p>
            )}
          </fieldset>
          <p className="hint" data-testid="smtp-warmup-ramp">
            {ramp
              ? `${Array.from({ length: Math.min(length, 6) }, (_, n) => rampLevel(ramp, n + 1)).join(', ')}${length > 6 ? ` … ${target}` : ''} a day: ${length} sending days. Days not ticked send nothing and do not move the ramp on; once it reaches the target, only the limits above apply.`
              : 'Fill in the ramp to see its days.'}
          </p>
        </>
      )}
    </div>
  );
}
