/** ?offset=&limit= on list routes: pages of at most 500, so a 100,000-row table never travels whole. */
import { pageLimit } from '@domain/paging';
import { z } from 'zod';

export const PageQuery = z.object({
  offset: z.coerce.number({ error: 'offset must be a number' }).int().min(0, 'offset must be 0 or more').default(0),
  limit: pageLimit(100),
});

export function searchParams(request: Request): Record<string, string> {
  return Object.fromEntries(new URL(request.url).searchParams);
}
