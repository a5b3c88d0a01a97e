'use client';
/**
 * A segment's name and rules (the filter editor shared with a Condition's attribute test), with the
 * live count: a moment after each edit that makes a valid filter, the server counts the contacts it
 * matches. Problems show under the field they are about, from the browser's check and the server's alike.
 */
import { useRouter } from 'next/navigation';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import type { AttributeType } from '@domain/contact';
import { TextField } from '@/components/text-field';
import { type ApiError, callApi } from '@/lib/api-client';
import type { CountSegmentBody, SaveSegmentBody, SegmentCountResponse, SegmentResponse } from '@/lib/api-types';
import { FilterEditor } from '@/components/filter-editor/filter-editor';
import { buildFilter, issuesByField, type RuleRow } from '@/components/filter-editor/filter-rules';
import { useFormatCount } from '@/components/count';

interface Props {
  /** Absent for a new segment. */
  segmentId?: string;
  initialName: string;
  initialMatch: 'all' | 'any';
  initialRows: RuleRow[];
  /** Every attribute contacts have, with its type. */
  types: Record<string, AttributeType>;
}

const COUNT_DELAY_MS = 300;

type Count = { state: 'idle' | 'counting' } | { state: 'ready'; contacts: number; subscribed: number } | { state: 'error'; message: string };

function serverErrors(error: ApiError): Record<string, string> {
  const { details } = error;
  if (Array.isArray(details)) return issuesByField(details);
  if (details && typeof details === 'object' && 'problems' in details && Array.isArray(details.problems)) return issuesByField(details.problems);
  if (details && typeof details === 'object' && 'field' in details && typeof details.field === 'string') {
    return { [details.field.replace(/^filter\.?/, '') || 'rules']: error.message };
  }
  return { form: error.message };
}

export function SegmentEditor({ segmentId, initialName, initialMatch, initialRows, types }: Props) {
  const router = useRouter();
  const formatCount = useFormatCount();
  const [name, setName] = useState(initialName);
  const [match, setMatch] = useState(initialMatch);
  const [rows, setRows] = useState<RuleRow[]>(initialRows);
  const [count, setCount] = useState<Count>({ state: 'idle' });
  const [saveErrors, setSaveErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const asked = useRef(0);

  const built = buildFilter(match, rows, types);
  const filterKey = built.ok ? JSON.stringify(built.filter) : '';

  // The live count: debounced, and only the latest answer is shown.
  useEffect(() => {
    const ask = ++asked.current;
    if (!filterKey) {
      setCount({ state: 'idle' });
      return;
    }
    setCount({ state: 'counting' });
    const timer = setTimeout(async () => {
      const result = await callApi<SegmentCountResponse>('POST', '/api/segments/count', { filter: JSON.parse(filterKey) } satisfies CountSegmentBody);
      if (ask !== asked.current) return;
      if (result.ok) setCount({ state: 'ready', ...result.data });
      else {
        setCount({ state: 'error', message: result.error.message });
        setSaveErrors(serverErrors(result.error));
      }
    }, COUNT_DELAY_MS);
    return () => clearTimeout(timer);
  }, [filterKey]);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!built.ok) return;
    setBusy(true);
    setSaveErrors({});
    const body: SaveSegmentBody = { name, filter: built.filter };
    const result = segmentId
      ? await callApi<SegmentResponse>('PUT', `/api/segments/${segmentId}`, body)
      : await callApi<SegmentResponse>('POST', '/api/segments', body);
    setBusy(false);
    if (result.ok) {
      router.push(`/contacts/segments/${result.data.id}?saved=1`);
      router.refresh();
      return;
    }
    setSaveErrors(serverErrors(result.error));
  }

  return (
    <form className="form" onSubmit={onSubmit} noValidate data-testid="segment-form">
      <TextField
        id="segment-name"
        label="Name"
        name="name"
        type="text"
        value={name}
        onValue={setName}
        error={saveErrors.name}
        placeholder="Pro customers"
      />
      <fieldset className="field">
        <legend>Rules</legend>
        <FilterEditor
          match={match}
          rows={rows}
          types={types}
          errors={saveErrors}
          onChange={(m, r) => {
            setSaveErrors({});
            setMatch(m);
            setRows(r);
          }}
        />
      </fieldset>

      <p
        className="segment-count"
        aria-live="polite"
        data-testid="segment-count"
        data-state={count.state}
        data-count={count.state === 'ready' ? count.subscribed : undefined}
      >
        {count.state === 'ready'
          ? `${formatCount(count.subscribed)} subscribed contact${count.subscribed === 1 ? '' : 's'} match${count.subscribed === 1 ? 'es' : ''} (${formatCount(count.contacts)} in all)`
          : count.state === 'counting'
            ? 'Counting…'
            : count.state === 'error'
              ? count.message
              : 'Finish the rules to see how many contacts match.'}
      </p>

      {saveErrors.form && (
        <div className="notice notice--error" role="alert" data-testid="api-error">
          {saveErrors.form}
        </div>
      )}
      <div className="form__actions">
        <button type="submit" className="button primary" disabled={busy || !built.ok} data-testid="segment-save">
          {busy ? 'Saving…' : 'Save segment'}
        </button>
      </div>
    </form>
  );
}
