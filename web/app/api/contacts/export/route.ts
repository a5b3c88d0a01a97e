import { Readable } from 'node:stream';
import { exportContactsCsv } from '@server/contact-export';
import { getList } from '@server/db/lists';
import { UserError } from '@server/errors';
import { userRoute } from '@/lib/auth';
import { searchParams } from '@/lib/paging';
import { getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** Every contact as CSV (`?list=<id>`: that list's members), streamed a page at a time. */
export const GET = userRoute(async (request: Request) => {
  const { list } = searchParams(request);
  const db = await getDb();
  if (list !== undefined && !(await getList(db, list))) throw new UserError(404, 'list_not_found', `list "${list}" does not exist`);
  const csv = await exportContactsCsv(db, list ? { listId: list } : {});
  const name = list ? `contacts-${list}.csv` : 'contacts.csv';
  return new Response(Readable.toWeb(csv) as ReadableStream<Uint8Array>, {
    headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name}"` },
  });
});
