'use client';
/** A field's problems under its input: errors, and warnings (which do not stop publishing) apart. */
import type { FlowError } from '@domain/flow/compile';

/** The problems of this field and of those inside it; with `exact`, only of `field` + each suffix given. */
export function FieldError({ errors, field, exact }: { errors: FlowError[]; field: string; exact?: readonly string[] }) {
  const matches = (f: string | undefined) => (exact ? exact.some((x) => f === `${field}${x}`) : f === field || f?.startsWith(`${field}.`));
  const mine = errors.filter((e) => matches(e.field));
  const messages = mine.filter((e) => e.severity !== 'warning').map((e) => e.message);
  const warnings = mine.filter((e) => e.severity === 'warning').map((e) => e.message);
  return (
    <>
      {messages.length > 0 && <p className="field-error">{messages.join('; ')}</p>}
      {warnings.length > 0 && (
        <p className="field-warning" data-testid="field-warning">
          {warnings.join('; ')}
        </p>
      )}
    </>
  );
}
