'use client';

import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { ATTRIBUTE_TYPES, type AttributeType } from '@domain/contact';
import { attributeNameFor, type ColumnTarget } from '@domain/contact-import';
import { callApi } from '@/lib/api-client';
import type { ImportStatusResponse, ImportUploadResponse, StartImportBody } from '@/lib/api-types';
import { Count } from '@/components/count';

type Target = 'email' | 'name' | 'attribute' | 'skip';
interface ColumnChoice {
  to: Target;
  name: string;
  type: AttributeType;
}

function choiceOf(column: string, t: ColumnTarget | undefined): ColumnChoice {
  if (t?.to === 'attribute') return { to: 'attribute', name: t.name, type: t.type ?? 'text' };
  return { to: t?.to ?? 'skip', name: attributeNameFor(column), type: 'text' };
}

const NEW_LIST = 'new';

/** Upload → preview and mapping → start; then the import's own page shows its progress. */
export function ImportFlow({ lists }: { lists: { id: string; name: string }[] }) {
  const router = useRouter();
  const [file, setFile] = useState<File | null>(null);
  const [uploaded, setUploaded] = useState<ImportUploadResponse | null>(null);
  const [choices, setChoices] = useState<ColumnChoice[]>([]);
  /** '' no list; NEW_LIST: a list made for this import, named `newList`; else an existing list's id. */
  const [listId, setListId] = useState('');
  const [newList, setNewList] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  /** The user's uploads not started yet, when a new one was refused for them (429): each may be discarded here. */
  const [waiting, setWaiting] = useState<{ id: string; fileName: string }[]>([]);

  async function upload(event: FormEvent) {
    event.preventDefault();
    if (!file) return setError('choose a CSV file first');
    setBusy(true);
    setError('');
    // The file goes as the body, streamed by the browser: the server writes it to disk as it arrives.
    const response = await fetch(`/api/imports?name=${encodeURIComponent(file.name)}`, { method: 'POST', body: file }).catch(() => null);
    setBusy(false);
    if (!response) return setError('could not reach the server; check that Dripline is running');
    const body = (await response.json().catch(() => null)) as
      | (ImportUploadResponse & { error?: { message: string; details?: { waiting?: { id: string; fileName: string }[] } } })
      | null;
    setWaiting(body?.error?.details?.waiting ?? []);
    if (!response.ok || !body) return setError(body?.error?.message ?? `the upload failed (${response.status})`);
    setUploaded(body);
    setChoices(body.columns.map((c, i) => choiceOf(c, body.suggested[i])));
  }

  async function discard(id: string) {
    const result = await callApi('DELETE', `/api/imports/${encodeURIComponent(id)}`);
    if (!result.ok) return setError(result.error.message);
    setWaiting((all) => all.filter((w) => w.id !== id));
    setError('');
  }

  function change(i: number, patch: Partial<ColumnChoice>) {
    setChoices((all) => all.map((c, j) => (j === i ? { ...c, ...patch } : c)));
  }

  async function start() {
    if (!uploaded) return;
    if (listId === NEW_LIST && newList.trim() === '') return setError('name the new list, or choose "No list" or an existing one');
    setBusy(true);
    setError('');
    const mapping = choices.map((c) => (c.to === 'attribute' ? { to: c.to, name: c.name, type: c.type } : { to: c.to }));
    const result = await callApi<ImportStatusResponse>('POST', `/api/imports/${encodeURIComponent(uploaded.id)}/start`, {
      mapping,
      ...(listId === NEW_LIST ? { newList } : { listId: listId || null }),
    } satisfies StartImportBody);
    setBusy(false);
    if (result.ok) router.push(`/contacts/import/${encodeURIComponent(uploaded.id)}`);
    else setError(result.error.message);
  }

  if (!uploaded)
    return (
      <form className="form card" onSubmit={upload} data-testid="import-upload-form">
        <div className="field">
          <label htmlFor="import-file">CSV file</label>
          <input
            id="import-file"
            type="file"
            accept=".csv,text/csv"
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            data-testid="import-file"
          />
        </div>
        {error && (
          <p className="notice notice--error" role="alert" data-testid="import-error">
            {error}
          </p>
        )}
        {waiting.length > 0 && (
          <ul data-testid="import-waiting">
            {waiting.map((w) => (
              <li key={w.id}>
                {w.fileName}{' '}
                <button type="button" className="button" onClick={() => void discard(w.id)} data-testid={`import-discard-${w.id}`}>
                  Discard
                </button>
              </li>
            ))}
          </ul>
        )}
        <div className="form__actions">
          <button type="submit" className="button primary" disabled={busy} data-testid="import-upload">
            {busy ? 'Uploading…' : 'Upload and preview'}
          </button>
        </div>
      </form>
    );

  // Preview rows and columns have no identity but their position (two columns may share a header).
  const columns = uploaded.columns.map((name, i) => ({ name, i, key: `${i}:${name}` }));
  const rows = uploaded.preview.map((cells, r) => ({ cells, key: `row${r}` }));
  return (
    <div className="card" data-testid="import-mapping">
      <p>
        <Count value={uploaded.totalRows} /> rows. The first {uploaded.preview.length}, and what each column becomes:
      </p>
      <div className="import-preview-scroll">
        <table className="table" data-testid="import-preview">
          <thead>
            <tr>
              {columns.map(({ name: column, i, key }) => (
                <th key={key}>
                  <div>{column}</div>
                  <select
                    aria-label={`Column ${column}`}
                    value={choices[i]?.to}
                    onChange={(e) => change(i, { to: e.target.value as Target })}
                    data-testid={`import-target-${i}`}
                  >
                    <option value="email">Email</option>
                    <option value="name">Name</option>
                    <option value="attribute">Attribute</option>
                    <option value="skip">Skip</option>
                  </select>
                  {choices[i]?.to === 'attribute' && (
                    <>
                      <input
                        aria-label={`Attribute name for ${column}`}
                        value={choices[i]?.name}
                        onChange={(e) => change(i, { name: e.target.value })}
                        data-testid={`import-attribute-${i}`}
                      />
                      <select
                        aria-label={`Type of ${column}`}
                        value={choices[i]?.type}
                        onChange={(e) => change(i, { type: e.target.value as AttributeType })}
                        data-testid={`import-type-${i}`}
                      >
                        {ATTRIBUTE_TYPES.map((t) => (
                          <option key={t} value={t}>
                            {t}
                          </option>
                        ))}
                      </select>
                      {uploaded.detected[i] !== undefined && uploaded.detected[i] !== 'text' && (
                        <small className="hint" data-testid={`import-detected-${i}`}>
                          detected: {uploaded.detected[i]}
                        </small>
                      )}
                    </>
                  )}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.key}>
                {columns.map(({ i, key }) => (
                  <td key={key}>{row.cells[i] ?? ''}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="field">
        <label htmlFor="import-list">Add the imported contacts to a list</label>
        <select id="import-list" value={listId} onChange={(e) => setListId(e.target.value)} data-testid="import-list">
          <option value="">No list</option>
          {lists.map((l) => (
            <option key={l.id} value={l.id}>
              {l.name}
            </option>
          ))}
          <option value={NEW_LIST}>A new list…</option>
        </select>
      </div>
      {listId === NEW_LIST && (
        <div className="field">
          <label htmlFor="import-new-list">Name of the new list</label>
          <input id="import-new-list" value={newList} maxLength={120} onChange={(e) => setNewList(e.target.value)} data-testid="import-new-list" />
        </div>
      )}
      {error && (
        <p className="notice notice--error" role="alert" data-testid="import-error">
          {error}
        </p>
      )}
      <div className="form__actions">
        <button type="button" className="button primary" disabled={busy} onClick={start} data-testid="import-start">
          {busy ? 'Starting…' : 'Start import'}
        </button>
      </div>
    </div>
  );
}
