'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { callApi, fieldErrors } from '../../lib/api-client';

export function AddContactForm() {
  const router = useRouter();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    setFormError(null);
    setAdded(null);
    const result = await callApi<{ id: string; email: string }>('POST', '/api/contacts', { email, name });
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
      <div className="field">
        <label htmlFor="contact-email">Email</label>
        <input
          id="contact-email"
          name="email"
          type="email"
          value={email}
          onChange={(e) => setEmail(e.currentTarget.value)}
          aria-invalid={errors.email ? true : undefined}
          aria-describedby={errors.email ? 'contact-email-error' : undefined}
          placeholder="ada@example.com"
          data-testid="contact-email"
        />
        {errors.email && (
          <p id="contact-email-error" className="field-error" data-testid="contact-email-error">
            {errors.email}
          </p>
        )}
      </div>
      <div className="field">
        <label htmlFor="contact-name">Name</label>
        <input
          id="contact-name"
          name="name"
          type="text"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          aria-invalid={errors.name ? true : undefined}
          aria-describedby={errors.name ? 'contact-name-error' : undefined}
          placeholder="Ada Lovelace"
          data-testid="contact-name"
        />
        {errors.name && (
          <p id="contact-name-error" className="field-error" data-testid="contact-name-error">
            {errors.name}
          </p>
        )}
      </div>
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
