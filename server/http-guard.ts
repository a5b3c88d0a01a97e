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

/** What a route takes before it runs: its largest body, whether that must be JSON, and who checks the origin. */
interface RouteRule {
  limit: number;
  /** An API body must be JSON, except where the route reads something else (a CSV file). */
  json: boolean;
  /** The route checks a write's origin itself (the codec endpoint, called by the Temporal Web UI from its own port). */
  ownOriginCheck: boolean;
}

const isUpload = (method: string, pathname: string) => method === 'POST' && pathname === '/api/imports';

/** The routes that differ from the default (64 KB, JSON on the API, same-origin writes), first match wins. */
const RULES: { matches: (method: string, pathname: string) => boolean; rule: Partial<RouteRule> }[] = [
  { matches: (_, p) => p.startsWith('/api/auth/'), rule: { limit: 16 * KB } },
  { matches: (_, p) => p === '/api/flows' || p.startsWith('/api/flows/'), rule: { limit: 2 * MB } },
  // An explicit audience of any size: a million contact ids fit.
  { matches: (m, p) => m === 'POST' && p === '/api/runs', rule: { limit: 32 * MB } },
  // The Web UI decodes a whole history's payloads at once; the route checks the origin and the caller.
  { matches: (_, p) => p.startsWith('/api/temporal-codec/'), rule: { limit: 16 * MB, ownOriginCheck: true } },
  // A CSV file to import, streamed to disk by its route (server/contact-import.ts).
  { matches: (m, p) => isUpload(m, p), rule: { limit: MAX_IMPORT_BYTES, json: false } },
];

function routeRule(method: string, pathname: string): RouteRule {
  const found = RULES.find((r) => r.matches(method, pathname))?.rule;
  return { limit: 64 * KB, json: pathname.startsWith('/api/'), ownOriginCheck: false, ...found };
}

/** The largest request body a route takes, in bytes: flows (graphs with message bodies) and run audiences larger, the rest small. */
export function bodyLimit(method: string, pathname: string): number {
  return routeRule(method, pathname).limit;
}

/** The slowest upload of a CSV file the web app waits for: 64 KB/s (a 256 MB file in about 70 minutes). */
export const SLOWEST_UPLOAD_BYTES_PER_SECOND = 64 * KB;

/**
 * How long the web app waits for a request's body: DRIPLINE_REQUEST_TIMEOUT_SECONDS, and for a CSV
 * upload that plus a second for every 64 KB it declares, so that a large file on a modest line is
 * never cut by the limit meant for small requests (`declared` undefined: the largest it takes).
 */
export function bodyTimeoutMs(config: Pick<Config, 'DRIPLINE_REQUEST_TIMEOUT_SECONDS'>, method: string, pathname: string, declared?: number): number {
  const short = config.DRIPLINE_REQUEST_TIMEOUT_SECONDS * 1000;
  if (!isUpload(method, pathname)) return short;
  return short + Math.ceil(((declared ?? MAX_IMPORT_BYTES) / SLOWEST_UPLOAD_BYTES_PER_SECOND) * 1000);
}

export const describeBytes = (n: number) => (n >= MB ? `${n / MB} MB` : `${n / KB} KB`);

export interface Refusal {
  status: 403 | 411 | 413 | 415;
  code: string;
  message: string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

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
  const rule = routeRule(method, pathname);
  if (!SAFE_METHODS.has(method) && !rule.ownOriginCheck) {
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
  if (!SAFE_METHODS.has(method) && rule.json && hasBody) {
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
  const { limit } = rule;
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
