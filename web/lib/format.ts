/** Timestamps are stored as ISO strings in UTC; pages show them the same way everywhere. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** The locale numbers show in when the reader's browser names none Intl knows. */
export const FALLBACK_LOCALE = 'en-US';

/**
 * The reader's locale from their browser's Accept-Language ("de-CH,de;q=0.9,en;q=0.8"): the most wanted
 * tag Intl can format numbers in, else en-US. Anything malformed is skipped, never thrown.
 */
export function localeFrom(acceptLanguage: string | null | undefined): string {
  const wanted = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((w) => w.tag !== '' && w.tag !== '*' && w.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of wanted) {
    try {
      const [supported] = Intl.NumberFormat.supportedLocalesOf(tag);
      if (supported) return supported;
    } catch {
      // a malformed tag: try the next one
    }
  }
  return FALLBACK_LOCALE;
}

/** A count as the reader writes numbers ("100,000", "100.000", "100 000"): the one helper for every count a page shows. */
export function formatCount(n: number, locale: string): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(n);
}
