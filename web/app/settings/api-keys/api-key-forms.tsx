'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { callApi } from '@/lib/api-client';
import type { ApiKeyCreated, CreateApiKeyBody } from '@/lib/api-types';
import { type FieldErrors, fieldErrors } from '@/lib/form-errors';
import { TextField } from '@/components/text-field';
import { CopyButton } from '@/components/copy-button';
import { eventCurl } from '@/lib/curl-example';

/** Creates a key and shows it this once, with a copy button and a curl command that sends an event with it. */
export function CreateApiKeyForm({ publicUrl, exampleEvent }: { publicUrl: string; exampleEvent: string }) {
  const router = useRouter();
  const [name, setName] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setErrors({});
    setFormError(null);
    setCreated(null);
    setBusy(true);
    const result = await callApi<ApiKeyCreated>('POST', '/api/api-keys', { name } satisfies CreateApiKeyBody);
    setBusy(false);
    if (result.ok) {
      setCreated(result.data);
      setName('');
      router.refresh();
      return;
    }
    const fields = fieldErrors(result.error);
    setErrors(fields);
    if (Object.keys(fields).length === 0) setFormError(result.error.message);
  }

  return (
    <form className="form form--row card" onSubmit={onSubmit} noValidate data-testid="create-api-key-form">
      <TextField
        id="api-key-name"
        label="Name"
        type="text"
        value={name}
        onValue={setName}
        error={errors.name}
        errorTestId="api-key-error-name"
        placeholder="e.g. Signup form"
      />
      <div className="form__actions">
        <button type="submit" className="button primary" disabled={busy} data-testid="create-api-key">
          {busy ? 'Creating…' : 'Create API key'}
        </button>
      </div>
      {formError && (
        <p className="notice notice--error form__full" role="alert">
          {formError}
        </p>
      )}
      {created && (
        <div className="notice notice--success form__full" role="status">
          <p>Copy the key for "{created.apiKey.name}" now: it is not shown again.</p>
          <p className="copy-row">
            <code data-testid="api-key-created">{created.key}</code> <CopyButton text={created.key} label="Copy key" testId="copy-api-key" />
          </p>
          <p>Try it: this sends the event "{exampleEvent}" for ada@example.com with the new key.</p>
          <pre className="code-block" data-testid="api-key-curl">
            {eventCurl(publicUrl, created.key, exampleEvent)}
          </pre>
          <CopyButton text={eventCurl(publicUrl, created.key, exampleEvent)} label="Copy command" testId="copy-api-key-curl" />
        </div>
      )}
    </form>
  );
}

export function RevokeApiKeyButton({ id, name }: { id: string; name: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  async function revoke() {
    if (!window.confirm(`Revoke the API key "${name}"? Requests with it will be refused from now on.`)) return;
    const result = await callApi('DELETE', `/api/api-keys/${encodeURIComponent(id)}`);
    if (result.ok) router.refresh();
    else setError(result.error.message);
  }
  return (
    <>
      <button type="button" className="button danger" onClick={revoke} data-testid={`revoke-api-key-${id}`}>
        Revoke
      </button>
      {error && (
        <span className="error-text" role="alert">
          {error}
        </span>
      )}
    </>
  );
}
