/**
 * SMTP profiles as users see them: who may read, use and change which, write-only passwords,
 * defaults for agents, Test connection and Send test email. SQL lives in db/smtp-profiles.ts.
 */
import { stepProfileIds } from '../domain/flow/pool';
import { AGENT_DEFAULT } from '../domain/senders';
import type { SmtpProfileInput } from '../domain/smtp-profile';
import type { AppUser } from './auth';
import { decryptSecret, encryptSecret, isCurrentSecret, type Keyring, SecretDecryptionError } from './crypto';
import { type Db, newId } from './db';
import { listPublishedPlans } from './db/flows';
import { unfinishedRunsUsing } from './db/runs';
import {
  allProfileAgents,
  defaultProfileId,
  deleteSmtpProfile,
  getSmtpProfile,
  insertSmtpProfile,
  profileAgents,
  replaceProfileAgents,
  rewriteStoredPassword,
  storedPasswords,
  updateSmtpProfile,
  listSmtpProfiles,
  type ProfileAgent,
  type StoredSmtpProfile,
} from './db/smtp-profiles';
import { existingUserIds, userDisplayNames } from './db/users';
import { resumeGuardedProfile } from './db/guard';
import { UserError } from './errors';
import { explainSmtpError, testSmtpConnection } from './smtp/advice';
import { normalHost } from './smtp/allow-list';
import type { OutboundPolicy } from './smtp/outbound';
import { certificateProblem, isCertificateError, presentedCertificate } from './smtp/tls-trust';
import { transportOptions } from './smtp/transport';

export type Actor = Pick<AppUser, 'id' | 'role'>;

const mayUse = (actor: Actor, profile: StoredSmtpProfile, agents: ProfileAgent[]) =>
  actor.role === 'admin' || profile.sharedWithAll || profile.ownerId === actor.id || agents.some((s) => s.userId === actor.id);

/** Admins and the profile's owner: who may change it, and see its user name. */
export const canManage = (actor: Actor, profile: StoredSmtpProfile) =>
  actor.role === 'admin' || (profile.ownerId !== null && profile.ownerId === actor.id);

/**
 * What the app may show of a profile: never the password, only whether one is stored; the user name
 * (for Postmark, the secret token) only to those who manage it, empty for agents it is shared with.
 */
function toView(actor: Actor, p: StoredSmtpProfile, agents: ProfileAgent[]) {
  const { passwordEnc, ownerId: _ownerId, createdAt: _createdAt, updatedAt: _updatedAt, ...shown } = p;
  return {
    ...shown,
    username: canManage(actor, p) ? p.username : '',
    hasPassword: passwordEnc !== '',
    builtIn: p.ownerId === null,
    canManage: canManage(actor, p),
    isMyDefault: agents.some((a) => a.userId === actor.id && a.isDefault),
    ...(actor.role === 'admin'
      ? { sharedWith: agents.map((a) => a.userId), defaultFor: agents.filter((a) => a.isDefault).map((a) => a.userId) }
      : {}),
  };
}
export type SmtpProfileView = ReturnType<typeof toView>;

/** The profile as the actor may see it, with the name of whoever last resumed its sending. */
export async function profileView(db: Db, actor: Actor, p: StoredSmtpProfile): Promise<SmtpProfileView & { resumedByName: string | null }> {
  const resumedByName = p.resumedBy ? ((await userDisplayNames(db, [p.resumedBy])).get(p.resumedBy) ?? p.resumedBy) : null;
  return { ...toView(actor, p, await profileAgents(db, p.id)), resumedByName };
}

/**
 * "Resume sending" after the reputation guard paused the profile (server/sending/guard.ts): an admin's
 * decision, recorded with who and when; the guard then counts afresh. A profile paused for refused
 * settings resumes when they are fixed and saved instead.
 */
