import type { Metadata } from 'next';
import Link from 'next/link';
import { forbidden, notFound } from 'next/navigation';
import { UserError } from '@server/errors';
import { SMTP_PRESETS } from '@domain/smtp-presets';
import { profileFor, profileView } from '@server/profiles';
import { listAgents, requireUser } from '@/lib/auth';
import { getDb } from '@/lib/server';
import { SmtpProfileForm } from '@/app/settings/smtp/smtp-profile-form';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'SMTP profile' };

type Props = {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
};

export default async function SmtpProfilePage({ params, searchParams }: Props) {
  const user = await requireUser();
  const [{ id }, query] = await Promise.all([params, searchParams]);
  const db = await getDb();
  let row: Awaited<ReturnType<typeof profileFor>>;
  try {
    row = await profileFor(db, user, id);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    if (err.status === 404) notFound();
    forbidden(); // another agent's private profile
  }
  // The view never holds the password: only whether one is stored.
  const profile = await profileView(db, user, row);
  const isAdmin = user.role === 'admin';
  return (
    <section>
      <p className="crumbs">
        Settings / <Link href="/settings/smtp">SMTP settings</Link> / {profile.name}
      </p>
      <h1>{profile.name}</h1>
      <SmtpProfileForm
        key={profile.id}
        profile={profile}
        presets={SMTP_PRESETS}
        isAdmin={isAdmin}
        userEmail={user.email}
        justSaved={query.saved === '1'}
        {...(isAdmin ? { agents: await listAgents() } : {})}
      />
    </section>
  );
}
