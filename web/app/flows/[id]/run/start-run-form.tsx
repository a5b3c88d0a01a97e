'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useState, type FormEvent } from 'react';
import { callApi, type ApiError } from '@/lib/api-client';
import type { RunStarted, SegmentWithCount, StartRunBody } from '@/lib/api-types';
import { type RunScheduleChoice, ScheduleFields } from './schedule-fields';
import { Count, useFormatCount } from '@/components/count';

interface Props {
  flowId: string;
  /** Newest first; `publishedAt` formatted for people. */
  versions: { version: number; publishedAt: string; note: string | null; publishedBy: string | null }[];
  initialVersion: number;
  /** The first contacts, to choose from one by one. */
  contacts: { id: string; email: string; name: string }[];
  /** How many contacts are subscribed (a run for everyone mails them). */
  everyone: number;
  /** The static lists, each with how many subscribed members a run would mail. */
  lists: { id: string; name: string; subscribed: number }[];
  /** The segments; each one's count is asked for when it is chosen (it is evaluated against every contact). */
  segments: { id: string; name: string }[];
}

export function StartRunForm({ flowId, versions, initialVersion, contacts, everyone, lists, segments }: Props) {
  const router = useRouter();
  const formatCount = useFormatCount();
  const [version, setVersion] = useState(initialVersion);
  const [audience, setAudience] = useState<'all' | 'contacts' | 'list' | 'segment'>('all');
  const [listId, setListId] = useState(lists[0]?.id ?? '');
  const [segmentId, setSegmentId] = useState(segments[0]?.id ?? '');
  /** The chosen segment's subscribed matches now: what a run started now would mail. */
  const [segmentCount, setSegmentCount] = useState<{ id: string; subscribed: number } | null>(null);
  const [chosen, setChosen] = useState<ReadonlySet<string>>(() => new Set());
  // One key per visit of this page: pressing Start twice (or a retried request) starts one run.
  const [idempotencyKey] = useState(() => crypto.randomUUID());
  const [schedule, setSchedule] = useState<RunScheduleChoice>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    if (audience !== 'segment' || !segmentId) return;
    let current = true;
    setSegmentCount(null);
    callApi<SegmentWithCount>('GET', `/api/segments/${segmentId}`).then((result) => {
      if (!current) return;
      if (result.ok) setSegmentCount({ id: segmentId, subscribed: result.data.count.subscribed });
      else setError(result.error);
    });
    return () => {
      current = false;
    };
  }, [audience, segmentId]);
  const segmentText = segmentCount?.id === segmentId ? formatCount(segmentCount.subscribed) : '…';

  const allChosen = contacts.length > 0 && chosen.size === contacts.length;
  const someChosen = chosen.size > 0 && !allChosen;

  function toggle(id: string, on: boolean) {
    setAudience('contacts');
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
    if (audience === 'contacts' && chosen.size === 0) {
      setError({ status: 0, code: 'no_contacts', message: 'Choose at least one contact, or choose everyone.' });
      return;
    }
    const { missing, ...when } = schedule;
    if (missing) {
      setError({ status: 0, code: 'no_start_time', message: missing });
      return;
    }
    setBusy(true);
    const result = await callApi<RunStarted>('POST', '/api/runs', {
      flowId,
      version,
      audience:
        audience === 'all'
          ? { kind: 'all' }
          : audience === 'list'
            ? { kind: 'list', listId }
            : audience === 'segment'
              ? { kind: 'segment', segmentId }
              : { kind: 'contacts', contactIds: [...chosen] },
      idempotencyKey,
      ...when,
    } satisfies StartRunBody);
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
      <RunVersion version={versions.find((v) => v.version === version)} newest={versions[0]?.version} />

      <fieldset className="field">
        <legend>Audience</legend>
        <label className="radio">
          <input type="radio" name="audience" checked={audience === 'all'} onChange={() => setAudience('all')} data-testid="audience-all" />
          Everyone subscribed (<Count value={everyone} /> contact{everyone === 1 ? '' : 's'})
        </label>
        <label className="radio">
          <input
            type="radio"
            name="audience"
            checked={audience === 'contacts'}
            onChange={() => setAudience('contacts')}
            data-testid="audience-contacts"
          />
          Chosen contacts{everyone > contacts.length ? ` (the first ${formatCount(contacts.length)} are listed)` : ''}
        </label>
        {lists.length > 0 && (
          <label className="radio">
            <input type="radio" name="audience" checked={audience === 'list'} onChange={() => setAudience('list')} data-testid="audience-list" />A
            list:{' '}
            <select
              aria-label="Which list"
              value={listId}
              onChange={(e) => {
                setListId(e.currentTarget.value);
                setAudience('list');
              }}
              data-testid="audience-list-select"
            >
              {lists.map((l) => (
                <option key={l.id} value={l.id}>
                  {l.name} ({formatCount(l.subscribed)} subscribed)
                </option>
              ))}
            </select>
          </label>
        )}
        {segments.length > 0 && (
          <label className="radio">
            <input
              type="radio"
              name="audience"
              checked={audience === 'segment'}
              onChange={() => setAudience('segment')}
              data-testid="audience-segment"
            />
            A segment:{' '}
            <select
              aria-label="Which segment"
              value={segmentId}
              onChange={(e) => {
                setSegmentId(e.currentTarget.value);
                setAudience('segment');
              }}
              data-testid="audience-segment-select"
            >
              {segments.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
            {audience === 'segment' && (
              <span
                className="muted"
                data-testid="audience-segment-count"
                data-count={segmentCount?.id === segmentId ? segmentCount.subscribed : undefined}
              >
                {' '}
                ({segmentText} subscribed contacts match now)
              </span>
            )}
          </label>
        )}
      </fieldset>

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
                    onChange={(e) => {
                      setAudience('contacts');
                      setChosen(e.currentTarget.checked ? new Set(contacts.map((c) => c.id)) : new Set());
                    }}
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

      <ScheduleFields onChange={setSchedule} />

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
          {busy
            ? 'Starting…'
            : `Start run for ${
                audience === 'all'
                  ? `everyone (${formatCount(everyone)})`
                  : audience === 'list'
                    ? `${lists.find((l) => l.id === listId)?.name ?? 'the list'} (${formatCount(lists.find((l) => l.id === listId)?.subscribed ?? 0)})`
                    : audience === 'segment'
                      ? `${segments.find((s) => s.id === segmentId)?.name ?? 'the segment'} (${segmentText})`
                      : `${formatCount(chosen.size)} contact${chosen.size === 1 ? '' : 's'}`
              }`}
        </button>
      </div>
    </form>
  );
}

/** Which version the run will use, said in words: its number, who published it when, and its note. */
function RunVersion({ version, newest }: { version: Props['versions'][number] | undefined; newest: number | undefined }) {
  if (!version) return null;
  return (
    <p className="run-version" data-testid="run-version">
      This run uses <strong>version {version.version}</strong>
      {version.version === newest ? ' (the newest)' : ` (not the newest: version ${newest} is)`}, published {version.publishedAt}
      {version.publishedBy && ` by ${version.publishedBy}`}
      {version.note ? <>: “{version.note}”</> : '.'}
    </p>
  );
}
