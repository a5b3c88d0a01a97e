'use client';
/**
 * Rules on contacts, combined with all or any: one row per rule (an attribute from those contacts have,
 * an operator that fits its type, a value in the input its type takes), its problem under it. An
 * attribute no contact has yet is typed in after "Other attribute…". The segment editor and a
 * Condition's attribute test both use it; the logic is in filter-rules.ts.
 */
import { useId } from 'react';
import type { AttributeType } from '@domain/contact';
import { FILTER_OPERATORS, type FilterOperator } from '@domain/contact-filter';
import {
  buildFilter,
  newRow,
  OWN_FIELDS,
  operatorsFor,
  type RuleRow,
  ruleError,
  typeOf,
  valueInput,
  withField,
  withOp,
} from '@/components/filter-editor/filter-rules';

/** The attribute select's entry for a name typed in. */
const OTHER = '(other)';

interface Props {
  match: 'all' | 'any';
  rows: RuleRow[];
  /** Every attribute contacts have, with its type. */
  types: Record<string, AttributeType>;
  onChange: (match: 'all' | 'any', rows: RuleRow[]) => void;
  /** Problems found elsewhere (the server's, the flow's), by field: "rules.0.value", "rules", "match". */
  errors?: Record<string, string>;
  /** Before every test id, e.g. "branch-0-" (the rows are `${testIdPrefix}rule-0`, …). */
  testIdPrefix?: string;
}

export function FilterEditor({ match, rows, types, onChange, errors = {}, testIdPrefix = '' }: Props) {
  const id = useId();
  const tid = (name: string) => `${testIdPrefix}${name}`;
  const fields = [...Object.keys(OWN_FIELDS), ...Object.keys(types)];
  const built = buildFilter(match, rows, types);
  // The editor's own words first: they name the attribute's type.
  const problems = { ...errors, ...(built.ok ? {} : built.errors) };
  const setRow = (i: number, row: RuleRow) =>
    onChange(
      match,
      rows.map((r, j) => (j === i ? row : r)),
    );

  return (
    <div className="filter-editor">
      <div className="field field--inline">
        <label htmlFor={`${id}-match`}>Contacts matching</label>
        <select
          id={`${id}-match`}
          className="nodrag"
          value={match}
          onChange={(e) => onChange(e.currentTarget.value === 'any' ? 'any' : 'all', rows)}
          data-testid={tid('rule-match')}
        >
          <option value="all">all of the rules</option>
          <option value="any">any of the rules</option>
        </select>
      </div>
      {problems.match && <p className="field-error">{problems.match}</p>}
      {rows.map((row, i) => {
        const type = typeOf(row.field, types);
        const known = fields.includes(row.field);
        const ops = operatorsFor(type);
        const input = valueInput(row.op, type);
        const error = ruleError(problems, i);
        const errorId = `${id}-error-${i}`;
        const valueProps = {
          className: 'nodrag',
          'aria-label': `Rule ${i + 1} value`,
          'aria-invalid': error ? true : undefined,
          'aria-describedby': error ? errorId : undefined,
          value: row.value,
          'data-testid': tid(`rule-value-${i}`),
        };
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: rules have no identity of their own; a rule is its position
          <div key={i} className="filter-rule" data-testid={tid(`rule-${i}`)}>
            <div className="filter-rule__field">
              <select
                className="nodrag"
                aria-label={`Rule ${i + 1} attribute`}
                value={known ? row.field : OTHER}
                onChange={(e) => setRow(i, withField(row, e.currentTarget.value === OTHER ? '' : e.currentTarget.value, types))}
                data-testid={tid(`rule-field-${i}`)}
              >
                {fields.map((f) => (
                  <option key={f} value={f}>
                    {f}
                  </option>
                ))}
                <option value={OTHER}>Other attribute…</option>
              </select>
              {!known && (
                <input
                  className="nodrag"
                  type="text"
                  aria-label={`Rule ${i + 1} other attribute's name`}
                  placeholder="name, e.g. plan"
                  value={row.field}
                  onChange={(e) => setRow(i, withField(row, e.currentTarget.value, types))}
                  data-testid={tid(`rule-field-name-${i}`)}
                />
              )}
            </div>
            <select
              className="nodrag"
              aria-label={`Rule ${i + 1} operator`}
              value={row.op}
              onChange={(e) => setRow(i, withOp(row, e.currentTarget.value as FilterOperator, types))}
              data-testid={tid(`rule-op-${i}`)}
            >
              {(ops.includes(row.op) ? ops : [row.op, ...ops]).map((op) => (
                <option key={op} value={op}>
                  {FILTER_OPERATORS[op]}
                </option>
              ))}
            </select>
            {input === 'none' ? (
              <span />
            ) : input === 'yesNo' ? (
              <select {...valueProps} onChange={(e) => setRow(i, { ...row, value: e.currentTarget.value })}>
                <option value="">choose</option>
                <option value="true">yes (true)</option>
                <option value="false">no (false)</option>
              </select>
            ) : (
              <input
                {...valueProps}
                type={input === 'number' || input === 'date' ? input : 'text'}
                placeholder={input === 'list' ? 'values, separated by commas' : input === 'text' ? 'value' : undefined}
                onChange={(e) => setRow(i, { ...row, value: e.currentTarget.value })}
              />
            )}
            <button
              type="button"
              className="button small"
              aria-label={`Remove rule ${i + 1}`}
              title="Remove rule"
              disabled={rows.length === 1}
              onClick={() =>
                onChange(
                  match,
                  rows.filter((_, j) => j !== i),
                )
              }
              data-testid={tid(`rule-remove-${i}`)}
            >
              ×
            </button>
            {error && (
              <p id={errorId} className="field-error" data-testid={tid(`rule-error-${i}`)}>
                {error}
              </p>
            )}
          </div>
        );
      })}
      {problems.rules && (
        <p className="field-error" data-testid={tid('rules-error')}>
          {problems.rules}
        </p>
      )}
      <button type="button" className="button small" onClick={() => onChange(match, [...rows, newRow(types)])} data-testid={tid('rule-add')}>
        Add a rule
      </button>
    </div>
  );
}
