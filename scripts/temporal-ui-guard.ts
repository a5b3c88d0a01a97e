/**
 * The guard in front of the Temporal dev server's Web UI under `npm start`: the UI itself has no login
 * and its write actions cannot be turned off on the dev server. The UI listens on an internal port on
 * 127.0.0.1; this guard listens on TEMPORAL_UI_URL's port and lets through only a signed-in Dripline
 * admin (the browser sends the app's session cookie to every port of the same host name), and only reads:
 *   - GET, HEAD and OPTIONS pass, and the one POST the UI makes to read: a workflow query (its stack
 *     trace, its query list, a query's answer; Temporal's queries cannot change a workflow);
 *   - every other method is refused (Start, Signal, Cancel, Terminate, Reset, Update, batch actions...);
 *   - the UI's settings answer (GET /api/v1/settings) says DisableWriteActions: true, so the UI hides its buttons,
 *     and Codec.IncludeCredentials: true, so the UI sends the admin's cookie to the codec endpoint (nothing to set).
 * Bodies stream both ways unbuffered (server-sent events, long polls), but for the settings answer.
 * Run by scripts/temporal-ui.ts.
 */
import http from 'node:http';
import { z } from 'zod';

/** Who the web app says sends the request: a role, or nobody (no session, or one that ended). */
export type Caller = { role: string } | undefined;

export type Decision =
  | { action: 'pass'; rewriteSettings: boolean }
  | { action: 'refuse'; status: 400 | 401 | 403 | 405; code: string; message: string };

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The UI's workflow queries (grpc-gateway's QueryWorkflow route): reads, though POST. */
const QUERY = /^\/api\/v1\/namespaces\/[^/]+\/workflows\/[^/]+\/query\/[^/]+$/;
const SETTINGS = '/api/v1/settings';

/** What the guard does with a request: `path` is the request line's target (path and query string). */
export function decide(method: string, path: string, caller: Caller): Decision {
  const pathname = path.split('?')[0] ?? '';
  // A path a URL parser would read otherwise (dot segments, backslashes) could reach another route upstream.
  if (!pathname.startsWith('/') || new URL(pathname, 'http://guard.invalid').pathname !== pathname)
    return { action: 'refuse', status: 400, code: 'bad_path', message: 'the path has dot segments or backslashes; ask for the plain path' };
  if (!caller) return { action: 'refuse', status: 401, code: 'sign_in', message: "sign in to Dripline as an admin to open Temporal's Web UI" };
  if (caller.role !== 'admin') return { action: 'refuse', status: 403, code: 'admins_only', message: "Temporal's Web UI is for admins" };
  const upper = method.toUpperCase();
  if (!READS.has(upper) && !(upper === 'POST' && QUERY.test(pathname)))
    return {
      action: 'refuse',
      status: 405,
      code: 'read_only',
      message: "Temporal's Web UI is read-only under npm start: start, signal, cancel, terminate or reset from Dripline or the temporal CLI",
    };
  return { action: 'pass', rewriteSettings: upper === 'GET' && pathname === SETTINGS };
}

/** The app's session cookies (better-auth's, with or without the __Secure- prefix) from a Cookie header. */
export function sessionCookies(cookie: string | undefined): string {
  return (cookie ?? '')
    .split(';')
    .map((pair) => pair.trim())
    .filter((pair) => /^(__Secure-)?better-auth\./.test(pair))
    .join('; ');
}

/** The UI's cookies only: the app's session cookie is none of Temporal's business. */
function otherCookies(cookie: string | undefined): string {
  return (cookie ?? '')
    .split(';')
    .map((pair) => pair.trim())
    .filter((pair) => pair && !/^(__Secure-)?better-auth\./.test(pair))
    .join('; ');
}

/**
 * The settings answer with write actions off, and with the codec endpoint (when there is one) called with
 * credentials: the web app decodes for a signed-in admin only, so the browser must send its cookie, and
 * the dev server cannot be told so (no flag for it), nor should an admin have to tick it in the UI.
 * Undefined when it is not a JSON object.
 */
export function readOnlySettings(body: string): string | undefined {
  try {
    const settings: unknown = JSON.parse(body);
    if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) return undefined;
    const codec = 'Codec' in settings ? settings.Codec : undefined;
    const withCredentials =
      typeof codec === 'object' && codec !== null && 'Endpoint' in codec && codec.Endpoint ? { Codec: { ...codec, IncludeCredentials: true } } : {};
    return JSON.stringify({ ...settings, DisableWriteActions: true, ...withCredentials });
  } catch {
    return undefined;
  }
}

const SessionAnswer = z.object({ user: z.object({ role: z.string().nullish() }) }).nullable();
const CACHE_MS = 10_000;

