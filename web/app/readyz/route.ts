/**
 * GET /readyz: 200 when the database and Temporal answer, else 503 naming which does not. Public, no
 * session, so the reasons (which name addresses inside) go to the log, not the answer.
 */
import { databaseCheck, readyz, temporalCheck } from '@server/operations';
import { getDb, getTemporal, webLog } from '@/lib/server';

export const dynamic = 'force-dynamic';

export function GET(): Promise<Response> {
  return readyz(
    {
      database: databaseCheck(getDb),
      temporal: temporalCheck(async () => (await getTemporal()).connection),
    },
    { public: true, log: webLog },
  );
}
