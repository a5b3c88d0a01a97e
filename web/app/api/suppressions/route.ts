import { z } from 'zod';
import type { Suppression } from '@server/db/suppression';
import { suppressionsFor } from '@server/suppressions';
import { userRoute } from '@/lib/auth';
import { PageQuery, searchParams } from '@/lib/paging';
import { getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** `?status=unsubscribed|suppressed` (absent: both), `?offset=&limit=`. */
const SuppressionQuery = PageQuery.extend({
  status: z.enum(['unsubscribed', 'suppressed'], { error: 'status must be unsubscribed or suppressed (or left out for both)' }).optional(),
});

/** GET /api/suppressions: the answer. */
export interface SuppressionPage {
  items: Suppression[];
  total: number;
  offset: number;
  limit: number;
}

/** Contacts not mailed (unsubscribed or suppressed), latest first, a page at a time. Admins only. */
export const GET = userRoute(
  async (request: Request, _context: unknown, user) => {
    const { status, ...page } = SuppressionQuery.parse(searchParams(request));
    const { items, total } = await suppressionsFor(await getDb(), user, status, page);
    return Response.json({ items, total, ...page } satisfies SuppressionPage);
  },
  { admin: true },
);
