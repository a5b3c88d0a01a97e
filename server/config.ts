/**
 * Every environment variable Dripline reads, in one place (docker-compose.yml is tested against this list).
 */
import fs from 'node:fs';
import path from 'node:path';
import proxyaddr from 'proxy-addr';
import { z } from 'zod';
import { FaultsSpec } from './sandbox-faults';
import { parseAllowList } from './smtp/allow-list';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);
/** A path to a file that exists and can be read (a certificate, a key). */
const existingFile = z
  .string()
  .min(1)
  .refine(
    (p) => {
      try {
        fs.accessSync(p, fs.constants.R_OK);
        return fs.statSync(p).isFile();
      } catch {
        return false;
      }
    },
    { message: 'no readable file at this path; give the path of a PEM file' },
  );

export const ConfigEnv = z.object({
  /** The web app's port (Next.js reads it too). */
  PORT: port(3000),
  /** Where people open the web app; sign-in cookies and origin checks use it. Default http://localhost:PORT. */
  DRIPLINE_PUBLIC_URL: z.string().url().optional(),
  /** The first admin, created on an empty install. Without a password one is generated into the data folder. */
  DRIPLINE_ADMIN_EMAIL: z.string().email().default('admin@dripline.local'),
  DRIPLINE_ADMIN_PASSWORD: z.string().min(10, 'must be at least 10 characters').optional(),
  /** Folder for the SQLite databases (the app's and the sandbox's), the generated secret key and the Temporal dev server's file. */
  DRIPLINE_DATA_DIR: z.string().min(1).default('data'),
  /**
   * The app database on a PostgreSQL server, e.g. postgres://dripline:secret@db:5432/dripline. Unset: the
   * SQLite file dripline.db in the data folder (the sandbox's mailbox stays a SQLite file there either way).
   */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/.+/, 'must be a postgres:// URL, e.g. postgres://user:password@host:5432/dripline; leave it unset for SQLite')
    .optional(),
  /** Connections to the PostgreSQL server kept open by each process (web app, worker). */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(10),
  TEMPORAL_ADDRESS: z.string().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('dripline'),
  // How to reach a secured Temporal (Temporal Cloud, a self-hosted cluster with TLS): the names the
  // temporal CLI and Temporal's SDKs read (docs.temporal.io, "Environment configuration"). The
  // connection itself is built in server/temporal/connection.ts.
  /** "true"/"1": connect with TLS (implied by a CA, a client certificate or an API key). */
  TEMPORAL_TLS: z
    .enum(['true', 'false', '1', '0', ''])
    .default('')
    .transform((s) => (s === '' ? undefined : s === 'true' || s === '1')),
  /** A PEM file: the CA that signed the server's certificate (unset: the system's CAs). */
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: existingFile.optional(),
  /** mTLS: this client's certificate and its private key, PEM files; both or neither. */
  TEMPORAL_TLS_CLIENT_CERT_PATH: existingFile.optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: existingFile.optional(),
  /** The name the server's certificate must carry, when it is not the host of TEMPORAL_ADDRESS. */
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  /** Temporal Cloud's API key (sent as "authorization: Bearer <key>"); implies TLS. */
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  /** The worker's operations endpoints (/healthz, /readyz, /metrics): port, and the address it binds (loopback unless set). */
  DRIPLINE_WORKER_HTTP_PORT: port(9464),
  DRIPLINE_WORKER_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  /** Where the worker's Temporal SDK serves its own metrics (on loopback), merged into the worker's /metrics. */
  DRIPLINE_WORKER_SDK_METRICS_PORT: port(9465),
  /** A bearer token that may read the web app's /metrics (Prometheus' "authorization"). Unset: /metrics answers 404. */
  DRIPLINE_METRICS_TOKEN: z.string().min(32, 'must be at least 32 characters; make one with: openssl rand -hex 32').optional(),
  /** "json" (one JSON object a line, for log collectors) or "text" (for people). Unset: json when NODE_ENV=production, else text. */
  DRIPLINE_LOG_FORMAT: z.enum(['json', 'text']).optional(),
  DRIPLINE_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
  /** On SIGTERM the worker stops taking tasks and lets running activities finish for at most this long. */
  DRIPLINE_SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  /** Where people open the Temporal Web UI; links on the run page point here. */
  TEMPORAL_UI_URL: z.string().url().default('http://localhost:8233'),
  /**
   * A bearer token that may decode Temporal payloads through /api/temporal-codec (the temporal CLI's
   * --codec-auth "Bearer <token>"). Unset: only signed-in admins may. The Temporal Web UI uses the
   * admin's session cookie instead.
   */
  DRIPLINE_TEMPORAL_CODEC_TOKEN: z.string().min(32, 'must be at least 32 characters; make one with: openssl rand -hex 32').optional(),
  /** Where the default "Sandbox" SMTP profile sends. */
  SANDBOX_SMTP_HOST: z.string().min(1).default('127.0.0.1'),
  SANDBOX_SMTP_PORT: port(2525),
  /** The address the sandbox SMTP server listens on. */
  SANDBOX_SMTP_BIND: z.string().min(1).default('127.0.0.1'),
  /**
   * "user:password": the only login the sandbox SMTP server accepts, and the one the Sandbox profile uses.
   * Unset: one derived from the install's secret key (the sandbox never accepts mail without a login).
   */
  SANDBOX_SMTP_LOGIN: z
    .string()
    .regex(/^[^:]+:.+$/, 'must be user:password')
    .transform((s) => ({ user: s.slice(0, s.indexOf(':')), password: s.slice(s.indexOf(':') + 1) }))
    .optional(),
  /**
   * Faults the sandbox SMTP server injects, e.g. "throttle=50/s,greylist=1,reject=5%" (README, "Sandbox
   * faults"). Unset: none, the sandbox accepts everything.
   */
  SANDBOX_FAULTS: z.string().default('').pipe(FaultsSpec),
  /** The largest message the sandbox SMTP server accepts, in MB. */
  SANDBOX_SMTP_MAX_MB: z.coerce.number().positive().max(100).default(10),
  /** How much the sandbox's mailbox keeps (pruned every minute, oldest first): the newest this many messages... */
  SANDBOX_KEEP_MESSAGES: z.coerce.number().int().min(1).default(10_000),
  /** ...none older than this many days... */
  SANDBOX_KEEP_DAYS: z.coerce.number().positive().default(7),
  /** ...and at most this many MB of messages in all. */
  SANDBOX_KEEP_MB: z.coerce.number().positive().default(500),
  /**
   * Internal SMTP relays profiles may use (server/smtp/outbound.ts refuses loopback, private, link-local and
   * other internal addresses otherwise): host names, IP addresses or CIDR ranges, each optionally with
   * :port (without one: the SMTP ports 25, 465, 587, 2525; :* every port), separated by commas, e.g.
   * "relay.corp.internal:25,10.0.0.0/8". The sandbox is always allowed.
   */
  DRIPLINE_SMTP_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((s, ctx) => {
      const { targets, errors } = parseAllowList(s);
      for (const message of errors) ctx.addIssue({ code: 'custom', message });
      return targets;
    }),
  /**
   * Internal services Webhook steps may POST to (otherwise only public addresses, as for SMTP): the same
   * form as DRIPLINE_SMTP_ALLOWED_HOSTS, but an entry without :port allows the web ports 80 and 443, e.g.
   * "hooks.corp.internal,10.0.0.5:8080".
   */
  DRIPLINE_WEBHOOK_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((s, ctx) => {
      const { targets, errors } = parseAllowList(s);
      for (const message of errors) ctx.addIssue({ code: 'custom', message });
      return targets.flatMap((t) => (t.port === undefined ? [80, 443].map((port) => ({ ...t, port })) : [t]));
    }),
  /**
   * Proxies in front of the web app whose X-Forwarded-For is believed (the client's IP decides sign-in
   * rate limits): IPs, CIDR ranges or proxy-addr's names (loopback, linklocal, uniquelocal), comma-separated.
   * Unset: none; the peer's address is the client's.
   */
  DRIPLINE_TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((s, ctx) => {
      const list = s
        .split(/[\s,]+/)
        .map((x) => x.trim())
        .filter(Boolean);
      try {
        proxyaddr.compile(list);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `${(err as Error).message}; use IPs, CIDR ranges, loopback, linklocal or uniquelocal` });
      }
      return list;
    }),
  /** better-auth's per-IP sign-in limit: 3 attempts within this many seconds (a shorter window only for tests). */
  DRIPLINE_SIGN_IN_RATE_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(10),
  /** The per-account lockout: 5 failed sign-ins within this many seconds lock the account for as long. */
  DRIPLINE_SIGN_IN_LOCKOUT_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(86_400)
    .default(15 * 60),
  /** CSV uploads one user may have waiting to be started (each is removed a day after its upload if never started). */
  DRIPLINE_PENDING_UPLOADS_PER_USER: z.coerce.number().int().min(1).max(1000).default(5),
  /** An upload is refused (507) when it would leave less than this many MB free on the data folder's disk, the ledger's room to write. */
  DRIPLINE_UPLOAD_MIN_FREE_MB: z.coerce.number().int().min(0).default(1024),
  /**
   * How long the web app waits for a request's body, in seconds; a CSV upload gets this plus a second
   * for every 64 KB it declares, so a 256 MB file is never cut by the short limit.
   */
  DRIPLINE_REQUEST_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  /** Events each API key may send: this many a second on average (server/events-limits.ts), in bursts of up to DRIPLINE_EVENTS_BURST. */
  DRIPLINE_EVENTS_PER_SECOND: z.coerce.number().positive().max(100_000).default(100),
  DRIPLINE_EVENTS_BURST: z.coerce.number().int().min(1).max(1_000_000).default(200),
  /** 64 hex characters; when unset, one is generated into the data folder (fine for a single machine). */
  DRIPLINE_SECRET_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters; make one with: openssl rand -hex 32')
    .optional(),
  /** Comma-separated keys that encrypted rows before a rotation: still used to decrypt, never to encrypt. */
  DRIPLINE_PREVIOUS_SECRET_KEYS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[0-9a-fA-F]{64}$/, 'each key must be 64 hex characters'))),
});
export type Config = z.infer<typeof ConfigEnv> & {
  /** The app database: DATABASE_URL, else databaseFile (what openDatabase takes). */
  database: string;
  databaseFile: string;
  sandboxDatabaseFile: string;
  DRIPLINE_PUBLIC_URL: string;
};

