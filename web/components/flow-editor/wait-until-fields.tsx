'use client';
/**
 * The Wait until's fields (an event with property filters, or a condition on the contact; the longest
 * wait) and the event fields a flow's goal shares with it. Errors show at their field.
 */
import { useContext, useId, useMemo } from 'react';
import type { FlowError } from '@domain/flow/compile';
import { type EventMatch, type EventPropertyFilter, MAX_EVENT_FILTERS } from '@domain/flow/event-match';
import { DURATION_UNITS } from '@domain/flow/nodes/delay';
import { type WaitUntilData, waitUntilOutputs } from '@domain/flow/nodes/wait-until';
import { AttributeRules } from '@/components/flow-editor/condition-panel';
import { FieldError } from '@/components/flow-editor/field-error';
import { EditorContext } from '@/components/flow-editor/nodes';
import { Segmented } from '@/components/flow-editor/segmented';

const OPS: Record<EventPropertyFilter['op'], string> = { equals: 'equals', exists: 'is set', sameAsEntry: 'same as the entry event' };
type ValueType = 'text' | 'number' | 'boolean';
const typeOf = (v: string | number | boolean): ValueType => (typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'text');
/** The box's text as a value of the chosen type (an empty or bad number stays NaN: the schema names it). */
const valueAs = (type: ValueType, text: string) =>
  type === 'number' ? (text.trim() === '' ? Number.NaN : Number(text)) : type === 'boolean' ? text === 'true' : text;

function FilterRow(props: { filter: EventPropertyFilter; testId: string; onChange: (f: EventPropertyFilter) => void; onRemove: () => void }) {
  const { filter, testId, onChange } = props;
  const type = filter.op === 'equals' ? typeOf(filter.value) : 'text';
  return (
    <div className="field-row" data-testid={testId}>
      <input
        className="nodrag"
        aria-label="Property"
        placeholder="cart_id"
        value={filter.property}
        onChange={(e) => onChange({ ...filter, property: e.currentTarget.value })}
        data-testid={`${testId}-property`}
      />
      <select
        className="nodrag"
        aria-label="Test"
        value={filter.op}
        onChange={(e) => {
          const op = e.currentTarget.value as EventPropertyFilter['op'];
          onChange(op === 'equals' ? { property: filter.property, op, value: '' } : { property: filter.property, op });
        }}
        data-testid={`${testId}-op`}
      >
        {Object.entries(OPS).map(([op, label]) => (
          <option key={op} value={op}>
            {label}
          </option>
        ))}
      </select>
      {filter.op === 'equals' && (
        <>
          <select
            className="nodrag"
            aria-label="Value type"
            value={type}
            onChange={(e) => onChange({ ...filter, value: valueAs(e.currentTarget.value as ValueType, String(filter.value)) })}
          >
            <option value="text">text</option>
            <option value="number">number</option>
            <option value="boolean">true/false</option>
          </select>
          <input
            className="nodrag"
            aria-label="Value"
            value={typeof filter.value === 'number' && !Number.isFinite(filter.value) ? '' : String(filter.value)}
            onChange={(e) => onChange({ ...filter, value: valueAs(type, e.currentTarget.value) })}
            data-testid={`${testId}-value`}
          />
        </>
      )}
      <button type="button" className="button" aria-label="Remove filter" onClick={props.onRemove}>
        ✕
      </button>
    </div>
  );
}

/** An event name and its property filters; `field` is where the flow's errors for it are (e.g. data.goal). */
export function EventMatchFields(props: {
  match: EventMatch;
  field: string;
  errors: FlowError[];
  testId: string;
  onChange: (m: EventMatch) => void;
}) {
  const { match, field, errors, testId, onChange } = props;
  const id = useId();
  const setFilter = (i: number, f: EventPropertyFilter | undefined) =>
    onChange({ ...match, where: f ? match.where.map((g, j) => (j === i ? f : g)) : match.where.filter((_, j) => j !== i) });
  return (
    <>
      <div className="field">
        <label htmlFor={`${id}-event`}>Event name</label>
        <input
          id={`${id}-event`}
          className="nodrag"
          placeholder="purchased"
          value={match.event}
          onChange={(e) => onChange({ ...match, event: e.currentTarget.value })}
          data-testid={`${testId}-event`}
        />
        <FieldError errors={errors} field={`${field}.event`} />
      </div>
      <fieldset className="field">
        <legend>Where the event’s properties</legend>
        {match.where.map((f, i) => (
          <FilterRow
            // biome-ignore lint/suspicious/noArrayIndexKey: filters have no id; their order is what the flow stores
            key={i}
            filter={f}
            testId={`${testId}-filter-${i}`}
            onChange={(g) => setFilter(i, g)}
            onRemove={() => setFilter(i, undefined)}
          />
        ))}
        <FieldError errors={errors} field={`${field}.where`} />
        {match.where.length < MAX_EVENT_FILTERS && (
          <button
            type="button"
            className="button"
            onClick={() => onChange({ ...match, where: [...match.where, { property: '', op: 'sameAsEntry' }] })}
            data-testid={`${testId}-add-filter`}
          >
            Add a property filter
          </button>
        )}
        <p className="hint">
          The properties are the attributes sent with the event; “same as the entry event” compares with the event that started the journey.
        </p>
      </fieldset>
    </>
  );
}

