'use client';
/**
 * Counts in the reader's locale on server and client pages alike: the root layout provides the locale
 * (from Accept-Language), `<Count value={n} />` and `useFormatCount()` format with `formatCount`.
 */
import { createContext, type ReactNode, useContext } from 'react';
import { FALLBACK_LOCALE, formatCount } from '@/lib/format';

const ReaderLocale = createContext(FALLBACK_LOCALE);

export function ReaderLocaleProvider({ locale, children }: { locale: string; children: ReactNode }) {
  return <ReaderLocale.Provider value={locale}>{children}</ReaderLocale.Provider>;
}

/** Formats counts for text built in a client component ("Send to these 1,204 in a new run"). */
export function useFormatCount(): (n: number) => string {
  const locale = useContext(ReaderLocale);
  return (n) => formatCount(n, locale);
}

export function Count({ value }: { value: number }) {
  return <>{useFormatCount()(value)}</>;
}
