import 'server-only';
/**
 * The web app's only door to the databases (the app's, and the sandbox's with its mailbox), Temporal
 * and configuration, plus the error mapping every route handler uses. Connections are opened lazily
 * and cached on globalThis so that dev-mode reloads and concurrent requests share one of each.
 */
import type { Client } from '@temporalio/client';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { readConfig, type Config } from '@server/config';
import type { Keyring } from '@server/crypto';
import { openDatabase, openSandboxDatabase, type Db, type SandboxDb } from '@server/db';
import { UserError } from '@server/errors';
import { log as rootLog } from '@server/log';
import { registry, watchDatabase } from '@server/metrics';
import { databaseCheck, type ReadinessChecks, temporalCheck } from '@server/operations';
import { bodyLimit, describeBytes } from '@server/http-guard';
import type { SandboxServer } from '@server/profiles';
import { loadKeyring, loadSecretKey, sandboxSmtpLogin } from '@server/secrets';
import { type OutboundPolicy, smtpOutboundPolicy } from '@server/smtp/outbound';
import { clientDataConverter } from '@server/temporal-codec';
import { describeTemporal, explainConnectFailure, temporalConnectionOptions } from '@server/temporal/connection';
import type { ApiErrorBody } from '@/lib/api-types';

interface Singletons {
  config?: Config;
  db?: Promise<Db>;
  sandboxDb?: Promise<SandboxDb>;
  temporal?: Promise<Client>;
  keyring?: Keyring;
  outbound?: OutboundPolicy;
  metricsWatched?: boolean;
  readiness?: ReadinessChecks;
}

const holder = globalThis as typeof globalThis & { __driplineWeb?: Singletons };
holder.__driplineWeb ??= {};
const singletons: Singletons = holder.__driplineWeb;
const log = rootLog.child({ service: 'web' });
/** The web app's log (server/log.ts). */
export const webLog = log;

export function getConfig(): Config {
  singletons.config ??= readConfig();
  return singletons.config;
}

export function getDb(): Promise<Db> {
  if (!singletons.db) {
    singletons.db = openDatabase(getConfig().database, { poolSize: getConfig().DATABASE_POOL_SIZE }).catch((err: unknown) => {
      singletons.db = undefined; // try again on the next request
      throw err;
    });
  }
  return singletons.db;
}

/** The sandbox SMTP server's mailbox: a database of its own (data/sandbox.db), which the sandbox process writes. */
export function getSandboxDb(): Promise<SandboxDb> {
  if (!singletons.sandboxDb) {
    singletons.sandboxDb = openSandboxDatabase(getConfig().sandboxDatabaseFile).catch((err: unknown) => {
      singletons.sandboxDb = undefined; // try again on the next request
      throw err;
    });
  }
  return singletons.sandboxDb;
}

/** The keys for SMTP passwords at rest. A decrypted password is used only to talk to the SMTP server, never answered. */
export function getKeyring(): Keyring {
  singletons.keyring ??= loadKeyring(getConfig());
  return singletons.keyring;
}

/** The keys that verify unsubscribe links: the install's secret key and, after a rotation, the previous ones. */
export function getUnsubscribeSecrets(): Buffer[] {
  const config = getConfig();
  return [loadSecretKey(config), ...config.DRIPLINE_PREVIOUS_SECRET_KEYS.map((k) => Buffer.from(k, 'hex'))];
}

/** Which SMTP servers Test connection and test emails may reach (server/smtp/outbound.ts). */
export function getOutboundPolicy(): OutboundPolicy {
  singletons.outbound ??= smtpOutboundPolicy(getConfig());
  return singletons.outbound;
}

/** The bundled sandbox SMTP server as the app reaches it, and its login: a profile aimed at it logs in with that. */
export function getSandboxServer(): SandboxServer {
  const config = getConfig();
  return { host: config.SANDBOX_SMTP_HOST, port: config.SANDBOX_SMTP_PORT, login: sandboxSmtpLogin(config) };
}

/** Thrown when Temporal cannot be reached: answered with 503, since retrying later can work. */
export class TemporalUnavailableError extends Error {
  /** `explanation`: what went wrong and which setting to check (server/temporal/connection.ts), when known. */
  constructor(address: string, options?: ErrorOptions & { explanation?: string }) {
    super(options?.explanation ?? `cannot reach Temporal at ${address}; is the Temporal server running?`, options);
    this.name = 'TemporalUnavailableError';
  }
}

