import { listImportProblems } from '@server/db/imports';
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
  const { ownerId: _owner, ...progress } = await startImport(db, await getTemporal(), getConfig(), user, id, body);
  const problems = await listImportProblems(db, id, { offset: 0, limit: 200 });
  return Response.json({ import: progress, problems } satisfies ImportStatusResponse);
});
