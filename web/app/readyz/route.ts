/** GET /readyz: 200 when the database and Temporal answer, else 503 naming which does not and why. Public, no session. */
import { databaseCheck, readyz, temporalCheck } from '@server/operations';
import { getDb, getTemporal } from '@/lib/server';

export const dynamic = 'force-dynamic';

export function GET(): Promise<Response> {
  return readyz({
    database: databaseCheck(getDb),
    temporal: temporalCheck(async () => (await getTemporal()).connection),
  });
}
