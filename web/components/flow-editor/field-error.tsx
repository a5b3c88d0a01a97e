'use client';
/** A field's problems under its input: errors, and warnings (which do not stop publishing) apart. */
import type { FlowError } from '@domain/flow/compile';

export function FieldError({ errors, field }: { errors: FlowError[]; field: string }) {
  const mine = errors.filter((e) => e.field === field || e.field?.startsWith(`${field}.`));
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
