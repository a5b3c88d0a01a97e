'use client';
/**
 * A date Trigger's fields: the date attribute (among contacts' date attributes), how many days before
 * or after, the time of day on the contact's clock, every year, and the zone of contacts without a
 * `timezone` attribute. Every input carries `nodrag`.
 */
import { useContext, useId, useMemo } from 'react';
import type { FlowError } from '@domain/flow/compile';
import { type DateTriggerData, describeDateTrigger, MAX_OFFSET_DAYS } from '@domain/flow/date-trigger';
import { FieldError } from '@/components/flow-editor/field-error';
import { EditorContext } from '@/components/flow-editor/nodes';
import { Segmented } from '@/components/flow-editor/segmented';

export function DateTriggerFields({
  data,
  errors,
  onChange,
}: {
  data: DateTriggerData;
  errors: FlowError[];
  onChange: (d: DateTriggerData) => void;
}) {
  const id = useId();
  const { attributes } = useContext(EditorContext);
  const dates = useMemo(() => attributes.filter((a) => a.type === 'date').map((a) => a.name), [attributes]);
  const zones = useMemo(() => {
    try {
      return Intl.supportedValuesOf('timeZone');
    } catch {
      return [];
    }
  }, []);
  return (
    <>
      <div className="field">
        <label htmlFor={`${id}-attribute`}>Date attribute</label>
        <select
          id={`${id}-attribute`}
          className="nodrag"
          value={data.attribute}
          onChange={(e) => onChange({ ...data, attribute: e.currentTarget.value })}
          data-testid="trigger-date-attribute"
        >
          {!dates.includes(data.attribute) && (
            <option value={data.attribute}>{data.attribute ? `No date attribute “${data.attribute}”` : 'Choose…'}</option>
          )}
          {dates.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
        <FieldError errors={errors} field="data.date.attribute" />
        {dates.length === 0 && <p className="hint">No contact has a date attribute yet: import one, e.g. birthday as YYYY-MM-DD.</p>}
      </div>
      <div className="field">
        <label htmlFor={`${id}-days`}>Days</label>
        <input
          id={`${id}-days`}
          className="nodrag"
          type="number"
          min={0}
          max={MAX_OFFSET_DAYS}
          step={1}
          value={Number.isFinite(data.days) ? data.days : ''}
          onChange={(e) => onChange({ ...data, days: e.currentTarget.valueAsNumber })}
          data-testid="trigger-date-days"
        />
        <Segmented
          name={`${id}-direction`}
          value={data.direction}
          choices={[
            { value: 'before', label: 'Before', testId: 'trigger-date-before' },
            { value: 'after', label: 'After', testId: 'trigger-date-after' },
          ]}
          onChange={(direction) => onChange({ ...data, direction })}
        />
        <FieldError errors={errors} field="data.date.days" />
      </div>
      <div className="field">
        <label htmlFor={`${id}-at`}>At (on the contact’s clock)</label>
        <input
          id={`${id}-at`}
          className="nodrag"
          type="time"
          required
          value={data.at}
          onChange={(e) => e.currentTarget.value && onChange({ ...data, at: e.currentTarget.value.slice(0, 5) })}
          data-testid="trigger-date-at"
        />
        <FieldError errors={errors} field="data.date.at" />
      </div>
      <div className="field">
        <label>
          <input
            className="nodrag"
            type="checkbox"
            checked={data.everyYear}
            onChange={(e) => onChange({ ...data, everyYear: e.currentTarget.checked })}
            data-testid="trigger-date-every-year"
          />{' '}
          Every year (anniversaries; Feb 29 falls on Feb 28 in other years)
        </label>
      </div>
      <div className="field">
        <label htmlFor={`${id}-zone`}>Time zone for contacts without one</label>
        <input
          id={`${id}-zone`}
          className="nodrag"
          list={`${id}-zones`}
          value={data.timeZone}
          onChange={(e) => onChange({ ...data, timeZone: e.currentTarget.value })}
          data-testid="trigger-date-zone"
        />
        <datalist id={`${id}-zones`}>
          {zones.map((z) => (
            <option key={z} value={z} />
          ))}
        </datalist>
        <FieldError errors={errors} field="data.date.timeZone" />
      </div>
      <p className="hint">
        {describeDateTrigger(data)}. A contact’s clock is their <code>timezone</code> attribute. A published version starts each subscribed contact’s
        journey once per date (or anniversary), looked at a day ahead.
      </p>
    </>
  );
}
