import { sendPreviewToSandbox } from '@server/preview';
import { loadSecretKey } from '@server/secrets';
import { previewLimit } from '@server/rate-limits';
import { PreviewRequest, type PreviewSent } from '@/lib/api-types';
import { userRoute } from '@/lib/auth';
import { getConfig, getDb, getKeyring, getOutboundPolicy, readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

/**
 * Sends the preview to the contact's address through the bundled sandbox profile, which keeps it in the
 * sandbox mailbox: 200 {ok, message, preview}. Metered like a test email (pace, ledger, delivery log).
 */
export const POST = userRoute(async (request: Request, { params }: { params: Promise<{ id: string }> }, user) => {
  const { id } = await params;
  const body = await readBody(request, PreviewRequest);
  // 30 previews a minute per user, these three routes together: 429 with Retry-After past it.
  await previewLimit.take(await getDb(), user.id);
  const config = getConfig();
  const secret = loadSecretKey(config);
  const link = { publicUrl: config.DRIPLINE_PUBLIC_URL, secret };
  const sandbox = { host: config.SANDBOX_SMTP_HOST, port: config.SANDBOX_SMTP_PORT };
  return Response.json(
    (await sendPreviewToSandbox(await getDb(), getKeyring(), getOutboundPolicy(), secret, user, id, body, link, sandbox)) satisfies PreviewSent,
  );
});
