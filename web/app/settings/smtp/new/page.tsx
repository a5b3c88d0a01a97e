import type { Metadata } from 'next';
import Link from 'next/link';
import { smtpPresets } from '@domain/smtp-presets';
import { listAgents, requireUser } from '@/lib/auth';
import { getConfig } from '@/lib/server';
import { SmtpProfileForm } from '@/app/settings/smtp/smtp-profile-form';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Create SMTP' };

export default async function NewSmtpProfilePage() {
  const user = await requireUser();
  const isAdmin = user.role === 'admin';
  return (
    <section>
      <p className="crumbs">
        Settings / <Link href="/settings/smtp">SMTP settings</Link> / New
      </p>
      <h1>Create SMTP</h1>
      <SmtpProfileForm
        presets={smtpPresets(getConfig())}
        isAdmin={isAdmin}
        userEmail={user.email}
        {...(isAdmin ? { agents: await listAgents() } : {})}
      />
    </section>
  );
}
