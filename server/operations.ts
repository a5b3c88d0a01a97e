/**
 * An operator's endpoints, the same in the web app (web/app/healthz, readyz, metrics) and the worker
 * (worker/operations.ts): /healthz answers while the process runs; /readyz checks what it needs (the
 * database, Temporal; the worker also that it is not stopping) and answers 503 naming what is not
 * there; /metrics is Prometheus' text format (server/metrics.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Connection } from '@temporalio/client';
import type { Registry } from 'prom-client';
import type { Db } from './db';
import type { Logger } from './log';
import type { TemporalConnectionOptions } from './temporal/connection';
import { pingDatabase } from './db/operations';

/** A check is how long it may take, at most; a slow dependency is as good as a missing one. */
const CHECK_MS = 3_000;

/** What /readyz looks at: each check throws (with the reason) when its dependency is not there. */
export type ReadinessChecks = Record<string, () => Promise<void>>;

export function databaseCheck(db: () => Promise<Db>): () => Promise<void> {
  return async () => pingDatabase(await db());
}

/**
 * Temporal answers a request, with the process's TLS and API key (so a refused credential shows too),
 * on a connection of the check's own without the client's retries: one answer per check, and no retry
 * left waiting on a timer when the process closes its connections.
 */
export function temporalCheck(options: TemporalConnectionOptions): () => Promise<void> {
  let connection: Connection | undefined;
  return async () => {
    connection ??= Connection.lazy({ ...options, interceptors: [] });
    const c = connection;
    await c.withDeadline(Date.now() + CHECK_MS - 500, () => c.workflowService.getSystemInfo({}));
  };
}

function withTimeout(check: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_MS / 1000} s`)), CHECK_MS);
  });
  return Promise.race([check(), late]).finally(() => clearTimeout(timer));
}

const reason = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'failed';

export function healthz(): Response {
  return Response.json({ status: 'alive' }, { headers: { 'cache-control': 'no-store' } });
}

/**
 * 200 when every check passes; 503 with each failing one named, and why unless `public` (the web
 * app's, which anyone may ask: the reasons, naming addresses inside, go to `log` instead).
 */
export async function readyz(checks: ReadinessChecks, options: { public?: boolean; log?: Logger } = {}): Promise<Response> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await withTimeout(check);
        return [name, 'ok'] as const;
      } catch (err) {
        return [name, reason(err)] as const;
      }
    }),
  );
  const failing = results.filter(([, r]) => r !== 'ok');
  if (failing.length) options.log?.warn({ checks: Object.fromEntries(failing) }, 'not ready');
  const shown = options.public ? results.map(([name, r]) => [name, r === 'ok' ? r : 'failing'] as const) : results;
  const named = shown.filter(([, r]) => r !== 'ok');
  const body = {
    status: failing.length === 0 ? 'ready' : 'not ready',
    checks: Object.fromEntries(shown),
    ...(named.length ? { message: `not ready: ${named.map(([name, r]) => (options.public ? name : `${name}: ${r}`)).join('; ')}` } : {}),
  };
  return Response.json(body, { status: failing.length === 0 ? 200 : 503, headers: { 'cache-control': 'no-store' } });
}

/** The registry's metrics, then `more` (another exporter's text, e.g. the Temporal SDK's) when given. */
export async function metricsText(registry: Registry, more?: () => Promise<string>): Promise<Response> {
  const extra = more ? await more() : '';
  return new Response(`${await registry.metrics()}${extra ? `\n${extra}` : ''}`, {
    headers: { 'content-type': registry.contentType, 'cache-control': 'no-store' },
  });
}

/**
 * The web app's /metrics is for Prometheus with DRIPLINE_METRICS_TOKEN as its bearer token
 * (authorization: Bearer <token>); without the variable it is not served at all (404).
 */
export function metricsRefusal(authorization: string | null, token: string | undefined): Response | undefined {
  if (!token) return new Response('not found: set DRIPLINE_METRICS_TOKEN to serve /metrics\n', { status: 404 });
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const given = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length).trim() : undefined;
  if (given !== undefined && timingSafeEqual(digest(given), digest(token))) return undefined;
  return new Response('unauthorized: send DRIPLINE_METRICS_TOKEN as "authorization: Bearer <token>"\n', {
    status: 401,
    headers: { 'www-authenticate': 'Bearer' },
  });
}
