import type { Metadata } from 'next';
import Link from 'next/link';
import { z } from 'zod';
import { EVENT_LOG_PAGE_SIZE, type EventLogEntry, eventLog } from '@server/event-log';
import { requireAdminPage } from '@/lib/auth';
import { formatTime } from '@/lib/format';
import { getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Event log' };

const PageNumber = z.coerce
  .number({ error: 'page must be a number' })
  .int('page must be a whole number')
  .min(1, 'page must be 1 or more')
  .max(1_000_000, 'page must be at most 1,000,000')
  .default(1);

const STATUS_WORDS = { started: 'started', duplicate: 'already started by this key', refused: 'not entered', failed: 'failed' } as const;

/** The events the API received, newest first, with what each started or why it started nothing (admins: it lists contacts of every flow). */
export default async function EventLogPage({ searchParams }: { searchParams: Promise<{ page?: string }> }) {
  await requireAdminPage();
  const parsed = PageNumber.safeParse((await searchParams).page);
  const page = parsed.success ? parsed.data : 1;
  const { entries, more } = await eventLog(await getDb(), page);
  return (
    <section>
      <p className="crumbs">
        <Link href="/settings">Settings</Link> / <Link href="/settings/api-keys">API keys</Link> / Event log
      </p>
      <div className="page-head">
        <h1>Event log</h1>
      </div>
      <p className="muted">
        Every event <code>POST /api/v1/events</code> accepted, newest first, {EVENT_LOG_PAGE_SIZE} a page: its contact, and for each published flow
        listening to it whether a journey started or why not. Refused requests (bad body, bad key) are not kept.
      </p>
      {!parsed.success && (
        <p className="notice notice--error" role="alert">
          {parsed.error.issues[0]?.message}: showing page 1.
        </p>
      )}
      <table className="table" data-testid="event-log">
        <thead>
          <tr>
            <th>Received</th>
            <th>Event</th>
            <th>Contact</th>
            <th>What it started</th>
            <th>API key</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={`${e.apiKeyName}/${e.idempotencyKey}`} data-testid="event-log-row">
              <td className="nowrap">{formatTime(e.receivedAt)}</td>
              <td>{e.event ? <code>{e.event}</code> : <em className="muted">being accepted</em>}</td>
              <td>{e.contactId ? <Link href={`/contacts/${encodeURIComponent(e.contactId)}`}>{e.contactEmail ?? e.contactId}</Link> : '—'}</td>
              <td>
                <Outcome entry={e} />
              </td>
              <td>
                {e.apiKeyName ?? <em className="muted">deleted key</em>}
                <div className="muted small mono">{e.idempotencyKey}</div>
              </td>
            </tr>
          ))}
          {entries.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                {page === 1 ? 'No events received yet.' : 'No events on this page.'}
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {(page > 1 || more) && (
        <nav className="pager" aria-label="pages">
          {page > 1 ? <Link href={`?page=${page - 1}`}>← Newer</Link> : <span className="muted">← Newer</span>}
          <span className="muted">Page {page}</span>
          {more ? <Link href={`?page=${page + 1}`}>Older →</Link> : <span className="muted">Older →</span>}
        </nav>
      )}
    </section>
  );
}

function Outcome({ entry }: { entry: EventLogEntry }) {
  if (!entry.event) return null;
  if (entry.journeys.length === 0) {
    return <span data-testid="event-outcome">{entry.warnings[0]?.message ?? 'No published flow listens to this event: nothing started.'}</span>;
  }
  return (
    <ul className="plain-list" data-testid="event-outcome">
      {entry.journeys.map((j) => (
        <li key={j.flowId}>
          <Link href={`/flows/${encodeURIComponent(j.flowId)}`}>{j.flowName ?? j.flowId}</Link> (version {j.version}): {STATUS_WORDS[j.status]}
          {j.reason ? ` — ${j.reason}` : ''}
        </li>
      ))}
    </ul>
  );
}
