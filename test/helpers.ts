import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { workflowCode } from '../worker/workflow-bundle';
import { type AppUser, createAuth, migrateAuth } from '../server/auth';
import { readConfig, type Config } from '../server/config';
import { insertFlowVersion, saveFlowDraft } from '../server/db/flows';
import { listRunAttempts } from '../server/db/runs';
import type { StoredSmtpProfile } from '../server/db/smtp-profiles';
import { openDatabase, type Db } from '../server/db';
import { seed } from '../server/seed';
import { parseAllowedTarget } from '../server/smtp/allow-list';
import type { OutboundPolicy } from '../server/smtp/outbound';
import { compile } from '../domain/flow/compile';
import type { FlowGraph } from '../domain/flow/schema';
import type { Plan } from '../domain/flow/plan';
import { SmtpProfileInput } from '../domain/smtp-profile';
import proto from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../workflows/contracts';

/** Waits this long (for polling loops and for a server to notice a closed connection; never to wait out a limit). */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` every `everyMs` until it answers something other than undefined or false, and returns
 * that; after `timeoutMs` fails naming what it waited for (and, with `seen`, what was seen by then).
 */
export async function eventually<T>(
  what: string,
  check: () => T | Promise<T>,
  { timeoutMs = 60_000, everyMs = 250, seen }: { timeoutMs?: number; everyMs?: number; seen?: () => string } = {},
): Promise<Exclude<T, undefined | false>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as Exclude<T, undefined | false>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${seen ? `\n${seen()}` : ''}`);
    await sleep(everyMs);
  }
}

/** Whether something listens on this port of 127.0.0.1. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A new empty folder under the system's temporary folder, its name starting `dripline-<what>-`. */
export const tempDir = (what: string) => fs.mkdtempSync(path.join(os.tmpdir(), `dripline-${what}-`));

/** A profile for a local test server, which speaks plain SMTP: logging in without TLS is allowed on it. */
export function profileInput(fields: Partial<SmtpProfileInput> = {}): SmtpProfileInput {
  return SmtpProfileInput.parse({
    name: 'Test server',
    host: '127.0.0.1',
    port: 2525,
    fromEmail: 'news@example.test',
    allowPlainAuth: true,
    ...fields,
  });
}

/**
 * A plain SMTP server (no STARTTLS, no login needed) on a free port of 127.0.0.1, behaving as `options`
 * say (smtp-server's onData, onRcptTo, onAuth…): for tests that script a server's replies.
 */
export async function localSmtpServer(options: SMTPServerOptions): Promise<{ server: SMTPServer; port: number; close: () => Promise<void> }> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 200,
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return { server, port: (server.server.address() as AddressInfo).port, close };
}

/** Tests' SMTP servers listen on 127.0.0.1, which the outbound guard refuses unless allowed, as here. */
export const localSmtpPolicy: OutboundPolicy = { allowed: [parseAllowedTarget('127.0.0.1:*')] };

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const workflowsPath = path.join(root, 'workflows', 'index.ts');
/**
 * What a test's Worker.create takes for the workflows: the bundle built once for the run
 * (test/workflow-bundle-setup.ts), or the sources when it is missing (a file run outside vitest's setup).
 */
export const workflowOptions = () => workflowCode().options;
/**
 * DRIPLINE_SECRET_KEY of the campaign tests' installs: histories they record (DRIPLINE_RECORD_HISTORY=1)
 * have encrypted payloads, and test/replay.test.ts decrypts them with this key.
 */
export const testSecretKey = '07'.repeat(32);
/** The worker's failure converter, by path (worker/main.ts passes the same file). */
export const failureConverterPath = path.join(root, 'workflows', 'failure-converter.cjs');

/** A tool from scripts/ensure-tools.sh (installed into the cache on first use). */
export function toolPath(tool: 'temporal' | 'test-server'): string {
  return execFileSync('bash', [path.join(root, 'scripts', 'ensure-tools.sh'), tool], { encoding: 'utf8' }).trim();
}

/** Temporal's Java test server, with time skipping (loaded only by the tests that use it). */
export async function timeSkippingTemporal() {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: toolPath('test-server') } } });
  // Retry and journey workflows set Dripline's search attributes: registered here as the dev servers register them.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      SEARCH_ATTRIBUTES.map((name) => [name, proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
    ),
  });
  return env;
}

/**
 * A fresh data folder with a migrated, seeded database: SQLite in that folder, or with a DATABASE_URL in
 * `env` (test/databases.ts makes fresh ones) a PostgreSQL database.
 */
