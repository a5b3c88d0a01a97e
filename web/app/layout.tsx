import type { Metadata } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { mayOpenTemporal } from '@server/access';
import { ReaderLocaleProvider } from '@/components/count';
import { MainNav } from '@/components/main-nav';
import { UserMenu } from '@/components/user-menu';
import { currentUser } from '@/lib/auth';
import { readerLocale } from '@/lib/locale';
import { getConfig } from '@/lib/server';
import './globals.css';

// Every page reads the database or the configuration at request time, never at build time.
export const dynamic = 'force-dynamic';

export const metadata: Metadata = {
  title: { default: 'Dripline', template: '%s · Dripline' },
  description: 'Email campaigns drawn as flows, run durably on Temporal.',
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const temporalUiUrl = getConfig().TEMPORAL_UI_URL;
  // Pages check the session themselves; the layout only decides what the nav shows.
  const user = await currentUser();
  const locale = await readerLocale();
  return (
    <html lang="en">
      <body>
        <header className="topbar">
          <Link href={user ? '/flows' : '/login'} className="brand">
            Dripline
          </Link>
          {user && (
            <MainNav>
              <Link href="/flows">Flows</Link>
              <Link href="/contacts">Contacts</Link>
              <Link href="/lists">Lists</Link>
              <Link href="/runs">Runs</Link>
              <Link href="/sandbox">Sandbox mailbox</Link>
              {/* Temporal's UI shows every workflow, whoever's: admins only (its server has no login of its own). */}
              {mayOpenTemporal(user) && (
                <a href={temporalUiUrl} target="_blank" rel="noreferrer" className="external" data-testid="temporal-ui-link">
                  Temporal UI ↗
                </a>
              )}
              <UserMenu email={user.email} role={user.role} />
            </MainNav>
          )}
        </header>
        <main className="page">
          <ReaderLocaleProvider locale={locale}>{children}</ReaderLocaleProvider>
        </main>
      </body>
    </html>
  );
}
