import type { InputHTMLAttributes } from 'react';

/** A labelled input with its error under it; the input's test id is its id, the error's `<id>-error` unless given. */
export function TextField({
  id,
  label,
  error,
  errorTestId = `${id}-error`,
  onValue,
  ...input
}: {
  id: string;
  label: string;
  error?: string | undefined;
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
        data-testid={id}
        {...input}
      />
      {error && (
        <p id={`${id}-error`} className="field-error" data-testid={errorTestId}>
          {error}
        </p>
      )}
    </div>
  );
}
