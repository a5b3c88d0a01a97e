/** GET /healthz: the web app answers (liveness). Public, no session. */
import { healthz } from '@server/operations';

export const dynamic = 'force-dynamic';

export function GET(): Response {
  return healthz();
}
