/**
 * Refuses paths with a malformed %-escape (400), then sends page requests without a session cookie to /login (a quick check of the cookie only: each
 * page still verifies the session, and API routes answer 401 themselves). Passes the requested
 * path on, so a page whose session turned out to be expired can come back to it after signing in.
 * Every page gets a Content-Security-Policy with a fresh nonce (Next's documented recipe: Next reads it
 * from the request's header and puts it on its inline scripts), so no other inline script runs.
 */
import { getSessionCookie } from 'better-auth/cookies';
import { NextResponse, type NextRequest } from 'next/server';

/**
 * Paths that never need a session: the login page, the unsubscribe page (its token says who), tracked
 * links and the open pixel (/t/…: their signed tokens say whose), files
 * (icon.svg, robots.txt, ...) and the operator's endpoints (/metrics checks its own token).
 */
export function isPublicPath(pathname: string): boolean {
  if (pathname.startsWith('/unsubscribe/') || pathname.startsWith('/t/')) return true;
  if (pathname === '/healthz' || pathname === '/readyz' || pathname === '/metrics') return true;
  return pathname === '/login' || pathname.startsWith('/login/') || /\/[^/]+\.[A-Za-z0-9]+$/.test(pathname);
}

/** Whether every %-escape of the path decodes: Next's router answers a bare 500 to one that does not (e.g. /api/runs/%ZZ). */
function wellEncoded(pathname: string): boolean {
  try {
    decodeURIComponent(pathname);
    return true;
  } catch {
    return false;
  }
}

/** The page's policy: scripts from this origin carrying this nonce (and what they load), as next.config.ts otherwise. */
function pageSecurityPolicy(nonce: string): string {
  const dev = process.env.NODE_ENV === 'development';
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${dev ? ' ws: wss:' : ''}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Goes on to the page with its nonce'd policy on the request (for Next) and on the answer (for the browser). */
function page(request: NextRequest, extra: Record<string, string> = {}) {
  const policy = pageSecurityPolicy(btoa(crypto.randomUUID()));
  const forwarded = new Headers(request.headers);
  forwarded.set('content-security-policy', policy);
  for (const [name, value] of Object.entries(extra)) forwarded.set(name, value);
  const response = NextResponse.next({ request: { headers: forwarded } });
  response.headers.set('content-security-policy', policy);
  return response;
}

export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  if (!wellEncoded(pathname)) {
    const error = { code: 'invalid_path', message: 'the URL path has a malformed %-escape; encode each id with encodeURIComponent' };
    return NextResponse.json({ error }, { status: 400 });
  }
  // API routes answer 401 themselves.
  if (pathname === '/api' || pathname.startsWith('/api/')) return NextResponse.next();
  if (isPublicPath(pathname)) return page(request);
  if (!getSessionCookie(request)) {
    const login = new URL('/login', request.url);
    if (pathname !== '/') login.searchParams.set('next', `${pathname}${search}`);
    return NextResponse.redirect(login);
  }
  return page(request, { 'x-dripline-path': `${pathname}${search}` });
}

export const config = {
  // Next's assets are public; API routes pass through (after the path check) and do their own 401.
  // POST /api/imports is left out too: a proxy makes Next buffer the request body, and an upload must stream to its file.
  // So is POST /api/v1/events, the busiest route (its fixed path has no %-escape to check): the proxy would copy and buffer every request.
  matcher: ['/((?!_next/|api/imports$|api/v1/events$).*)'],
};
