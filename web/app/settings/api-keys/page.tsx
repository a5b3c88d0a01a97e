import type { Metadata } from 'next';
import { listApiKeys } from '@server/db/api-keys';
import { requireAdminPage } from '@/lib/auth';
import { formatTime } from '@/lib/format';
import { listenedEvents } from '@server/events';
import { eventCurl } from '@/lib/curl-example';
import { eventsOpenApi } from '@/lib/events-openapi';
import { getConfig, getDb } from '@/lib/server';
import { CreateApiKeyForm, RevokeApiKeyButton } from '@/app/settings/api-keys/api-key-forms';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'API keys' };

export default async function ApiKeysPage() {
  await requireAdminPage();
  const db = await getDb();
  const keys = await listApiKeys(db);
  const publicUrl = getConfig().DRIPLINE_PUBLIC_URL;
  // The example sends an event a published flow listens to, when there is one.
  const exampleEvent = (await listenedEvents(db))[0] ?? 'signed_up';
  const doc = eventsOpenApi(publicUrl);
  const body = doc.components.schemas.EventRequest as { required?: string[]; properties: Record<string, { type?: string; description?: string }> };
  const responses = Object.entries(doc.paths['/api/v1/events'].post.responses);
  return (
    <section>
      <p className="crumbs">Settings / API keys</p>
      <div className="page-head">
        <h1>API keys</h1>
      </div>
      <p className="muted">
        Your systems send events with <code>POST /api/v1/events</code> and <code>Authorization: Bearer &lt;key&gt;</code>: the contact is created or
        updated, and every published flow whose Trigger listens to the event starts a journey for them. See what arrived in the{' '}
        <a href="/settings/api-keys/events" data-testid="event-log-link">
          event log
        </a>
        , or the machine-readable{' '}
        <a href="/api/v1/openapi.json" data-testid="openapi-link">
          OpenAPI description
        </a>
        . A key is shown once, when you create it; Dripline keeps only its SHA-256.
      </p>
      <h2>Send an event</h2>
      <pre className="code-block" data-testid="api-curl-example">
        {eventCurl(publicUrl, '<your API key>', exampleEvent)}
      </pre>
      <p className="muted">
        Create a key below to get this command with your key, ready to run. Sent again with the same idempotencyKey, it gets the first answer back and
        starts nothing new: give each event its own key.
      </p>
      <table className="table table--compact" data-testid="api-fields">
        <caption>The request body (JSON)</caption>
        <thead>
          <tr>
            <th>Field</th>
            <th>Type</th>
            <th>Required</th>
            <th>Meaning</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(body.properties).map(([name, field]) => (
            <tr key={name}>
              <td>
                <code>{name}</code>
              </td>
              <td>{field.type ?? 'any'}</td>
              <td>{body.required?.includes(name) ? 'yes' : 'no'}</td>
              <td>{field.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table className="table table--compact" data-testid="api-responses">
        <caption>Answers</caption>
        <thead>
          <tr>
            <th>Status</th>
            <th>Meaning</th>
          </tr>
        </thead>
        <tbody>
          {responses.map(([status, answer]) => (
            <tr key={status}>
              <td>{status}</td>
              <td>{answer.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>API keys</h2>
      <CreateApiKeyForm publicUrl={publicUrl} exampleEvent={exampleEvent} />
      <table className="table" data-testid="api-keys">
        <thead>
          <tr>
            <th>Name</th>
            <th>Key</th>
            <th>Created</th>
            <th>Last used</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id} data-testid={`api-key-row-${k.id}`}>
              <td>{k.name}</td>
              <td>
                <code>{k.prefix}…</code>
              </td>
              <td>{formatTime(k.createdAt)}</td>
              <td>{k.lastUsedAt ? formatTime(k.lastUsedAt) : 'never'}</td>
              <td>
                {k.revokedAt ? <span className="badge">revoked {formatTime(k.revokedAt)}</span> : <RevokeApiKeyButton id={k.id} name={k.name} />}
              </td>
            </tr>
          ))}
          {keys.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                No API keys yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
