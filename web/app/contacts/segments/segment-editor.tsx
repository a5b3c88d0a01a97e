'use client';
/**
 * A segment's name and rules (attribute, an operator that fits its type, a value; all or any), with the
 * live count: a moment after each edit that makes a valid filter, the server counts the contacts it
 * matches. Problems show under the field they are about, from the browser's check and the server's alike.
 */
import { useRouter } from 'next/navigation';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import type { AttributeType } from '@domain/contact';
import { FILTER_OPERATORS, type FilterOperator } from '@domain/contact-filter';
import { TextField } from '@/components/text-field';
import { type ApiError, callApi } from '@/lib/api-client';
import type { CountSegmentBody, SaveSegmentBody, SegmentCountResponse, SegmentResponse } from '@/lib/api-types';
import { buildFilter, issuesByField, OPERATORS_FOR, OWN_FIELDS, type RuleRow, takesList, takesValue } from './segment-rules';

interface Props {
  /** Absent for a new segment. */
  segmentId?: string;
  initialName: string;
  initialMatch: 'all' | 'any';
  initialRows: RuleRow[];
  /** Every attribute contacts have, with its type. */
  types: Record<string, AttributeType>;
}

const COUNT_DELAY_MS = 300;

type Count = { state: 'idle' | 'counting' } | { state: 'ready'; contacts: number; subscribed: number } | { state: 'error'; message: string };

function serverErrors(error: ApiError): Record<string, string> {
  const { details } = error;
  if (Array.isArray(details)) return issuesByField(details);
  if (details && typeof details === 'object' && 'problems' in details && Array.isArray(details.problems)) return issuesByField(details.problems);
  if (details && typeof details === 'object' && 'field' in details && typeof details.field === 'string') {
    return { [details.field.replace(/^filter\.?/, '') || 'rules']: error.message };
  }
  return { form: error.message };
}

