/**
 * What the web app accepts before any route runs (scripts/web-server.ts applies it to every request,
 * pages and API alike; route handlers enforce the body limit again while reading): the client's IP
 * from trusted proxies only, a body-size limit per route, and for state-changing requests a same-origin
 * check (Sec-Fetch-Site or Origin) and, on the API, JSON bodies only.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Config } from './config';
import { MAX_IMPORT_BYTES } from '../domain/contact-import';

const KB = 1024;
const MB = 1024 * KB;

/** The largest request body a route takes, in bytes: flows (graphs with message bodies) and run audiences larger, the rest small. */
export function bodyLimit(method: string, pathname: string): number {
  if (pathname.startsWith('/api/auth/')) return 16 * KB;
  if (pathname === '/api/flows' || pathname.startsWith('/api/flows/')) return 2 * MB;
  // An explicit audience of any size: a million contact ids fit.
  if (method === 'POST' && pathname === '/api/runs') return 32 * MB;
  // The Temporal Web UI decodes a whole history's payloads at once.
  if (pathname.startsWith(CODEC_PATH)) return 16 * MB;
  // A CSV file to import, streamed to disk by its route (server/contact-import.ts).
  if (method === 'POST' && pathname === IMPORT_PATH) return MAX_IMPORT_BYTES;
  return 64 * KB;
}

export const describeBytes = (n: number) => (n >= MB ? `${n / MB} MB` : `${n / KB} KB`);

export interface Refusal {
  status: 403 | 411 | 413 | 415;
  code: string;
  message: string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/**
 * The codec endpoint is called cross-origin by the Temporal Web UI (another port): its route checks the
 * origin (TEMPORAL_UI_URL or the app's own) and who calls (an admin's session or the codec token) itself.
 */
const CODEC_PATH = '/api/temporal-codec/';
/** The one API body that is not JSON: a CSV file to import. */
const IMPORT_PATH = '/api/imports';

/** The origins this app is served from: DRIPLINE_PUBLIC_URL (and its localhost/127.0.0.1 twin), and the Host the request was sent to. */
export function ownOrigins(config: Pick<Config, 'DRIPLINE_PUBLIC_URL'>, host: string | undefined): Set<string> {
  const publicUrl = new URL(config.DRIPLINE_PUBLIC_URL);
  const origins = new Set([publicUrl.origin]);
  const twin = new URL(publicUrl);
  if (publicUrl.hostname === 'localhost') twin.hostname = '127.0.0.1';
  else if (publicUrl.hostname === '127.0.0.1') twin.hostname = 'localhost';
  origins.add(twin.origin);
  if (host) origins.add(`${publicUrl.protocol}//${host}`);
  return origins;
}

const header = (headers: IncomingHttpHeaders, name: string) => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * Refuses a request before its body is read: undefined when it may go on. Browsers send Origin with every
 * POST, PUT and DELETE, and Sec-Fetch-Site too; a request from another site (a sibling subdomain
 * included: SameSite cookies do not stop those) is refused. A request with neither header comes from a
 * program, not a browser page, so it cannot carry a visitor's cookies against their will.
 */
export function refuseRequest(
  config: Pick<Config, 'DRIPLINE_PUBLIC_URL'>,
  request: { method: string; pathname: string; headers: IncomingHttpHeaders },
): Refusal | undefined {
  const { method, pathname, headers } = request;
  if (!SAFE_METHODS.has(method) && !pathname.startsWith(CODEC_PATH)) {
    const site = header(headers, 'sec-fetch-site');
    const origin = header(headers, 'origin');
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      return { status: 403, code: 'cross_site', message: `cross-site ${method} refused (Sec-Fetch-Site: ${site}); use Dripline from its own pages` };
    }
    if (origin !== undefined && !ownOrigins(config, header(headers, 'host')).has(origin)) {
      return {
        status: 403,
        code: 'cross_origin',
        message: `${method} from origin ${origin} refused; open Dripline at ${new URL(config.DRIPLINE_PUBLIC_URL).origin} (DRIPLINE_PUBLIC_URL)`,
      };
    }
  }
  const length = header(headers, 'content-length');
  const chunked = header(headers, 'transfer-encoding') !== undefined;
  const hasBody = chunked || (length !== undefined && length !== '0');
  if (!SAFE_METHODS.has(method) && pathname.startsWith('/api/') && pathname !== IMPORT_PATH && hasBody) {
    const type = (header(headers, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') {
      return {
        status: 415,
        code: 'unsupported_media_type',
        message: `the request body must be JSON with Content-Type: application/json (got ${type ? `"${type}"` : 'none'})`,
      };
    }
  }
  if (!hasBody) return undefined;
  const limit = bodyLimit(method, pathname);
  if (length === undefined) {
    return { status: 411, code: 'length_required', message: `send the body with a Content-Length (at most ${describeBytes(limit)} here)` };
  }
  if (!/^\d+$/.test(length) || Number(length) > limit) {
    return {
      status: 413,
      code: 'body_too_large',
      message: `the request body is ${length} bytes; ${pathname} takes at most ${describeBytes(limit)}`,
    };
  }
  return undefined;
}