/** Asks the web app who sends these cookies (better-auth's get-session), remembered for 10 s per cookie. */
export function sessionLookup(app: string) {
  const cache = new Map<string, { caller: Caller; until: number }>();
  return async (cookie: string | undefined): Promise<Caller> => {
    const cookies = sessionCookies(cookie);
    if (!cookies) return undefined;
    const now = Date.now();
    const known = cache.get(cookies);
    if (known && known.until > now) return known.caller;
    const res = await fetch(`${app}/api/auth/get-session`, { headers: { cookie: cookies }, signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`the web app answered ${res.status} to get-session`);
    const answer = SessionAnswer.parse(await res.json());
    const caller = answer ? { role: answer.user.role ?? '' } : undefined;
    if (cache.size > 10_000) for (const [key, entry] of cache) if (entry.until <= now) cache.delete(key);
    cache.set(cookies, { caller, until: now + CACHE_MS });
    return caller;
  };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function refusalPage(status: number, message: string, publicUrl: string, uiUrl: string): string {
  const login = `${publicUrl.replace(/\/$/, '')}/login`;
  const hint =
    status === 401
      ? `<p>Sign in at <a href="${escapeHtml(login)}">${escapeHtml(login)}</a> as an admin, then reload this page.</p>
<p>Open the app and the UI on the same host name (here ${escapeHtml(new URL(uiUrl).hostname)}: both localhost or both 127.0.0.1):
the browser sends the app's sign-in cookie to the UI only then.</p>`
      : status === 403
        ? '<p>Ask an admin of this Dripline to read the workflow for you.</p>'
        : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Temporal Web UI: ${status}</title></head>
<body style="font-family: sans-serif; max-width: 40rem; margin: 4rem auto"><h1>${escapeHtml(message)}</h1>${hint}</body></html>\n`;
}

/** Request headers that would make the UI's server read the request as another method, and hop-by-hop ones. */
const DROPPED = ['x-http-method-override', 'x-http-method', 'x-method-override', 'connection', 'keep-alive', 'proxy-connection'];

export function createGuard(options: { upstream: string; whoIs: (cookie: string | undefined) => Promise<Caller>; publicUrl: string; uiUrl: string }) {
  const upstream = new URL(options.upstream);

  const refuse = (req: http.IncomingMessage, res: http.ServerResponse, status: number, code: string, message: string) => {
    const api = (req.url ?? '').startsWith('/api/');
    res.writeHead(status, {
      'content-type': api ? 'application/json' : 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      ...(status === 405 ? { allow: 'GET, HEAD, OPTIONS' } : {}),
    });
    res.end(api ? JSON.stringify({ code, message }) : refusalPage(status, message, options.publicUrl, options.uiUrl));
  };

  return http.createServer((req, res) => {
    void (async () => {
      let caller: Caller;
      try {
        caller = await options.whoIs(req.headers.cookie);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        return refuse(req, res, 503, 'app_unavailable', `the Dripline web app did not say who you are (${why}); try again in a moment`);
      }
      const decision = decide(req.method ?? 'GET', req.url ?? '/', caller);
      if (decision.action === 'refuse') return refuse(req, res, decision.status, decision.code, decision.message);

      const headers: http.OutgoingHttpHeaders = { ...req.headers };
      for (const name of DROPPED) delete headers[name];
      const cookie = otherCookies(req.headers.cookie);
      if (cookie) headers.cookie = cookie;
      else delete headers.cookie;
      // The settings answer is read and rewritten: ask for it uncompressed.
      if (decision.rewriteSettings) delete headers['accept-encoding'];

      const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
        const answerHeaders = { ...answer.headers };
        for (const name of DROPPED) delete answerHeaders[name];
        if (!decision.rewriteSettings || answer.statusCode !== 200) {
          res.writeHead(answer.statusCode ?? 502, answerHeaders);
          res.flushHeaders();
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const body = readOnlySettings(Buffer.concat(chunks).toString());
          if (body === undefined)
            return refuse(req, res, 502, 'bad_settings', "Temporal's Web UI answered its settings with something other than JSON");
          delete answerHeaders['transfer-encoding'];
          res.writeHead(200, { ...answerHeaders, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
          res.end(body);
        });
      });
      forward.on('error', (err) => {
        if (res.headersSent) return void res.destroy();
        refuse(req, res, 502, 'ui_unavailable', `Temporal's Web UI did not answer (${err.message}); is the Temporal dev server running?`);
      });
      res.on('close', () => {
        if (!res.writableFinished) forward.destroy();
      });
      req.pipe(forward);
    })();
  });
}
