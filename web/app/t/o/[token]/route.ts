/**
 * The open pixel (server/tracking.ts): a 1×1 transparent GIF, whatever the token; an open is recorded
 * when the token verifies. Never cached, so each open reaches the app.
 */
import { recordOpen } from '@server/engagement';
import { getDb, getUnsubscribeSecrets, webLog } from '@/lib/server';

export const dynamic = 'force-dynamic';

type Params = { params: Promise<{ token: string }> };

const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

export async function GET(request: Request, { params }: Params): Promise<Response> {
  const { token } = await params;
  const agent = request.headers.get('user-agent') ?? '';
  const client = request.headers.get('x-dripline-client-ip') ?? '';
  await getDb()
    .then((db) => recordOpen(db, getUnsubscribeSecrets(), token, agent, client))
    .catch((err: unknown) => webLog.warn({ err }, 'an open could not be recorded'));
  return new Response(new Uint8Array(PIXEL), { headers: { 'content-type': 'image/gif', 'cache-control': 'no-store, max-age=0' } });
}