export async function resumeProfile(db: Db, actor: Actor, id: string): Promise<void> {
  const profile = await profileFor(db, actor, id);
  if (actor.role !== 'admin') throw new UserError(403, 'admin_only', 'only an admin may resume sending after the reputation guard paused a profile');
  if (profile.failingCause !== 'guard') {
    const why = profile.failingSince
      ? `"${profile.name}" is paused because the server refused its settings: fix them and save the profile, and sending resumes`
      : `"${profile.name}" is not paused: it is sending`;
    throw new UserError(409, 'not_paused_by_guard', why);
  }
  await resumeGuardedProfile(db, id, actor.id);
}

/** The profiles the actor may use, in two queries however many there are. */
export async function listProfiles(db: Db, actor: Actor): Promise<SmtpProfileView[]> {
  const [profiles, agents] = await Promise.all([listSmtpProfiles(db), allProfileAgents(db)]);
  return profiles.flatMap((p) => (mayUse(actor, p, agents.get(p.id) ?? []) ? [toView(actor, p, agents.get(p.id) ?? [])] : []));
}

/** The profile, if the actor may use it: 404 when it does not exist, 403 when it is someone else's. */
export async function profileFor(db: Db, actor: Actor, id: string): Promise<StoredSmtpProfile> {
  const profile = await getSmtpProfile(db, id);
  if (!profile || profile.deletedAt) throw new UserError(404, 'profile_not_found', `SMTP profile "${id}" does not exist`);
  if (!mayUse(actor, profile, await profileAgents(db, id))) {
    throw new UserError(403, 'profile_forbidden', `SMTP profile "${id}" is private to another user; ask an admin to share it with you`);
  }
  return profile;
}

/** Resolves the sender a Send node names (a profile id, or "agent's default") to a profile the actor may use. */
export async function resolveSender(db: Db, actor: Actor, profileId: string): Promise<StoredSmtpProfile> {
  if (profileId !== AGENT_DEFAULT) return profileFor(db, actor, profileId);
  const id = await defaultProfileId(db, actor.id);
  if (!id) throw new UserError(422, 'no_default_profile', 'you have no default SMTP profile; ask an admin to set one for you');
  return profileFor(db, actor, id);
}

export interface ProfileSharing {
  /** Agents who may use the profile. Admins only. */
  sharedWith?: string[] | undefined;
  /** Agents whose sends use this profile by default (shared with them too). Admins only. */
  defaultFor?: string[] | undefined;
}

async function writeSharing(db: Db, actor: Actor, profileId: string, s: ProfileSharing) {
  if (s.sharedWith === undefined && s.defaultFor === undefined) return;
  if (actor.role !== 'admin') throw new UserError(403, 'admin_only', 'only admins share profiles and set defaults for agents');
  const defaults = new Set(s.defaultFor ?? []);
  const users = new Set([...(s.sharedWith ?? []), ...defaults]);
  const known = await existingUserIds(db, [...users]);
  const unknown = [...users].filter((u) => !known.has(u));
  if (unknown.length) throw new UserError(422, 'unknown_user', `unknown user id(s): ${unknown.join(', ')}`, { field: 'defaultFor', unknown });
  await replaceProfileAgents(db, profileId, users, defaults);
}

/** Host, port and security unchanged: the only case in which a stored password may be used with the form's values. */
const sameServer = (p: StoredSmtpProfile, input: SmtpProfileInput) =>
  p.host === input.host &&
  p.port === input.port &&
  p.secure === input.secure &&
  p.requireTls === input.requireTls &&
  p.allowPlainAuth === input.allowPlainAuth;

const sameHost = (p: StoredSmtpProfile | undefined, input: SmtpProfileInput) => p !== undefined && p.host === input.host && p.port === input.port;

/** Logging in without TLS is an admin's decision: others may keep what an admin set for this server, never turn it on. */
function checkPlainAuth(actor: Actor, input: SmtpProfileInput, stored?: StoredSmtpProfile) {
  if (actor.role === 'admin' || !input.allowPlainAuth || (stored?.allowPlainAuth && sameHost(stored, input))) return;
  throw new UserError(403, 'admin_only', 'allowPlainAuth: only an admin may allow logging in without TLS; turn it off, or ask an admin', {
    field: 'allowPlainAuth',
  });
}

