/** The delivery log's filters (a GET form: the filter is in the address, so it can be shared), its keyset pager and its CSV export. */
import Link from 'next/link';
import { ATTEMPT_OUTCOMES, type DeliveryLogFilter, FAILURE_CLASSES, FAILURE_CLASS_LABELS } from '@domain/delivery-log';

/** The filter as query parameters (only those set). */
export function filterQuery(filter: DeliveryLogFilter): Record<string, string> {
  const q: Record<string, string> = {};
  for (const key of ['outcome', 'class', 'code', 'step', 'profile', 'email'] as const) {
    const value = filter[key];
    if (value !== undefined) q[key] = String(value);
  }
  if (filter.exact) q.exact = '1';
  return q;
}

export function LogFilters({
  runId,
  filter,
  steps,
  profiles,
  error,
}: {
  runId: string;
  filter: DeliveryLogFilter;
  steps: { id: string; name: string }[];
  profiles: { id: string; name: string }[];
  /** What was wrong with the filter in the address, if anything (the log then shows unfiltered). */
  error: string | null;
}) {
  const csv = `/api/runs/${encodeURIComponent(runId)}/attempts/export?${new URLSearchParams(filterQuery(filter)).toString()}`;
  return (
    <form className="form form--row" method="get" aria-label="Filter the delivery log" data-testid="log-filters">
      <div className="field field--narrow">
        <label htmlFor="log-outcome">Outcome</label>
        <select id="log-outcome" name="outcome" defaultValue={filter.outcome ?? ''}>
          <option value="">Any</option>
          {ATTEMPT_OUTCOMES.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      </div>
      <div className="field field--narrow">
        <label htmlFor="log-class">Failure class</label>
        <select id="log-class" name="class" defaultValue={filter.class ?? ''}>
          <option value="">Any</option>
          {FAILURE_CLASSES.map((c) => (
            <option key={c} value={c}>
              {FAILURE_CLASS_LABELS[c]}
            </option>
          ))}
        </select>
      </div>
      <div className="field field--narrow">
        <label htmlFor="log-code">SMTP code</label>
        <input id="log-code" name="code" type="number" min={200} max={599} defaultValue={filter.code ?? ''} placeholder="550" />
      </div>
      <div className="field field--narrow">
        <label htmlFor="log-step">Step</label>
        <select id="log-step" name="step" defaultValue={filter.step ?? ''}>
          <option value="">Any</option>
          {steps.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
      </div>
      <div className="field field--narrow">
        <label htmlFor="log-profile">SMTP profile</label>
        <select id="log-profile" name="profile" defaultValue={filter.profile ?? ''}>
          <option value="">Any</option>
          {profiles.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="log-email">Email (or its beginning)</label>
        <input id="log-email" name="email" type="search" defaultValue={filter.email ?? ''} data-testid="log-email" />
        <label className="field--inline">
          <input type="checkbox" name="exact" value="1" defaultChecked={filter.exact} /> the whole address
        </label>
      </div>
      <div className="form__actions">
        <button type="submit" className="button" data-testid="log-filter-submit">
          Filter
        </button>{' '}
        <Link href={`/runs/${encodeURIComponent(runId)}`}>Clear</Link>{' '}
        <a href={csv} download data-testid="log-export">
          Export CSV
        </a>
      </div>
      {error && (
        <p className="field-error form__full" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/** Newer / older pages of the log, by attempt id, keeping the filter. */
export function LogPager({ filter, newer, older }: { filter: DeliveryLogFilter; newer: number | null; older: number | null }) {
  if (newer === null && older === null) return null;
  const href = (cursor: Record<string, string>) => `?${new URLSearchParams({ ...filterQuery(filter), ...cursor }).toString()}#delivery-log`;
  return (
    <nav className="pager" aria-label="delivery log pages">
      {newer !== null ? <Link href={href({ after: String(newer) })}>← Newer</Link> : <span className="muted">← Newer</span>}
      {older !== null ? (
        <Link href={href({ before: String(older) })} data-testid="log-older">
          Older →
        </Link>
      ) : (
        <span className="muted">Older →</span>
      )}
    </nav>
  );
}
