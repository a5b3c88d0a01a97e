import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { currentUser, safeNext } from '@/lib/auth';
import { LoginForm } from '@/app/login/login-form';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Log in' };

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

export default async function LoginPage({ searchParams }: Props) {
  const query = await searchParams;
  const next = safeNext(Array.isArray(query.next) ? query.next[0] : query.next);
  if (await currentUser()) redirect(next);
  return (
    <section className="login">
      <h1>Log in to Dripline</h1>
      <p className="muted">
        Users are created by an admin under Settings → Users. The first admin’s email and password are printed by <code>npm start</code> on a new
        install.
      </p>
      <LoginForm next={next} />
    </section>
  );
}
