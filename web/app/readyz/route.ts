/**
 * GET /readyz: 200 when the database and Temporal answer, else 503 naming which does not. Public, no
 * session, so the reasons (which name addresses inside) go to the log, not the answer.
 */
import { readyz } from '@server/operations';
import { getReadinessChecks, webLog } from '@/lib/server';

export const dynamic = 'force-dynamic';

export function GET(): Promise<Response> {
  return readyz(getReadinessChecks(), { public: true, log: webLog });
}
