import 'server-only';
/**
 * Who is signed in. better-auth keeps sessions in the app database; pages, route handlers and the
 * nav ask here. Pages redirect to /login; route handlers answer 401/403 JSON through apiRoute.
 */
import { nextCookies } from 'better-auth/next-js';
import { forbidden, redirect } from 'next/navigation';
import { headers } from 'next/headers';
import { cache } from 'react';
import { createAuth, type AppUser, type Role } from '@server/auth';
import { CONTROL_CHARACTERS } from '@domain/text';
import { UserError } from '@server/errors';
import { apiRoute, getConfig, getDb } from '@/lib/server';

function makeAuth(db: Awaited<ReturnType<typeof getDb>>) {
  // nextCookies must be the last plugin: it copies better-auth's Set-Cookie onto Next's response.
  return createAuth(db, getConfig(), [nextCookies()]);
}
export type WebAuth = ReturnType<typeof makeAuth>;

const holder = globalThis as typeof globalThis & { __driplineAuth?: Promise<WebAuth> };

export function getAuth(): Promise<WebAuth> {
  holder.__driplineAuth ??= getDb()
    .then(makeAuth)
    .catch((err: unknown) => {
      holder.__driplineAuth = undefined;
      throw err;
    });
  return holder.__driplineAuth;
}

/** better-auth's admin plugin stores roles as a comma-separated list; Dripline knows two. */
export function roleOf(role: string | null | undefined): Role {
  return (role ?? '')
    .split(',')
    .map((r) => r.trim())
    .includes('admin')
    ? 'admin'
    : 'agent';
}

/** The signed-in user of this request, or null. Cached per request (layout and page share one lookup). */
export const currentUser = cache(async (): Promise<AppUser | null> => {
  const auth = await getAuth();
  const session = await auth.api.getSession({ headers: await headers() });
  if (!session) return null;
  const { id, email, name, role } = session.user;
  return { id, email, name, role: roleOf(role) };
});

/**
 * Where to come back to after signing in: a path on this site, never another origin. Browsers drop tabs
 * and line breaks from URLs and read `\` as `/`, so `/\t/evil.example` would become `//evil.example`:
 * such paths are refused, and what is kept is the path as a URL parser resolves it on this site.
 */
export function safeNext(next: unknown, fallback = '/flows'): string {
  if (typeof next !== 'string' || !next.startsWith('/') || CONTROL_CHARACTERS.test(next) || next.includes('\\')) return fallback;
  const base = 'http://dripline.invalid';
  let url: URL;
  try {
    url = new URL(next, base);
  } catch {
    return fallback;
  }
  if (url.origin !== base || next.startsWith('//')) return fallback;
  const path = `${url.pathname}${url.search}${url.hash}`;
  if (url.pathname === '/login' || url.pathname.startsWith('//')) return fallback;
  return path;
}

/** Pages: the signed-in user, or a redirect to /login that comes back here afterwards. */
export async function requireUser(): Promise<AppUser> {
  const user = await currentUser();
  if (user) return user;
  // proxy.ts passes the requested path along, so an expired session returns to the same page.
  const path = safeNext((await headers()).get('x-dripline-path'));
  redirect(`/login?next=${encodeURIComponent(path)}`);
}

/** Pages only admins may see: agents get the 403 page. */
export async function requireAdminPage(): Promise<AppUser> {
  const user = await requireUser();
  if (user.role !== 'admin') forbidden();
  return user;
}

/** Route handlers: the signed-in user, or a 401 the client can act on. */
export async function apiUser(): Promise<AppUser> {
  const user = await currentUser();
  if (!user) throw new UserError(401, 'unauthenticated', 'you are not signed in (or your session expired); sign in at /login');
  return user;
}

export async function apiAdmin(): Promise<AppUser> {
  const user = await apiUser();
  if (user.role !== 'admin') throw new UserError(403, 'admin_only', 'only admins may do this; ask an admin');
  return user;
}

/**
 * A route handler that needs a signed-in user (admins only with `{ admin: true }`). Every error,
 * including "not signed in", becomes the API's JSON error through apiRoute.
 */
export function userRoute<Ctx>(handler: (request: Request, context: Ctx, user: AppUser) => Promise<Response>, options: { admin?: boolean } = {}) {
  return apiRoute<Ctx>(async (request, context) => handler(request, context, await (options.admin ? apiAdmin() : apiUser())));
}

/** better-auth's API errors, as the UserError the API answers with (e.g. a taken email). */
export function fromAuthError(err: unknown): unknown {
  // Duck-typed: the bundled better-auth and its core package may each hold their own APIError class.
  if (!isAuthApiError(err)) return err;
  const body = (err.body ?? {}) as { code?: unknown; message?: unknown };
  const message = typeof body.message === 'string' && body.message ? body.message : err.message;
  const code = typeof body.code === 'string' ? body.code.toLowerCase() : 'auth_error';
  const status =
    err.statusCode === 401 || err.statusCode === 403 || err.statusCode === 404 || err.statusCode === 409
      ? err.statusCode
      : err.statusCode === 422
        ? 422
        : 400;
  return new UserError(status, code, message);
}

export interface UserSummary {
  id: string;
  email: string;
  name: string;
  role: Role;
  createdAt: string;
}

/** Every user, by email (admins only: better-auth checks the session's role too). */
export async function listUsers(): Promise<UserSummary[]> {
  const auth = await getAuth();
  const { users } = await auth.api.listUsers({
    headers: await headers(),
    query: { limit: 1000, sortBy: 'email', sortDirection: 'asc' },
  });
  return users.map((u) => ({
    id: u.id,
    email: u.email,
    name: u.name,
    role: roleOf(u.role),
    createdAt: new Date(u.createdAt).toISOString(),
  }));
}

/** The agents an admin can share SMTP profiles with and set defaults for. */
export async function listAgents(): Promise<Pick<UserSummary, 'id' | 'email' | 'name'>[]> {
  return (await listUsers()).filter((u) => u.role === 'agent').map(({ id, email, name }) => ({ id, email, name }));
}

function isAuthApiError(err: unknown): err is Error & { statusCode: number; body?: unknown } {
  return err instanceof Error && err.name === 'APIError' && typeof (err as { statusCode?: unknown }).statusCode === 'number';
}
