import { Readable } from 'node:stream';
import { runLogCsvFor } from '@server/runs/log';
import { DeliveryLogFilter } from '@domain/delivery-log';
import { userRoute } from '@/lib/auth';
import { searchParams } from '@/lib/paging';
import { getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** The run's delivery log as CSV, with the filters of GET /api/runs/:id/attempts, newest first, streamed a page at a time (404 unless the user may see the run). */
export const GET = userRoute(async (request: Request, { params }: { params: Promise<{ id: string }> }, user) => {
  const { id } = await params;
  const csv = await runLogCsvFor(await getDb(), user, id, DeliveryLogFilter.parse(searchParams(request)));
  return new Response(Readable.toWeb(csv) as ReadableStream<Uint8Array>, {
    headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="delivery-log-${id}.csv"` },
  });
});
