import { sendPreviewToMe } from '@server/preview';
import { loadSecretKey } from '@server/secrets';
import { previewLimit } from '@server/rate-limits';
import { PreviewRequest, type PreviewSent } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getConfig, getDb, getKeyring, getOutboundPolicy, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

/**
 * Sends the preview, rendered for the chosen contact or sample, to the signed-in user's own address with
 * the node's sender: 200 {ok, message, preview}. Metered like a test email (pace, daily cap, ledger,
 * delivery log) and through the outbound guard; a profile the user may not use is a 403.
 */
export const POST = userRoute(async (request: Request, { params }: { params: Promise<{ id: string }> }, user) => {
  const { id } = await params;
  const body = await readBody(request, PreviewRequest);
  // 30 previews a minute per user, these three routes together: 429 with Retry-After past it.
  await previewLimit.take(await getDb(), user.id);
  const config = getConfig();
  const secret = loadSecretKey(config);
  const link = { publicUrl: config.DRIPLINE_PUBLIC_URL, secret };
  return Response.json((await sendPreviewToMe(await getDb(), getKeyring(), getOutboundPolicy(), secret, user, id, body, link)) satisfies PreviewSent);
});