/** What /readyz checks: the database, and Temporal over a connection of the check's own (server/operations.ts). */
export function getReadinessChecks(): ReadinessChecks {
  singletons.readiness ??= { database: databaseCheck(getDb), temporal: temporalCheck(temporalConnectionOptions(getConfig())) };
  return singletons.readiness;
}

/** The process's metrics, with the database's gauges (server/metrics.ts), for /metrics. */
export function getMetricsRegistry(): Registry {
  if (!singletons.metricsWatched) {
    watchDatabase(registry, getDb);
    singletons.metricsWatched = true;
  }
  return registry;
}

export function getTemporal(): Promise<Client> {
  if (!singletons.temporal) {
    const config = getConfig();
    singletons.temporal = (async () => {
      const { Client, Connection } = await import('@temporalio/client');
      try {
        const connection = await Connection.connect(temporalConnectionOptions(config));
        // What it sends Temporal (workflow inputs: plans, senders) is encrypted with the install's keyring.
        return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: clientDataConverter(getKeyring()) });
      } catch (cause) {
        throw new TemporalUnavailableError(describeTemporal(config), { cause, explanation: await explainConnectFailure(config, cause) });
      }
    })().catch((err: unknown) => {
      singletons.temporal = undefined;
      throw err;
    });
  }
  return singletons.temporal;
}

// ---- route handler plumbing --------------------------------------------------------------

export function errorJson(status: number, code: string, message: string, details?: unknown): Response {
  const body: ApiErrorBody = { error: { code, message, ...(details === undefined ? {} : { details }) } };
  const retryAfter = (details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  return Response.json(body, {
    status,
    ...(typeof retryAfter === 'number' ? { headers: { 'retry-after': String(retryAfter), 'x-retry-after': String(retryAfter) } } : {}),
  });
}

function isUserError(err: unknown): err is UserError {
  return err instanceof UserError || (err instanceof Error && err.name === 'UserError' && typeof (err as { status?: unknown }).status === 'number');
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const parts = issues.slice(0, 3).map((i) => `${i.path.map(String).join('.') || 'body'}: ${i.message}`);
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
  return `invalid request: ${parts.join('; ')}${more}`;
}

/** Maps any thrown value to the JSON error the API promises. Internals never reach the client. */
export function errorResponse(err: unknown): Response {
  if (isUserError(err)) return errorJson(err.status, err.code, err.message, err.details);
  if (err instanceof z.core.$ZodError) {
    return errorJson(422, 'invalid_request', describeIssues(err.issues), err.issues);
  }
  if (err instanceof TemporalUnavailableError) {
    log.error({ err: err.cause }, err.message);
    return errorJson(503, 'temporal_unavailable', err.message);
  }
  log.error({ err }, 'unexpected error');
  return errorJson(500, 'internal_error', 'something went wrong on the server; see the server log for details');
}

/** Wraps a route handler so every error it throws becomes a JSON error response. */
export function apiRoute<Ctx>(handler: (request: Request, context: Ctx) => Promise<Response>) {
  return async (request: Request, context: Ctx): Promise<Response> => {
    try {
      return await handler(request, context);
    } catch (err) {
      return errorResponse(err);
    }
  };
}

/**
 * The body as text, counted while it streams in: past the route's limit (server/http-guard.ts) the
 * read stops with a 413, so an oversized body never sits in memory. (The front, scripts/web-server.ts,
 * refuses one by its Content-Length before any of it is read; this holds without the front too.)
 */
export async function readLimitedText(request: Request): Promise<string> {
  const pathname = new URL(request.url).pathname;
  const limit = bodyLimit(request.method, pathname);
  const tooLarge = () => new UserError(413, 'body_too_large', `the request body is over ${describeBytes(limit)}, the most ${pathname} takes`);
  if (Number(request.headers.get('content-length') ?? 0) > limit) throw tooLarge();
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads the JSON body; malformed JSON is a 400 that says what is wrong with it. */
export async function readJson(request: Request, options: { optional?: boolean } = {}): Promise<unknown> {
  const text = await readLimitedText(request);
  if (text.trim() === '') {
    if (options.optional) return undefined;
    throw new UserError(400, 'invalid_json', 'the request body is empty; send a JSON object');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new UserError(400, 'invalid_json', `the request body is not valid JSON: ${reason}`);
  }
}

/** Reads and validates the JSON body; schema violations become 422 invalid_request. */
export async function readBody<S extends z.ZodType>(request: Request, schema: S): Promise<z.output<S>> {
  return schema.parse(await readJson(request));
}
