import { startImport } from '@server/imports';
import { type ImportStatusResponse, StartImportRequest } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getConfig, getDb, getTemporal, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

type Params = { params: Promise<{ id: string }> };

/** Starts the import with a mapping (one target per column) and an optional list: 422 naming the field when the mapping does not fit. */
export const POST = userRoute(async (request: Request, { params }: Params, user) => {
  const { id } = await params;
  const body = await readBody(request, StartImportRequest);
  const db = await getDb();
  const report = await startImport(db, await getTemporal(), getConfig(), user, id, body);
  return Response.json(report satisfies ImportStatusResponse);
});
