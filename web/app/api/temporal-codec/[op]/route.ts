/**
 * The codec endpoint for the Temporal Web UI and the temporal CLI: POST /api/temporal-codec/decode and
 * /encode (Temporal's codec server protocol, server/temporal-codec-http.ts). Payloads in Temporal are
 * encrypted (server/temporal-codec.ts); this turns them back into clear text for an authorised reader
 * only: a signed-in admin (the session cookie, sent by the Web UI with "include credentials") or a
 * caller with DRIPLINE_TEMPORAL_CODEC_TOKEN as a bearer token. Anyone else gets 401 or 403.
 */
import { UserError } from '@server/errors';
import { CODEC_MAX_BODY_BYTES, CodecOp, codecCorsHeaders, codecOrigins, codecTokenMatches, runCodec } from '@server/temporal-codec-http';
import { PayloadEncryptionCodec } from '@server/temporal-codec';
import { currentUser } from '@/lib/auth';
import { apiRoute, getConfig, getKeyring, readJson } from '@/lib/server';

export const dynamic = 'force-dynamic';

type Context = { params: Promise<{ op: string }> };

function cors(request: Request): Record<string, string> {
  return codecCorsHeaders(request.headers.get('origin'), codecOrigins(getConfig()));
}

/** The browser's preflight: the UI posts JSON with X-Namespace, so it asks first. */
export function OPTIONS(request: Request): Response {
  return new Response(null, { status: 204, headers: cors(request) });
}

async function authorise(request: Request): Promise<void> {
  const origin = request.headers.get('origin');
  // A page of another site must not use a signed-in admin's cookie to decode (CORS alone only hides the answer).
  if (origin && !codecOrigins(getConfig()).has(origin)) {
    throw new UserError(
      403,
      'origin_not_allowed',
      `pages from ${origin} may not use the codec endpoint; open the Temporal Web UI at TEMPORAL_UI_URL`,
    );
  }
  if (codecTokenMatches(request.headers.get('authorization'), getConfig().DRIPLINE_TEMPORAL_CODEC_TOKEN)) return;
  const user = await currentUser();
  if (!user) {
    throw new UserError(
      401,
      'unauthenticated',
      'sign in to Dripline as an admin (and let the Temporal Web UI include credentials), or send Authorization: Bearer <DRIPLINE_TEMPORAL_CODEC_TOKEN>',
    );
  }
  if (user.role !== 'admin') throw new UserError(403, 'admin_only', 'only admins may read Temporal payloads in clear; ask an admin');
}

const handle = apiRoute<Context>(async (request, { params }) => {
  const op = CodecOp.parse((await params).op);
  await authorise(request);
  if (Number(request.headers.get('content-length') ?? 0) > CODEC_MAX_BODY_BYTES) {
    throw new UserError(400, 'body_too_large', `send at most ${CODEC_MAX_BODY_BYTES / 1024 / 1024} MB of payloads per request`);
  }
  return Response.json(await runCodec(new PayloadEncryptionCodec(getKeyring()), op, await readJson(request)));
});

export async function POST(request: Request, context: Context): Promise<Response> {
  const response = await handle(request, context);
  for (const [name, value] of Object.entries(cors(request))) response.headers.set(name, value);
  return response;
}
