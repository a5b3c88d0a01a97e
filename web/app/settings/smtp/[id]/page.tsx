import type { Metadata } from 'next';
import Link from 'next/link';
import { forbidden, notFound } from 'next/navigation';
import { UserError } from '@server/errors';
import { smtpPresets } from '@domain/smtp-presets';
import { throttleState } from '@server/db/throttle';
import { profileFor, profileView } from '@server/profiles';
import { listAgents, requireUser } from '@/lib/auth';
import { formatCount, formatTime } from '@/lib/format';
import { readerLocale } from '@/lib/locale';
import { getConfig, getDb } from '@/lib/server';
import { SmtpProfileForm } from '@/app/settings/smtp/smtp-profile-form';
import { ResumeSending } from '@/app/settings/smtp/guard-section';

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
  const pace = await throttleState(db, row);
  const locale = await readerLocale();
  const isAdmin = user.role === 'admin';
  return (
    <section>
      <p className="crumbs">
        Settings / <Link href="/settings/smtp">SMTP settings</Link> / {profile.name}
      </p>
      <h1>{profile.name}</h1>
      {row.failingReason && row.failingCause === 'guard' && (
        <div className="notice notice--error" data-testid="profile-paused">
          <p>
            Sending is paused since {formatTime(row.failingSince ?? '')}. {row.failingReason}.
          </p>
          {isAdmin ? <ResumeSending profileId={row.id} /> : <p>Ask an admin to resume sending.</p>}
        </div>
      )}
      {row.failingReason && row.failingCause !== 'guard' && (
        <p className="notice notice--error" data-testid="profile-paused">
          Sending is paused: the server refused the login ({row.failingReason}). Fix the user, password or security below and save: waiting sends go
          on by themselves.
        </p>
      )}
      {!row.failingReason && profile.resumedAt && (
        <p className="muted" data-testid="profile-resumed">
          Sending resumed by {profile.resumedByName} {formatTime(profile.resumedAt)}, after the reputation guard paused it.
        </p>
      )}
      <p className="muted" data-testid="profile-pace">
        Pace now:{' '}
        {pace.effectiveRate === null
          ? 'no limit'
          : `${pace.effectiveRate < 10 ? pace.effectiveRate.toFixed(1) : Math.round(pace.effectiveRate)} messages/s`}
        {pace.learnedRate !== null ? ' (learned from the server’s answers)' : ''}
        {pace.lastSlowdown ? ` · last slow-down ${formatTime(pace.lastSlowdown.at)}: “${pace.lastSlowdown.reply}”` : ''}
        {pace.sentToday > 0 ? ` · ${formatCount(pace.sentToday, locale)} accepted today` : ''}
        {pace.allowanceToday !== null ? ` · today allows ${formatCount(pace.allowanceToday, locale)}` : ''}
      </p>
      {pace.warmup && (
        <p className="muted" data-testid="profile-warmup">
          Warm-up:{' '}
          {pace.warmup.state === 'not started'
            ? `starts on ${row.warmupStart}; nothing is sent before.`
            : pace.warmup.state === 'done'
              ? 'done: the target was reached, only the limits apply.'
              : pace.warmup.sendingDay
                ? `day ${pace.warmup.dayOfRamp} of ${pace.warmup.rampDays}, ${formatCount(pace.warmup.allowance, locale)} messages today.`
                : `not a sending day: nothing today (day ${pace.warmup.dayOfRamp} of ${pace.warmup.rampDays} done).`}
        </p>
      )}
      <SmtpProfileForm
        key={profile.id}
        profile={profile}
        presets={smtpPresets(getConfig())}
        isAdmin={isAdmin}
        userEmail={user.email}
        justSaved={query.saved === '1'}
        {...(isAdmin ? { agents: await listAgents() } : {})}
      />
    </section>
  );
}