export function WaitUntilFields(props: { data: WaitUntilData; errors: FlowError[]; onChange: (d: WaitUntilData) => void }) {
  const { data, errors, onChange } = props;
  const id = useId();
  const { attributes } = useContext(EditorContext);
  const types = useMemo(() => Object.fromEntries(attributes.map((a) => [a.name, a.type])), [attributes]);
  const [met, timedOut] = waitUntilOutputs(data);
  return (
    <>
      <fieldset className="field">
        <legend>Wait until</legend>
        <Segmented
          name={`${id}-kind`}
          value={data.until.kind}
          choices={[
            { value: 'event', label: 'An event comes', testId: 'wait-until-kind-event' },
            { value: 'contact', label: 'The contact matches', testId: 'wait-until-kind-contact' },
          ]}
          onChange={(kind) =>
            onChange({
              ...data,
              until:
                kind === 'event'
                  ? { kind, match: { event: '', where: [] } }
                  : { kind, filter: { match: 'all', rules: [{ field: 'email', op: 'exists' }] } },
            })
          }
        />
      </fieldset>
      {data.until.kind === 'event' ? (
        <EventMatchFields
          match={data.until.match}
          field="data.until.match"
          errors={errors}
          testId="wait-until"
          onChange={(match) => onChange({ ...data, until: { kind: 'event', match } })}
        />
      ) : (
        <>
          <AttributeRules
            filter={data.until.filter}
            field="data.until"
            errors={errors}
            testId="wait-until-rules"
            types={types}
            onChange={(filter) => onChange({ ...data, until: { kind: 'contact', filter } })}
          />
          <p className="hint">Checked when the contact arrives, and again at each API event for them.</p>
        </>
      )}
      <div className="field-row">
        <div className="field">
          <label htmlFor={`${id}-max`}>At most</label>
          <input
            id={`${id}-max`}
            className="nodrag"
            type="number"
            min={0}
            step="any"
            value={Number.isFinite(data.maxWait) ? data.maxWait : ''}
            onChange={(e) => onChange({ ...data, maxWait: e.currentTarget.valueAsNumber })}
            data-testid="wait-until-max"
          />
          <FieldError errors={errors} field="data.maxWait" />
        </div>
        <div className="field">
          <label htmlFor={`${id}-unit`}>Unit</label>
          <select
            id={`${id}-unit`}
            className="nodrag"
            value={data.unit}
            onChange={(e) => onChange({ ...data, unit: DURATION_UNITS.find((u) => u === e.currentTarget.value) ?? data.unit })}
            data-testid="wait-until-unit"
          >
            {DURATION_UNITS.map((u) => (
              <option key={u} value={u}>
                {u}
              </option>
            ))}
          </select>
        </div>
      </div>
      <p className="hint">
        “{met?.label}” when it happens in time; “{timedOut?.label}” after the longest wait. In a campaign each recipient waits on their own: an API
        event for them moves them on.
      </p>
      <FieldError errors={errors} field="data.branches" />
    </>
  );
}

/** A journey's goal (Trigger, by an API event): the event that ends a contact's journey at once, counted as converted. */
export function GoalFields(props: { goal: EventMatch | undefined; errors: FlowError[]; onChange: (goal: EventMatch | undefined) => void }) {
  const { goal, errors, onChange } = props;
  return (
    <fieldset className="field" data-testid="goal">
      <legend>Goal and exit</legend>
      <label>
        <input
          className="nodrag"
          type="checkbox"
          checked={goal !== undefined}
          onChange={(e) => onChange(e.currentTarget.checked ? { event: 'purchased', where: [] } : undefined)}
          data-testid="goal-on"
        />
        End a contact’s journey when an event comes
      </label>
      {goal && <EventMatchFields match={goal} field="data.goal" errors={errors} testId="goal" onChange={onChange} />}
      <FieldError errors={errors} field="data.goal" exact={['']} />
      <p className="hint">The journey ends at once, wherever the contact is, and counts as converted at that step.</p>
    </fieldset>
  );
}