export async function tempInstall(env: Record<string, string> = {}): Promise<{ config: Config; db: Db; dir: string }> {
  const dir = tempDir('test');
  const config = readConfig({ DRIPLINE_DATA_DIR: dir, ...env });
  const db = await openDatabase(config.database, { poolSize: config.DATABASE_POOL_SIZE });
  await seed(db, config);
  return { config, db, dir };
}

/**
 * better-auth's tables in a temporary install, with one user per key (`<key>@x.test`, password
 * long-password-1) in the role given; returns the auth API and the users by key.
 */
export async function installUsers<K extends string>(install: { config: Config; db: Db }, roles: readonly (readonly [K, 'admin' | 'agent'])[]) {
  await migrateAuth(install.db, install.config);
  const auth = createAuth(install.db, install.config);
  const users = {} as Record<K, AppUser>;
  for (const [key, role] of roles) {
    const { user } = await auth.api.createUser({ body: { email: `${key}@x.test`, password: 'long-password-1', name: key, role } });
    users[key] = { id: user.id, email: user.email, name: user.name, role };
  }
  return { auth, users };
}

/** A fresh install with these users signed up: for tests that keep the database and users for the whole file. */
export async function installWithUsers<K extends string>(roles: readonly (readonly [K, 'admin' | 'agent'])[], env: Record<string, string> = {}) {
  const install = await tempInstall(env);
  return { ...install, users: (await installUsers(install, roles)).users };
}

/** A stored profile for a TransportPool of its own (no database): a plain server on 127.0.0.1, no login. */
export function poolProfile(fields: Partial<StoredSmtpProfile> & { port: number }): StoredSmtpProfile {
  return {
    id: `p-${fields.port}`,
    updatedAt: 'v1',
    host: '127.0.0.1',
    secure: false,
    requireTls: false,
    username: '',
    allowPlainAuth: false,
    maxConnections: 1,
    passwordEnc: '',
    ...fields,
  } as StoredSmtpProfile;
}

/** Publishes a graph as a new flow; returns its plan (version 1). */
export async function publishForTest(db: Db, flowId: string, graph: FlowGraph): Promise<Plan> {
  await saveFlowDraft(db, { id: flowId, name: flowId, graph });
  const compiled = compile(graph, { flowId, version: 1 });
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  const version = await insertFlowVersion(db, flowId, compiled.graph, (v) => ({ ...compiled.plan, version: v }));
  return { ...compiled.plan, version };
}

/** Every delivery attempt of a run, oldest first. */
export async function attemptsOf(db: Db, runId: string) {
  return (await listRunAttempts(db, runId, { offset: 0, limit: 10_000 })).items.reverse();
}

/** A flow of Trigger → Send Email → Exit with the given sender. */
export function sendGraph(profileId: string, subject = 'Hello {{name}}', text = 'Hi {{name}}'): FlowGraph {
  return {
    schemaVersion: 1,
    nodes: [
      { id: 't', type: 'trigger', position: { x: 0, y: 0 }, data: { source: 'audience' } },
      { id: 's', type: 'sendEmail', position: { x: 0, y: 100 }, data: { profileId, subject, text } },
      { id: 'x', type: 'exit', position: { x: 0, y: 200 }, data: {} },
    ],
    edges: [
      { id: 'e1', source: 't', target: 's' },
      { id: 'e2', source: 's', target: 'x' },
    ],
  };
}

export function graphWithDelay(delay: FlowGraph['nodes'][number]['data'], profileId = 'sandbox'): FlowGraph {
  return {
    schemaVersion: 1,
    nodes: [
      { id: 'start', type: 'trigger', position: { x: 0, y: 0 }, data: { source: 'audience' } },
      { id: 'wait', type: 'delay', position: { x: 0, y: 100 }, data: delay as never },
      { id: 'send', type: 'sendEmail', position: { x: 0, y: 200 }, data: { profileId, subject: 'Hi {{name}}', text: 'Hello {{name}}' } },
      { id: 'end', type: 'exit', position: { x: 0, y: 300 }, data: {} },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'wait' },
      { id: 'e2', source: 'wait', target: 'send' },
      { id: 'e3', source: 'send', target: 'end' },
    ],
  };
}

/**
 * A history as `temporal workflow show --output json` prints it, followed by every payload's base64
 * `data` (and `encoding`) decoded, so a search covers what Temporal stores; and how many were decoded.
 */
export function withDecodedPayloads(printed: string): { text: string; payloads: number } {
  const decoded: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(walk);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const [key, v] of Object.entries(value)) {
      if (typeof v === 'string' && (key === 'data' || key === 'encoding')) decoded.push(Buffer.from(v, 'base64').toString('utf8'));
      else walk(v);
    }
  };
  walk(JSON.parse(printed));
  return { text: [printed, ...decoded].join('\n'), payloads: decoded.length };
}
