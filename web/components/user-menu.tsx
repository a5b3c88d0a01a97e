'use client';
/** The right side of the nav: the Settings menu, with who is signed in, the settings pages and Log out. */
import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import type { Role } from '@server/auth';

export function UserMenu({ email, role }: { email: string; role: Role }) {
  const menu = useRef<HTMLDetailsElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const close = () => menu.current?.removeAttribute('open');

  // Close the menu on a click elsewhere or on Escape, like any menu.
  useEffect(() => {
    const close = () => menu.current?.removeAttribute('open');
    const onClick = (e: MouseEvent) => {
      if (menu.current && !menu.current.contains(e.target as Node)) close();
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') close();
    };
    document.addEventListener('click', onClick);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('click', onClick);
      document.removeEventListener('keydown', onKey);
    };
  }, []);

  async function logOut() {
    setBusy(true);
    setError(null);
    try {
      const response = await fetch('/api/auth/sign-out', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      window.location.assign('/login');
    } catch (err) {
      setError(`Could not log out (${err instanceof Error ? err.message : String(err)}); try again.`);
      setBusy(false);
    }
  }

  return (
    <div className="usermenu">
      <details className="menu" ref={menu} data-testid="settings-menu">
        <summary>Settings</summary>
        <div className="menu__list">
          <p className="whoami" data-testid="whoami">
            {email} <span className={`role role--${role}`}>{role}</span>
          </p>
          <Link href="/settings/smtp" onClick={close} data-testid="nav-smtp-settings">
            SMTP settings
          </Link>
          {role === 'admin' && (
            <Link href="/settings/users" onClick={close} data-testid="nav-users">
              Users
            </Link>
          )}
          {role === 'admin' && (
            <Link href="/settings/frequency-cap" onClick={close} data-testid="nav-frequency-cap">
              Frequency cap
            </Link>
          )}
          {role === 'admin' && (
            <Link href="/settings/api-keys" onClick={close} data-testid="nav-api-keys">
              API keys
            </Link>
          )}
          <button type="button" className="logout" onClick={logOut} disabled={busy} data-testid="logout">
            {busy ? 'Logging out…' : 'Log out'}
          </button>
          {error && (
            <span className="error-text" role="alert">
              {error}
            </span>
          )}
        </div>
      </details>
    </div>
  );
}
