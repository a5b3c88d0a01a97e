/**
 * Counts in the reader's locale (issue 24): the locale comes from the browser's Accept-Language (its
 * most wanted tag Intl knows, else en-US, never an error), and `formatCount` groups thousands as that
 * locale does.
 */
import { describe, expect, it } from 'vitest';
import { formatCount, localeFrom } from '../web/lib/format';

describe("the reader's locale", () => {
  it('takes the most wanted tag Accept-Language names, by q then by order', () => {
    expect(localeFrom('de-DE,de;q=0.9,en;q=0.8')).toBe('de-DE');
    expect(localeFrom('en;q=0.5, fr-CH;q=0.9')).toBe('fr-CH');
    expect(localeFrom('fr-FR, de-DE')).toBe('fr-FR');
  });

  it('falls back to en-US for nothing, a wildcard, q=0 or a malformed tag', () => {
    for (const header of [null, undefined, '', '*', 'de;q=0', 'not a tag!!', ';;;,,,']) expect(localeFrom(header), String(header)).toBe('en-US');
    expect(localeFrom('not a tag!!, de-AT;q=0.3')).toBe('de-AT');
  });
});

describe('formatCount', () => {
  it('groups thousands as the locale writes them', () => {
    expect(formatCount(100_000, 'en-US')).toBe('100,000');
    expect(formatCount(100_000, 'de-DE')).toBe('100.000');
    expect(formatCount(1_203, 'en-IN')).toBe('1,203');
    expect(formatCount(10_000_000, 'en-IN')).toBe('1,00,00,000');
    expect(formatCount(999, 'de-DE')).toBe('999');
    expect(formatCount(0, 'en-US')).toBe('0');
  });
});
