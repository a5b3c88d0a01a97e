import { z } from 'zod';

/** ?limit= on list routes and pages: at most 500 rows a page, so a 1,000,000-row table never travels whole. */
export const pageLimit = (fallback: number) =>
  z.coerce
    .number({ error: 'limit must be a number' })
    .int()
    .min(1, 'limit must be at least 1')
    .max(500, 'limit must be at most 500')
    .default(fallback);