const TRUST_FIELDS = { tlsCa: 'CA certificate', tlsPin: 'pinned fingerprint' } as const;

/**
 * Trusting a server's certificate is an admin's decision: others may keep (or clear) what an admin set
 * for this server, never set or change it. A CA must be a certificate Node can read.
 */
function checkTrust(actor: Actor, input: SmtpProfileInput, stored?: StoredSmtpProfile) {
  for (const field of ['tlsCa', 'tlsPin'] as const) {
    const kept = stored?.[field] === input[field] && sameHost(stored, input);
    if (actor.role !== 'admin' && input[field] !== '' && !kept) {
      throw new UserError(
        403,
        'admin_only',
        `${field}: only an admin may set the TLS trust (${TRUST_FIELDS[field]}) of a profile; leave it empty, or ask an admin`,
        { field },
      );
    }
  }
  const problem = input.tlsCa ? certificateProblem(input.tlsCa) : undefined;
  if (problem) {
    throw new UserError(422, 'invalid_certificate', `tlsCa: this CA certificate cannot be used: ${problem}`, { field: 'tlsCa' });
  }
}

/** The bundled sandbox SMTP server as this install reaches it, and the one login it takes (secrets.ts). */
export interface SandboxServer {
  host: string;
  port: number;
  login: { user: string; password: string };
}

/**
 * A profile aimed at the bundled sandbox (its preset) with no user logs in with the sandbox's own login,
 * as the built-in Sandbox profile does: the sandbox takes mail with nothing else, and it offers no TLS
 * (it is on this machine or the compose network), so that login may go without it. A user typed in is
 * used as typed, and refused unless it is the sandbox's.
 */
function forSandbox<T extends SmtpProfileInput>(input: T, sandbox: SandboxServer | undefined): T {
  if (!sandbox || input.username !== '' || normalHost(input.host) !== normalHost(sandbox.host) || input.port !== sandbox.port) return input;
  return { ...input, username: sandbox.login.user, password: sandbox.login.password, allowPlainAuth: true };
}

export async function createProfile(db: Db, keyring: Keyring, actor: Actor, form: SmtpProfileInput & ProfileSharing, sandbox?: SandboxServer) {
  checkPlainAuth(actor, form);
  checkTrust(actor, form);
  const input = forSandbox(form, sandbox);
  const id = newId('smtp');
  await insertSmtpProfile(db, input, { id, passwordEnc: input.password ? encryptSecret(keyring, input.password, id) : '', ownerId: actor.id });
  await writeSharing(db, actor, id, input);
  return { id };
}

/**
 * Updates a profile. The password is write-only: empty keeps the stored one, unless the host, port
 * or security changed, in which case it is cleared so a stored password is never sent to a new server.
 */
export async function updateProfile(
  db: Db,
  keyring: Keyring,
  actor: Actor,
  id: string,
  form: SmtpProfileInput & ProfileSharing,
  sandbox?: SandboxServer,
) {
  const profile = await profileFor(db, actor, id);
  if (!canManage(actor, profile)) throw new UserError(403, 'profile_forbidden', 'only its owner or an admin may change this profile');
  checkPlainAuth(actor, form, profile);
  checkTrust(actor, form, profile);
  const input = forSandbox(form, sandbox);
  const moved = !sameServer(profile, input);
  const passwordEnc = input.password ? encryptSecret(keyring, input.password, id) : moved ? '' : profile.passwordEnc;
  await updateSmtpProfile(db, id, input, passwordEnc);
  await writeSharing(db, actor, id, input);
  return { id, passwordCleared: !input.password && moved && profile.passwordEnc !== '' };
}

