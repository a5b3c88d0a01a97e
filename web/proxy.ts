/**
 * Refuses paths with a malformed %-escape (400), then sends page requests without a session cookie to /login (a quick check of the cookie only: each
 * page still verifies the session, and API routes answer 401 themselves). Passes the requested
 * path on, so a page whose session turned out to be expired can come back to it after signing in.
 */
import { getSessionCookie } from 'better-auth/cookies';
import { NextResponse, type NextRequest } from 'next/server';

/**
 * Paths that never need a session: the login page, the unsubscribe page (its token says who), files
 * (icon.svg, robots.txt, ...) and the operator's endpoints (/metrics checks its own token).
 */
export function isPublicPath(pathname: string): boolean {
  if (pathname.startsWith('/unsubscribe/')) return true;
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

export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  if (!wellEncoded(pathname)) {
    const error = { code: 'invalid_path', message: 'the URL path has a malformed %-escape; encode each id with encodeURIComponent' };
    return NextResponse.json({ error }, { status: 400 });
  }
  // API routes answer 401 themselves.
  if (pathname === '/api' || pathname.startsWith('/api/')) return NextResponse.next();
  if (isPublicPath(pathname)) return NextResponse.next();
  if (!getSessionCookie(request)) {
    const login = new URL('/login', request.url);
    if (pathname !== '/') login.searchParams.set('next', `${pathname}${search}`);
    return NextResponse.redirect(login);
  }
  const forwarded = new Headers(request.headers);
  forwarded.set('x-dripline-path', `${pathname}${search}`);
  return NextResponse.next({ request: { headers: forwarded } });
}

export const config = {
  // Next's assets are public; API routes pass through (after the path check) and do their own 401.
  // POST /api/imports is left out too: a proxy makes Next buffer the request body, and an upload must stream to its file.
  // So is POST /api/v1/events, the busiest route (its fixed path has no %-escape to check): the proxy would copy and buffer every request.
  matcher: ['/((?!_next/|api/imports$|api/v1/events$).*)'],
};
