'use client';
/**
 * "Insert a variable" in a Send Email node's panel: a contact attribute (or name, email, unsubscribe_url)
 * with the default contacts without it get, put as `{{ name | default: "…" }}` at the cursor of the
 * field last focused (the text body until one is). Every input carries `nodrag`.
 */
import { useState } from 'react';
import { BUILT_IN_VARIABLES } from '@domain/template-variables';

/** `{{ name }}`, or `{{ name | default: "…" }}` with a default (in single quotes when it holds a double one). */
export function variableTag(name: string, fallback: string): string {
  if (fallback === '') return `{{ ${name} }}`;
  const quote = fallback.includes('"') ? "'" : '"';
  return `{{ ${name} | default: ${quote}${fallback.replaceAll(quote, '')}${quote} }}`;
}

export function VariablePicker(props: { attributes: readonly string[]; fieldLabel: string; onInsert: (tag: string) => void }) {
  const names = [...BUILT_IN_VARIABLES, ...props.attributes.filter((a) => !(BUILT_IN_VARIABLES as readonly string[]).includes(a))];
  const [name, setName] = useState('');
  const [fallback, setFallback] = useState('');
  return (
    <fieldset className="field variable-picker" data-testid="variable-picker">
      <legend>Insert a variable into the {props.fieldLabel}</legend>
      <div className="inline-action">
        <select aria-label="Variable" className="nodrag" value={name} onChange={(e) => setName(e.currentTarget.value)} data-testid="variable-name">
          <option value="">Choose a variable…</option>
          {names.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
        <input
          aria-label="Default, for contacts without it"
          className="nodrag"
          type="text"
          placeholder="Default (e.g. there)"
          value={fallback}
          onChange={(e) => setFallback(e.currentTarget.value)}
          data-testid="variable-default"
        />
        <button
          type="button"
          className="button"
          disabled={!name}
          onClick={() => props.onInsert(variableTag(name, fallback))}
          data-testid="variable-insert"
        >
          Insert
        </button>
      </div>
    </fieldset>
  );
}
