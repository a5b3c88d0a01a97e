import { previewSendAs } from '@server/preview';
import { loadSecretKey } from '@server/secrets';
import { previewLimit } from '@server/rate-limits';
import { PreviewRequest, type PreviewResponse } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getConfig, getDb, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** A Send node rendered for one contact (or sample values) exactly as the send path renders it, unsubscribe link included. */
export const POST = userRoute(async (request: Request, { params }: { params: Promise<{ id: string }> }, user) => {
  const { id } = await params;
  const body = await readBody(request, PreviewRequest);
  // 30 previews a minute per user, these three routes together: 429 with Retry-After past it.
  await previewLimit.take(await getDb(), user.id);
  const config = getConfig();
  const link = { publicUrl: config.DRIPLINE_PUBLIC_URL, secret: loadSecretKey(config) };
  return Response.json((await previewSendAs(await getDb(), user, id, body, link)) satisfies PreviewResponse);
});
