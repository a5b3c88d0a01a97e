import { listImportProblems } from '@server/db/imports';
import { visibleImport } from '@server/imports';
import type { ImportStatusResponse } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getDb } from '@/lib/server';

export const dynamic = 'force-dynamic';

type Params = { params: Promise<{ id: string }> };

/** The import's progress (rows done of the total, created, updated, bad rows) and its first problems, by line. */
export const GET = userRoute(async (_request: Request, { params }: Params, user) => {
  const { id } = await params;
  const db = await getDb();
  const { ownerId: _owner, ...progress } = await visibleImport(db, user, id);
  const problems = await listImportProblems(db, id, { offset: 0, limit: 200 });
  return Response.json({ import: progress, problems } satisfies ImportStatusResponse);
});
