'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { callApi, type ApiError } from '@/lib/api-client';
import type { RunStarted, StartRunBody } from '@/lib/api-types';

interface Props {
  flowId: string;
  versions: { version: number; publishedAt: string }[];
  initialVersion: number;
  contacts: { id: string; email: string; name: string }[];
}

export function StartRunForm({ flowId, versions, initialVersion, contacts }: Props) {
  const router = useRouter();
  const [version, setVersion] = useState(initialVersion);
  const [chosen, setChosen] = useState<ReadonlySet<string>>(() => new Set());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const allChosen = contacts.length > 0 && chosen.size === contacts.length;
  const someChosen = chosen.size > 0 && !allChosen;

  function toggle(id: string, on: boolean) {
    setChosen((prev) => {
      const next = new Set(prev);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  }

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    if (chosen.size === 0) {
      setError({ status: 0, code: 'no_contacts', message: 'Choose at least one contact.' });
      return;
    }
    setBusy(true);
    const result = await callApi<RunStarted>('POST', '/api/runs', { flowId, version, contactIds: [...chosen] } satisfies StartRunBody);
    if (result.ok) {
      router.push(`/runs/${result.data.runId}`);
      return;
    }
    setError(result.error);
    setBusy(false);
  }

  return (
    <form className="form" onSubmit={onSubmit}>
      <div className="field field--inline">
        <label htmlFor="version">Version</label>
        <select id="version" value={version} onChange={(e) => setVersion(Number(e.currentTarget.value))} data-testid="version-select">
          {versions.map((v) => (
            <option key={v.version} value={v.version}>
              v{v.version} — published {v.publishedAt}
            </option>
          ))}
        </select>
      </div>

      <fieldset className="field">
        <legend>Contacts</legend>
        {contacts.length === 0 ? (
          <p className="muted">
            No contacts yet. <Link href="/contacts">Add some</Link> first.
          </p>
        ) : (
          <table className="table table--compact">
            <thead>
              <tr>
                <th className="check">
                  <input
                    type="checkbox"
                    aria-label="Select all contacts"
                    checked={allChosen}
                    ref={(el) => {
                      if (el) el.indeterminate = someChosen;
                    }}
                    onChange={(e) => setChosen(e.currentTarget.checked ? new Set(contacts.map((c) => c.id)) : new Set())}
                    data-testid="select-all-contacts"
                  />
                </th>
                <th>Email</th>
                <th>Name</th>
              </tr>
            </thead>
            <tbody>
              {contacts.map((c) => (
                <tr key={c.id}>
                  <td className="check">
                    <input
                      id={`contact-${c.id}`}
                      type="checkbox"
                      checked={chosen.has(c.id)}
                      onChange={(e) => toggle(c.id, e.currentTarget.checked)}
                      data-testid={`contact-checkbox-${c.id}`}
                    />
                  </td>
                  <td>
                    <label htmlFor={`contact-${c.id}`}>{c.email}</label>
                  </td>
                  <td>{c.name}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </fieldset>

      {error && (
        <div className="notice notice--error" role="alert" data-testid="api-error">
          {error.message}
          {error.status > 0 && (
            <span className="muted">
              {' '}
              ({error.code}, HTTP {error.status})
            </span>
          )}
        </div>
      )}

      <div className="form__actions">
        <button type="submit" className="button primary" disabled={busy} data-testid="start-run">
          {busy ? 'Starting…' : `Start run${chosen.size > 0 ? ` for ${chosen.size} contact${chosen.size === 1 ? '' : 's'}` : ''}`}
        </button>
      </div>
    </form>
  );
}