/**
 * An empty variable is an unset one (docker-compose.yml passes optional settings as `${NAME:-}`), so
 * it takes the default rather than failing its check.
 */
export function withoutEmpty(env: Record<string, string | null | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''));
}

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = ConfigEnv.safeParse(withoutEmpty(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join('\n')}`);
  }
  const { TEMPORAL_TLS_CLIENT_CERT_PATH: cert, TEMPORAL_TLS_CLIENT_KEY_PATH: key } = parsed.data;
  if ((cert === undefined) !== (key === undefined)) {
    const [set, unset] = cert
      ? ['TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH']
      : ['TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_CLIENT_CERT_PATH'];
    throw new Error(`Invalid environment:\n  ${unset}: ${set} is set without it; mTLS needs the client certificate and its key, set both or neither`);
  }
  const dataDir = path.resolve(parsed.data.DRIPLINE_DATA_DIR);
  return {
    ...parsed.data,
    DRIPLINE_DATA_DIR: dataDir,
    DRIPLINE_PUBLIC_URL: parsed.data.DRIPLINE_PUBLIC_URL ?? `http://localhost:${parsed.data.PORT}`,
    database: parsed.data.DATABASE_URL ?? path.join(dataDir, 'dripline.db'),
    databaseFile: path.join(dataDir, 'dripline.db'),
    /** The sandbox SMTP server's mailbox: a file of its own, so its writes never wait for the app database's lock. */
    sandboxDatabaseFile: path.join(dataDir, 'sandbox.db'),
  };
}

export function temporalWorkflowUrl(config: Config, workflowId: string): string {
  const base = config.TEMPORAL_UI_URL.replace(/\/$/, '');
  return `${base}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(workflowId)}`;
}
