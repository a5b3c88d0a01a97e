'use client';

import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { TextField } from '@/components/text-field';
import { callApi } from '@/lib/api-client';
import type { CreateListBody, ListResponse } from '@/lib/api-types';
import { type FieldErrors, fieldErrors } from '@/lib/form-errors';

export function CreateListForm() {
  const router = useRouter();
  const [name, setName] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    const result = await callApi<ListResponse>('POST', '/api/lists', { name } satisfies CreateListBody);
    setBusy(false);
    if (result.ok) {
      setName('');
      router.refresh();
      return;
    }
    const fields = fieldErrors(result.error);
    setErrors(fields.name ? fields : { name: result.error.message });
  }

  return (
    <form className="form form--row card" onSubmit={onSubmit} noValidate data-testid="create-list-form">
      <TextField id="list-name" label="New list" name="name" value={name} onValue={setName} error={errors.name} placeholder="Newsletter" />
      <div className="form__actions">
        <button type="submit" className="button primary" disabled={busy} data-testid="create-list">
          {busy ? 'Creating…' : 'Create list'}
        </button>
      </div>
    </form>
  );
}
