'use client';

import { useState, type FormEvent } from 'react';
import { TextField } from '@/components/text-field';

/** What better-auth's sign-in answered, as something a person can act on. */
function signInError(status: number, body: { code?: unknown; message?: unknown } | undefined, retryAfter: string | null): string {
  if (status === 401 || body?.code === 'INVALID_EMAIL_OR_PASSWORD') return 'Wrong email or password. Check both and try again.';
  if (status === 429) return `Too many sign-in attempts. Wait ${retryAfter ?? 'a few'} seconds, then try again.`;
  if (status === 403 && typeof body?.message === 'string' && /banned/i.test(body.message)) return 'This user is blocked; ask an admin.';
  if (status === 403) return 'The sign-in was refused by the server (origin check). Open Dripline at the address set in DRIPLINE_PUBLIC_URL.';
  if (typeof body?.message === 'string' && body.message) return body.message;
  return `Sign-in failed (HTTP ${status}); see the server log.`;
}

export function LoginForm({ next }: { next: string }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    if (!email.trim() || !password) {
      setError('Enter your email and password.');
      return;
    }
    setBusy(true);
    let response: Response;
    try {
      response = await fetch('/api/auth/sign-in/email', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: email.trim(), password }),
      });
    } catch {
      setError('Could not reach the server; check that Dripline is running.');
      setBusy(false);
      return;
    }
    if (response.ok) {
      // A full load, so the nav and every server component see the new session.
      window.location.assign(next);
      return;
    }
    const body = (await response.json().catch(() => undefined)) as { code?: unknown; message?: unknown } | undefined;
    setError(signInError(response.status, body, response.headers.get('x-retry-after')));
    setPassword('');
    setBusy(false);
  }

  return (
    <form className="form card login__form" onSubmit={onSubmit} noValidate>
      <TextField id="login-email" label="Email" type="email" autoComplete="username" value={email} onValue={setEmail} autoFocus />
      <TextField id="login-password" label="Password" type="password" autoComplete="current-password" value={password} onValue={setPassword} />
      {error && (
        <p className="notice notice--error" role="alert" data-testid="login-error">
          {error}
        </p>
      )}
      <div className="form__actions">
        <button type="submit" className="button primary" disabled={busy} data-testid="login-submit">
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </div>
    </form>
  );
}