/** Refused while a published flow version or an unfinished run sends with it, naming them; then soft-deleted. */
export async function deleteProfile(db: Db, actor: Actor, id: string): Promise<void> {
  const profile = await profileFor(db, actor, id);
  if (profile.ownerId === null) throw new UserError(409, 'profile_built_in', `"${profile.name}" is built in and cannot be deleted`);
  if (!canManage(actor, profile)) throw new UserError(403, 'profile_forbidden', 'only its owner or an admin may delete this profile');
  const users = (await listPublishedPlans(db)).filter((v) =>
    Object.values(v.plan.steps).some((s) => s.type === 'sendEmail' && stepProfileIds(s).includes(id)),
  );
  if (users.length) {
    const names = [...new Set(users.map((u) => `"${u.name}" (v${u.version})`))].join(', ');
    throw new UserError(409, 'profile_in_use', `"${profile.name}" is used by published flows: ${names}. Publish them with another sender first.`, {
      flows: users.map((u) => ({ id: u.flowId, name: u.name, version: u.version })),
    });
  }
  const runs = await unfinishedRunsUsing(db, id);
  if (runs.length) {
    const names = runs.map((r) => `"${r.flowName}" v${r.version} (run ${r.id}, ${r.status})`).join(', ');
    throw new UserError(
      409,
      'profile_in_use',
      `"${profile.name}" is sending for runs that have not finished: ${names}. Let them finish, or cancel them first.`,
      {
        runs: runs.map((r) => ({ id: r.id, flowName: r.flowName, version: r.version, status: r.status })),
      },
    );
  }
  await deleteSmtpProfile(db, id);
}

const password = (keyring: Keyring, p: StoredSmtpProfile) => (p.passwordEnc ? decryptSecret(keyring, p.passwordEnc, p.id) : '');

/**
 * Test connection for what the form holds now, as a send would go: the same options, login and
 * certificate checks, then MAIL FROM (and RSET) with the profile's address. An empty password uses the
 * stored one only when the server is unchanged (the same rule as saving). Returns advice instead of
 * throwing; a refused certificate is shown (fingerprint, subject, issuer) so an admin can decide to trust it.
 */
export async function testConnection(
  db: Db,
  keyring: Keyring,
  policy: OutboundPolicy,
  actor: Actor,
  form: SmtpProfileInput,
  profileId?: string,
  sandbox?: SandboxServer,
) {
  const stored = profileId ? await profileFor(db, actor, profileId) : undefined;
  checkPlainAuth(actor, form, stored);
  checkTrust(actor, form, stored);
  const input = forSandbox(form, sandbox);
  let pass = input.password ?? '';
  if (!pass && stored && sameServer(stored, input)) pass = password(keyring, stored);
  try {
    const { loggedIn } = await testSmtpConnection(transportOptions(input, pass, policy), 10_000, input.fromEmail);
    const login = loggedIn ? ` and logged in as ${input.username}` : input.username ? ' (it offers no login, so User and Password go unused)' : '';
    return { ok: true as const, message: `Connected to ${input.host}:${input.port}${login}; the server takes mail from ${input.fromEmail}.` };
  } catch (err) {
    const presented = isCertificateError(err) ? await presentedCertificate(policy, input, 5_000).catch(() => undefined) : undefined;
    const certificate = presented && { fingerprint256: presented.fingerprint256, subject: presented.subject, issuer: presented.issuer };
    return { ok: false as const, ...explainSmtpError(err, input, presented), ...(certificate ? { certificate } : {}) };
  }
}

/**
 * Rewrites stored SMTP passwords that are not in the current format under the current key (the first
 * format, or a key rotated away from) as the current one, bound to their profile. Run at start
 * (server/setup.ts). A row no configured key opens is left as it is: its profile says so when used.
 */
export async function upgradeStoredPasswords(db: Db, keyring: Keyring): Promise<{ upgraded: number; unreadable: string[] }> {
  let upgraded = 0;
  const unreadable: string[] = [];
  for (const { id, passwordEnc } of await storedPasswords(db)) {
    if (isCurrentSecret(keyring, passwordEnc)) continue;
    let plain: string;
    try {
      plain = decryptSecret(keyring, passwordEnc, id);
    } catch (err) {
      if (!(err instanceof SecretDecryptionError)) throw err;
      unreadable.push(id);
      continue;
    }
    await rewriteStoredPassword(db, id, passwordEnc, encryptSecret(keyring, plain, id));
    upgraded++;
  }
  return { upgraded, unreadable };
}
