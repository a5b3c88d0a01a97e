import type { Metadata } from 'next';
import Link from 'next/link';
import { defaultProfileId } from '@server/db/smtp-profiles';
import { listProfiles, type SmtpProfileView } from '@server/profiles';
import { listAgents, requireUser } from '@/lib/auth';
import { getDb } from '@/lib/server';
import { ClickableRow } from '@/app/settings/smtp/clickable-row';
import { formatCount } from '@/lib/format';
import { readerLocale } from '@/lib/locale';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'SMTP settings' };

function securityLabel(p: Pick<SmtpProfileView, 'secure' | 'requireTls'>): string {
  return p.secure ? 'SSL' : p.requireTls ? 'TLS' : 'none';
}

function throttle(p: SmtpProfileView, locale: string): string {
  const parts = [
    p.ratePerSecond === null ? 'no rate limit' : `${p.ratePerSecond}/s`,
    p.dailyCap === null ? null : `${formatCount(p.dailyCap, locale)}/day`,
    `${p.maxConnections} conn.`,
  ];
  return parts.filter(Boolean).join(' · ');
}

export default async function SmtpSettingsPage() {
  const user = await requireUser();
  const db = await getDb();
  const locale = await readerLocale();
  const profiles = await listProfiles(db, user);
  const myDefault = await defaultProfileId(db, user.id);
  const isAdmin = user.role === 'admin';
  const agentEmail = new Map(isAdmin ? (await listAgents()).map((a) => [a.id, a.email]) : []);
  const emails = (ids: string[] | undefined) => (ids ?? []).map((id) => agentEmail.get(id) ?? id).join(', ');

  return (
    <section>
      <p className="crumbs">Settings / SMTP settings</p>
      <div className="page-head">
        <h1>SMTP settings</h1>
        <Link href="/settings/smtp/new" className="button primary" data-testid="create-smtp">
          Create SMTP
        </Link>
      </div>
      <p className="muted">
        The SMTP servers you may send with. Passwords are stored encrypted and are never shown again.
        {isAdmin ? ' As an admin you see every profile and choose which agents may use each one.' : ' Profiles you create are private to you.'}
      </p>
      {profiles.length === 0 ? (
        <p className="empty">No SMTP profiles you may use yet. Create one with “Create SMTP”.</p>
      ) : (
        <table className="table" data-testid="smtp-profiles">
          <thead>
            <tr>
              <th>Name</th>
              <th>Server</th>
              <th>Security</th>
              <th>From</th>
              <th>Sender name</th>
              <th>Throttle</th>
              {isAdmin && <th>Default for</th>}
              {isAdmin && <th>Shared with</th>}
            </tr>
          </thead>
          <tbody>
            {profiles.map((p) => (
              <ClickableRow key={p.id} href={`/settings/smtp/${p.id}`} testId={`smtp-row-${p.id}`}>
                <td>
                  <Link href={`/settings/smtp/${p.id}`}>{p.name}</Link>{' '}
                  {p.id === myDefault && <span className="badge badge--default">Your default</span>}
                  {p.installDefault && p.id !== myDefault && <span className="badge">Install default</span>}
                  {p.description && <div className="muted small">{p.description}</div>}
                </td>
                <td className="mono">
                  {p.host}:{p.port}
                </td>
                <td>{securityLabel(p)}</td>
                <td>{p.fromEmail}</td>
                <td>{p.fromName || <span className="muted">—</span>}</td>
                <td className="nowrap">{throttle(p, locale)}</td>
                {isAdmin && <td>{emails(p.defaultFor) || <span className="muted">—</span>}</td>}
                {isAdmin && <td>{p.sharedWithAll ? 'everyone' : emails(p.sharedWith) || <span className="muted">owner and admins</span>}</td>}
              </ClickableRow>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
