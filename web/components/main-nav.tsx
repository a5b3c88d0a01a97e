'use client';
/**
 * The main navigation. On a wide screen its links sit in the top bar; on a narrow one (a phone) they fold
 * behind a Menu button, so no link pushes the page wider than the screen. It closes after each navigation.
 */
import { usePathname } from 'next/navigation';
import { type ReactNode, useEffect, useState } from 'react';

export function MainNav({ children }: { children: ReactNode }) {
  const [open, setOpen] = useState(false);
  const pathname = usePathname();
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new path is exactly when it should close
  useEffect(() => setOpen(false), [pathname]);
  return (
    <>
      <button
        type="button"
        className="navtoggle"
        aria-expanded={open}
        aria-controls="main-nav"
        onClick={() => setOpen((o) => !o)}
        data-testid="nav-toggle"
      >
        {open ? 'Close menu' : 'Menu'}
      </button>
      <nav id="main-nav" className={`topnav${open ? ' is-open' : ''}`} aria-label="Main">
        {children}
      </nav>
    </>
  );
}