export function SegmentEditor({ segmentId, initialName, initialMatch, initialRows, types }: Props) {
  const router = useRouter();
  const fieldTypes: Record<string, AttributeType> = { ...OWN_FIELDS, ...types };
  const fields = Object.keys(fieldTypes);
  const [name, setName] = useState(initialName);
  const [match, setMatch] = useState(initialMatch);
  const [rows, setRows] = useState<RuleRow[]>(initialRows);
  const [count, setCount] = useState<Count>({ state: 'idle' });
  const [saveErrors, setSaveErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const asked = useRef(0);

  const built = buildFilter(match, rows, types);
  const errors = { ...(built.ok ? {} : built.errors), ...saveErrors };
  const filterKey = built.ok ? JSON.stringify(built.filter) : '';

  // The live count: debounced, and only the latest answer is shown.
  useEffect(() => {
    const ask = ++asked.current;
    if (!filterKey) {
      setCount({ state: 'idle' });
      return;
    }
    setCount({ state: 'counting' });
    const timer = setTimeout(async () => {
      const result = await callApi<SegmentCountResponse>('POST', '/api/segments/count', { filter: JSON.parse(filterKey) } satisfies CountSegmentBody);
      if (ask !== asked.current) return;
      if (result.ok) setCount({ state: 'ready', ...result.data });
      else {
        setCount({ state: 'error', message: result.error.message });
        setSaveErrors(serverErrors(result.error));
      }
    }, COUNT_DELAY_MS);
    return () => clearTimeout(timer);
  }, [filterKey]);

  function edit(index: number, change: Partial<RuleRow>) {
    setSaveErrors({});
    setRows((prev) =>
      prev.map((row, i) => {
        if (i !== index) return row;
        const next = { ...row, ...change };
        // A new attribute keeps the operator only if it fits its type; a new operator keeps the value only if it still takes one.
        if (change.field !== undefined && !OPERATORS_FOR[fieldTypes[next.field] ?? 'text'].includes(next.op))
          return { ...next, op: 'equals', value: '' };
        if (change.field !== undefined && fieldTypes[next.field] !== fieldTypes[row.field]) return { ...next, value: '' };
        return next;
      }),
    );
  }

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!built.ok) return;
    setBusy(true);
    setSaveErrors({});
    const body: SaveSegmentBody = { name, filter: built.filter };
    const result = segmentId
      ? await callApi<SegmentResponse>('PUT', `/api/segments/${segmentId}`, body)
      : await callApi<SegmentResponse>('POST', '/api/segments', body);
    setBusy(false);
    if (result.ok) {
      router.push(`/contacts/segments/${result.data.id}?saved=1`);
      router.refresh();
      return;
    }
    setSaveErrors(serverErrors(result.error));
  }

  return (
    <form className="form" onSubmit={onSubmit} noValidate data-testid="segment-form">
      <TextField
        id="segment-name"
        label="Name"
        name="name"
        type="text"
        value={name}
        onValue={setName}
        error={errors.name}
        placeholder="Pro customers"
      />
      <div className="field field--inline">
        <label htmlFor="segment-match">Contacts matching</label>
        <select
          id="segment-match"
          value={match}
          onChange={(e) => setMatch(e.currentTarget.value === 'any' ? 'any' : 'all')}
          data-testid="segment-match"
        >
          <option value="all">all of the rules</option>
          <option value="any">any of the rules</option>
        </select>
      </div>
      <fieldset className="field">
        <legend>Rules</legend>
        {rows.map((row, i) => {
          const type = fieldTypes[row.field];
          const ops = OPERATORS_FOR[type ?? 'text'];
          const rowError = errors[`rules.${i}.field`] ?? errors[`rules.${i}.op`] ?? errors[`rules.${i}.value`] ?? errors[`rules.${i}`];
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity of their own; a row is its position
            <div key={i} className="segment-rule" data-testid={`rule-${i}`}>
              <div className="field-row field-row--3">
                <select
                  aria-label={`Rule ${i + 1} attribute`}
                  value={row.field}
                  onChange={(e) => edit(i, { field: e.currentTarget.value })}
                  data-testid={`rule-field-${i}`}
                >
                  {!type && <option value={row.field}>{row.field || 'choose an attribute'}</option>}
                  {fields.map((f) => (
                    <option key={f} value={f}>
                      {f}
                    </option>
                  ))}
                </select>
                <select
                  aria-label={`Rule ${i + 1} operator`}
                  value={row.op}
                  onChange={(e) => edit(i, { op: e.currentTarget.value as FilterOperator })}
                  data-testid={`rule-op-${i}`}
                >
                  {(ops.includes(row.op) ? ops : [row.op, ...ops]).map((op) => (
                    <option key={op} value={op}>
                      {FILTER_OPERATORS[op]}
                    </option>
                  ))}
                </select>
                {!takesValue(row.op) ? (
                  <span />
                ) : type === 'boolean' && !takesList(row.op) ? (
                  <select
                    aria-label={`Rule ${i + 1} value`}
                    value={row.value}
                    onChange={(e) => edit(i, { value: e.currentTarget.value })}
                    data-testid={`rule-value-${i}`}
                  >
                    <option value="">choose</option>
                    <option value="true">yes (true)</option>
                    <option value="false">no (false)</option>
                  </select>
                ) : (
                  <input
                    aria-label={`Rule ${i + 1} value`}
                    type={takesList(row.op) ? 'text' : type === 'number' ? 'number' : type === 'date' ? 'date' : 'text'}
                    value={row.value}
                    placeholder={takesList(row.op) ? 'values, separated by commas' : ''}
                    onChange={(e) => edit(i, { value: e.currentTarget.value })}
                    aria-invalid={rowError ? true : undefined}
                    data-testid={`rule-value-${i}`}
                  />
                )}
              </div>
              <div className="button-row">
                {rowError && (
                  <p className="field-error" data-testid={`rule-error-${i}`}>
                    {rowError}
                  </p>
                )}
                <button
                  type="button"
                  className="link-button"
                  onClick={() => setRows((prev) => prev.filter((_, j) => j !== i))}
                  data-testid={`rule-remove-${i}`}
                >
                  Remove rule
                </button>
              </div>
            </div>
          );
        })}
        {errors.rules && (
          <p className="field-error" data-testid="rules-error">
            {errors.rules}
          </p>
        )}
        <button
          type="button"
          className="button"
          onClick={() => setRows((prev) => [...prev, { field: fields.find((f) => !OWN_FIELDS[f]) ?? 'email', op: 'equals', value: '' }])}
          data-testid="rule-add"
        >
          Add a rule
        </button>
      </fieldset>

      <p
        className="segment-count"
        aria-live="polite"
        data-testid="segment-count"
        data-state={count.state}
        data-count={count.state === 'ready' ? count.subscribed : undefined}
      >
        {count.state === 'ready'
          ? `${count.subscribed} subscribed contact${count.subscribed === 1 ? '' : 's'} match${count.subscribed === 1 ? 'es' : ''} (${count.contacts} in all)`
          : count.state === 'counting'
            ? 'Counting…'
            : count.state === 'error'
              ? count.message
              : 'Finish the rules to see how many contacts match.'}
      </p>

      {errors.form && (
        <div className="notice notice--error" role="alert" data-testid="api-error">
          {errors.form}
        </div>
      )}
      <div className="form__actions">
        <button type="submit" className="button primary" disabled={busy || !built.ok} data-testid="segment-save">
          {busy ? 'Saving…' : 'Save segment'}
        </button>
      </div>
    </form>
  );
}
