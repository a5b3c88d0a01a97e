'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { callApi } from '@/lib/api-client';
import type { AddContactBody, ContactResponse } from '@/lib/api-types';
import { type FieldErrors, fieldErrors } from '@/lib/form-errors';
import { TextField } from '@/components/text-field';

export function AddContactForm() {
  const router = useRouter();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    setFormError(null);
    setAdded(null);
    const result = await callApi<ContactResponse>('POST', '/api/contacts', { email, name } satisfies AddContactBody);
    setBusy(false);
    if (result.ok) {
      setAdded(result.data.email);
      setEmail('');
      setName('');
      router.refresh();
      return;
    }
    const fields = fieldErrors(result.error);
    setErrors(fields);
    if (!fields.email && !fields.name) setFormError(result.error.message);
  }

  return (
    <form className="form form--row card" onSubmit={onSubmit} noValidate data-testid="add-contact-form">
      <TextField
        id="contact-email"
        label="Email"
        name="email"
        type="email"
        value={email}
        onValue={setEmail}
        error={errors.email}
        placeholder="ada@example.com"
      />
      <TextField
        id="contact-name"
        label="Name (optional)"
        name="name"
        type="text"
        value={name}
        onValue={setName}
        error={errors.name}
        placeholder="Ada Lovelace"
      />
      <div className="form__actions">
        <button type="submit" className="button primary" disabled={busy} data-testid="add-contact">
          {busy ? 'Adding…' : 'Add contact'}
        </button>
      </div>
      {formError && (
        <p className="notice notice--error form__full" role="alert">
          {formError}
        </p>
      )}
      {added && (
        <p className="notice notice--success form__full" role="status">
          Added {added}.
        </p>
      )}
    </form>
  );
}
