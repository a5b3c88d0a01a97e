'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { callApi } from '@/lib/api-client';
import { type CreateUserBody, CreateUserRequest, type UserCreated } from '@/lib/api-types';
import { type FieldErrors, fieldErrors } from '@/lib/form-errors';
import { TextField } from '@/components/text-field';

type Role = CreateUserBody['role'];
const ROLES = CreateUserRequest.shape.role.options;

export function CreateUserForm() {
  const router = useRouter();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('agent');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setErrors({});
    setFormError(null);
    setCreated(null);
    if (password.length < 10) {
      setErrors({ password: 'password must be at least 10 characters' });
      return;
    }
    setBusy(true);
    const result = await callApi<UserCreated>('POST', '/api/users', { email, name, password, role } satisfies CreateUserBody);
    setBusy(false);
    if (result.ok) {
      setCreated(`Created ${result.data.email} (${role}). Give them the password; they log in at /login.`);
      setEmail('');
      setName('');
      setPassword('');
      setRole('agent');
      router.refresh();
      return;
    }
    const fields = fieldErrors(result.error);
    setErrors(fields);
    if (Object.keys(fields).length === 0) setFormError(result.error.message);
  }

  const fieldError = (field: string) =>
    errors[field] && (
      <p id={`user-${field}-error`} className="field-error" data-testid={`user-error-${field}`}>
        {errors[field]}
      </p>
    );

  return (
    <form className="form form--row card" onSubmit={onSubmit} noValidate data-testid="create-user-form">
      <TextField
        id="user-email"
        label="Email"
        type="email"
        value={email}
        onValue={setEmail}
        error={errors.email}
        errorTestId="user-error-email"
        autoComplete="off"
      />
      <TextField id="user-name" label="Name" type="text" value={name} onValue={setName} error={errors.name} errorTestId="user-error-name" />
      <TextField
        id="user-password"
        label="Password"
        type="password"
        value={password}
        onValue={setPassword}
        error={errors.password}
        errorTestId="user-error-password"
        autoComplete="new-password"
        placeholder="at least 10 characters"
      />
      <div className="field field--narrow">
        <label htmlFor="user-role">Role</label>
        <select
          id="user-role"
          value={role}
          onChange={(e) => setRole(ROLES.find((r) => r === e.currentTarget.value) ?? 'agent')}
          data-testid="user-role"
        >
          <option value="agent">agent</option>
          <option value="admin">admin</option>
        </select>
        {fieldError('role')}
      </div>
      <div className="form__actions">
        <button type="submit" className="button primary" disabled={busy} data-testid="create-user">
          {busy ? 'Creating…' : 'Create user'}
        </button>
      </div>
      {formError && (
        <p className="notice notice--error form__full" role="alert">
          {formError}
        </p>
      )}
      {created && (
        <p className="notice notice--success form__full" role="status" data-testid="user-created">
          {created}
        </p>
      )}
    </form>
  );
}
