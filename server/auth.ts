/**
 * Users of the app: better-auth (email + password, database sessions) on the app database, with its
 * admin plugin for the two roles: `admin` manages SMTP profiles and users, `agent` sends.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { admin } from 'better-auth/plugins';
import { createAccessControl } from 'better-auth/plugins/access';
import { adminAc, defaultStatements } from 'better-auth/plugins/admin/access';
import type { Config } from './config';
import { purposeKey } from './crypto';
import { dialectOf, type Db } from './db';
import { anyAdminExists } from './db/users';
import { authRateLimitStorage } from './rate-limits';
import { loadSecretKey } from './secrets';
import { CLIENT_IP_HEADER, signInLockoutPlugin } from './sign-in-lockout';

export type Role = 'admin' | 'agent';

/** Sign-in attempts one IP may make within DRIPLINE_SIGN_IN_RATE_WINDOW_SECONDS. */
export const SIGN_IN_ATTEMPTS_PER_WINDOW = 3;

export interface AppUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}

const ac = createAccessControl(defaultStatements);
const roles = {
  admin: ac.newRole(adminAc.statements),
  // Agents manage nothing of other users; what they may do with SMTP profiles is decided in profiles.ts.
  agent: ac.newRole({ user: [], session: [] }),
};

export function createAuth(db: Db, config: Config, plugins: Parameters<typeof betterAuth>[0]['plugins'] = []) {
  const publicUrl = new URL(config.DRIPLINE_PUBLIC_URL);
  const sibling = new URL(publicUrl);
  sibling.hostname = publicUrl.hostname === 'localhost' ? '127.0.0.1' : publicUrl.hostname === '127.0.0.1' ? 'localhost' : publicUrl.hostname;
  return betterAuth({
    // better-auth names its own columns (emailVerified, createdAt): it gets the database without our camelCase mapping.
    database: { db: db.withoutPlugins(), type: dialectOf(db) },
    // One install secret: the auth secret is its session key (HKDF), never stored twice.
    secret: purposeKey(loadSecretKey(config), 'session').toString('hex'),
    baseURL: publicUrl.origin,
    trustedOrigins: [publicUrl.origin, sibling.origin],
    emailAndPassword: { enabled: true, disableSignUp: true, minPasswordLength: 10 },
    session: { expiresIn: 60 * 60 * 24 * 7 },
    // better-auth's own limits per IP (sign-ins: 3 in 10 s unless configured), in the app database: every web instance counts together.
    rateLimit: {
      customRules: { '/sign-in/*': { window: config.DRIPLINE_SIGN_IN_RATE_WINDOW_SECONDS, max: SIGN_IN_ATTEMPTS_PER_WINDOW } },
      customStorage: authRateLimitStorage(db),
    },
    plugins: [admin({ ac, roles, defaultRole: 'agent', adminRoles: ['admin'] }), signInLockoutPlugin(db, config), ...(plugins ?? [])],
    telemetry: { enabled: false },
    advanced: {
      useSecureCookies: publicUrl.protocol === 'https:',
      // Set by the web front (scripts/web-server.ts) from the peer, or from X-Forwarded-For of a trusted proxy only.
      ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] },
    },
  });
}
export type Auth = ReturnType<typeof createAuth>;

export async function migrateAuth(db: Db, config: Config): Promise<void> {
  const { runMigrations } = await getMigrations(createAuth(db, config).options);
  await runMigrations();
}

/**
 * The embedded default's first admin: DRIPLINE_ADMIN_EMAIL / DRIPLINE_ADMIN_PASSWORD when set, else
 * admin@dripline.local with a password generated once into the data folder. Returns what to print.
 */
export async function ensureFirstAdmin(db: Db, config: Config): Promise<{ email: string; password?: string; passwordFile?: string } | undefined> {
  if (await anyAdminExists(db)) return undefined;
  const email = config.DRIPLINE_ADMIN_EMAIL;
  let password = config.DRIPLINE_ADMIN_PASSWORD;
  let passwordFile: string | undefined;
  if (!password) {
    passwordFile = path.join(config.DRIPLINE_DATA_DIR, 'admin-password.txt');
    password = randomBytes(12).toString('base64url');
    fs.writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  }
  await createAuth(db, config).api.createUser({ body: { email, password, name: 'Admin', role: 'admin' } });
  return { email, password, ...(passwordFile ? { passwordFile } : {}) };
}
