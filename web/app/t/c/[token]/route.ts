/**
 * A tracked link (server/tracking.ts): the signed token names the address it stands for, which is where
 * it redirects, after recording the click. A token that does not verify is a 404 page, never a redirect
 * (no open redirect), and never a 500: a failure to record still sends the reader on.
 */
import { recordClick } from '@server/engagement';
import { verifyTrackingToken } from '@server/tracking';
import { getDb, getUnsubscribeSecrets, webLog } from '@/lib/server';

export const dynamic = 'force-dynamic';

type Params = { params: Promise<{ token: string }> };

const notFound = () =>
  new Response(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>This link is not valid</title></head>
<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem"><h1>This link is not valid</h1>
<p>The link may have been cut short when it was copied. Open it again from the email.</p></body></html>`,
    { status: 404, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } },
  );

const redirect = (url: string) =>
  new Response(null, { status: 302, headers: { location: url, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' } });

export async function GET(request: Request, { params }: Params): Promise<Response> {
  const { token } = await params;
  const secrets = getUnsubscribeSecrets();
  try {
    const url = await recordClick(
      await getDb(),
      secrets,
      token,
      request.headers.get('user-agent') ?? '',
      request.headers.get('x-dripline-client-ip') ?? '',
    );
    return url ? redirect(url) : notFound();
  } catch (err) {
    webLog.warn({ err }, 'a click could not be recorded');
    const click = verifyTrackingToken(secrets, 'click', token);
    return click ? redirect(click.url) : notFound();
  }
}
