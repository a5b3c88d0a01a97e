import { Readable } from 'node:stream';
import { exportContactsFor } from '@server/access';
import { userRoute } from '@/lib/auth';
import { searchParams } from '@/lib/paging';
import { getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** Every contact as CSV (`?list=<id>`: that list's members), streamed a page at a time. Admins only: 403 for agents. */
export const GET = userRoute(async (request: Request, _context: unknown, user) => {
  const { list } = searchParams(request);
  const csv = await exportContactsFor(await getDb(), user, list ? { listId: list } : {});
  const name = list ? `contacts-${list}.csv` : 'contacts.csv';
  return new Response(Readable.toWeb(csv) as ReadableStream<Uint8Array>, {
    headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name}"` },
  });
});
