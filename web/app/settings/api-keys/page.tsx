import type { Metadata } from 'next';
import { listApiKeys } from '@server/db/api-keys';
import { requireAdminPage } from '@/lib/auth';
import { formatTime } from '@/lib/format';
import { getDb } from '@/lib/server';
import { CreateApiKeyForm, RevokeApiKeyButton } from '@/app/settings/api-keys/api-key-forms';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'API keys' };

export default async function ApiKeysPage() {
  await requireAdminPage();
  const keys = await listApiKeys(await getDb());
  return (
    <section>
      <p className="crumbs">Settings / API keys</p>
      <div className="page-head">
        <h1>API keys</h1>
      </div>
      <p className="muted">
        Your systems send events with <code>POST /api/v1/events</code> and <code>Authorization: Bearer &lt;key&gt;</code>: the contact is created or
        updated, and every published flow whose Trigger listens to the event starts a journey for them. See the{' '}
        <a href="/api/v1/openapi.json" data-testid="openapi-link">
          OpenAPI description
        </a>
        . A key is shown once, when you create it; Dripline keeps only its SHA-256.
      </p>
      <CreateApiKeyForm />
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
