import type { InputHTMLAttributes, ReactNode } from 'react';

/**
 * A labelled input with an optional hint and its error under it. The input's test id is its id and the
 * error's `<id>-error`, unless given.
 */
export function TextField({
  id,
  label,
  hint,
  error,
  testId = id,
  errorTestId = `${id}-error`,
  onValue,
  ...input
}: {
  id: string;
  label: string;
  hint?: ReactNode;
  error?: string | undefined;
  testId?: string;
  errorTestId?: string;
  onValue: (value: string) => void;
} & Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'onChange'>) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        onChange={(e) => onValue(e.currentTarget.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        data-testid={testId}
        {...input}
      />
      {hint && <p className="hint">{hint}</p>}
      {error && (
        <p id={`${id}-error`} className="field-error" data-testid={errorTestId}>
          {error}
        </p>
      )}
    </div>
  );
}
