import 'server-only';
import { headers } from 'next/headers';
import { localeFrom } from '@/lib/format';

/** The signed-in reader's locale, from their browser's Accept-Language: what counts are formatted in. */
export async function readerLocale(): Promise<string> {
  return localeFrom((await headers()).get('accept-language'));
}
