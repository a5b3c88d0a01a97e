/**
 * SMTP profiles as users see them: who may read and use which, write-only passwords, defaults for agents.
 */
import nodemailer from 'nodemailer';
import type { AppUser } from './auth';
import { decryptSecret, encryptSecret, type Keyring } from './crypto';
import { newId, type Db, type SmtpProfileRow } from './db';
import { UserError } from './errors';
import { explainSmtpError, testSmtpConnection, transportOptions } from './smtp';
import type { SmtpProfileInput } from './smtp-profile-schema';

/** The sender a Send node names when each agent's own default profile should be used. */
export const AGENT_DEFAULT = '@agent-default';

export type Actor = Pick<AppUser, 'id' | 'role'>;

type Sharing = { user_id: string; is_default: number }[];

async function sharing(db: Db, profileId: string): Promise<Sharing> {
  return db.selectFrom('smtp_profile_agents').select(['user_id', 'is_default']).where('profile_id', '=', profileId).execute();
}

const mayUse = (actor: Actor, profile: SmtpProfileRow, agents: Sharing) =>
  actor.role === 'admin' || profile.shared_with_all === 1 || profile.owner_id === actor.id || agents.some((s) => s.user_id === actor.id);

export async function canUseProfile(db: Db, actor: Actor, profile: SmtpProfileRow): Promise<boolean> {
  return mayUse(actor, profile, await sharing(db, profile.id));
}

const canManage = (actor: Actor, profile: SmtpProfileRow) => actor.role === 'admin' || (profile.owner_id !== null && profile.owner_id === actor.id);

/** What the app may show of a profile. Never the password: only whether one is stored. */
export async function profileView(db: Db, actor: Actor, p: SmtpProfileRow) {
  return toView(actor, p, await sharing(db, p.id));
}

function toView(actor: Actor, p: SmtpProfileRow, agents: Sharing) {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    host: p.host,
    port: p.port,
    secure: p.secure === 1,
    requireTls: p.require_tls === 1,
    username: p.username,
    hasPassword: p.password_enc !== '',
    fromEmail: p.from_email,
    fromName: p.from_name,
    replyTo: p.reply_to,
    ratePerSecond: p.rate_per_second,
    maxConnections: p.max_connections,
    dailyCap: p.daily_cap,
    builtIn: p.owner_id === null,
    sharedWithAll: p.shared_with_all === 1,
    installDefault: p.is_default === 1,
    canManage: canManage(actor, p),
    isMyDefault: agents.some((a) => a.user_id === actor.id && a.is_default === 1),
    ...(actor.role === 'admin'
      ? { sharedWith: agents.map((a) => a.user_id), defaultFor: agents.filter((a) => a.is_default === 1).map((a) => a.user_id) }
      : {}),
  };
}
export type SmtpProfileView = ReturnType<typeof toView>;

/** The profiles the actor may use, in two queries however many there are. */
export async function listProfiles(db: Db, actor: Actor): Promise<SmtpProfileView[]> {
  const rows = await db.selectFrom('smtp_profiles').selectAll().orderBy('is_default', 'desc').orderBy('name').execute();
  const byProfile = new Map<string, Sharing>();
  for (const s of await db.selectFrom('smtp_profile_agents').selectAll().execute()) {
    byProfile.set(s.profile_id, [...(byProfile.get(s.profile_id) ?? []), s]);
  }
  return rows.flatMap((row) => {
    const agents = byProfile.get(row.id) ?? [];
    return mayUse(actor, row, agents) ? [toView(actor, row, agents)] : [];
  });
}

/** The profile, if the actor may use it: 404 when it does not exist, 403 when it is someone else's. */
export async function profileFor(db: Db, actor: Actor, id: string): Promise<SmtpProfileRow> {
  const row = await db.selectFrom('smtp_profiles').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new UserError(404, 'profile_not_found', `SMTP profile "${id}" does not exist`);
  if (!(await canUseProfile(db, actor, row))) {
    throw new UserError(403, 'profile_forbidden', `SMTP profile "${id}" is private to another user; ask an admin to share it with you`);
  }
  return row;
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
  const known = users.size
    ? (await db.selectFrom('user' as never).select('id' as never).where('id' as never, 'in', [...users] as never).execute()).map((r) => (r as { id: string }).id)
    : [];
  const unknown = [...users].filter((u) => !known.includes(u));
  if (unknown.length) throw new UserError(422, 'unknown_user', `unknown user id(s): ${unknown.join(', ')}`, { field: 'defaultFor', unknown });
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('smtp_profile_agents').where('profile_id', '=', profileId).execute();
    // One default per agent: this profile takes over from any other.
    if (defaults.size) await trx.updateTable('smtp_profile_agents').set({ is_default: 0 }).where('user_id', 'in', [...defaults]).execute();
    for (const user of users) {
      await trx.insertInto('smtp_profile_agents').values({ profile_id: profileId, user_id: user, is_default: defaults.has(user) ? 1 : 0 }).execute();
    }
  });
}

const columns = (input: SmtpProfileInput) => ({
  name: input.name,
  description: input.description,
  host: input.host,
  port: input.port,
  secure: input.secure ? 1 : 0,
  require_tls: input.requireTls ? 1 : 0,
  username: input.username,
  from_email: input.fromEmail,
  from_name: input.fromName,
  reply_to: input.replyTo,
  rate_per_second: input.ratePerSecond,
  max_connections: input.maxConnections,
  daily_cap: input.dailyCap,
});

/** Host, port and security unchanged: the only case in which a stored password may be used with the form's values. */
const sameServer = (row: SmtpProfileRow, input: SmtpProfileInput) =>
  row.host === input.host && row.port === input.port && row.secure === (input.secure ? 1 : 0) && row.require_tls === (input.requireTls ? 1 : 0);

export async function createProfile(db: Db, keyring: Keyring, actor: Actor, input: SmtpProfileInput & ProfileSharing) {
  const at = new Date().toISOString();
  const id = newId('smtp');
  await db
    .insertInto('smtp_profiles')
    .values({
      id,
      ...columns(input),
      password_enc: input.password ? encryptSecret(keyring, input.password) : '',
      is_default: 0,
      owner_id: actor.id,
      shared_with_all: 0,
      created_at: at,
      updated_at: at,
    })
    .execute();
  await writeSharing(db, actor, id, input);
  return { id };
}

/**
 * Updates a profile. The password is write-only: empty keeps the stored one, unless the host, port
 * or security changed, in which case it is cleared so a stored password is never sent to a new server.
 */
export async function updateProfile(db: Db, keyring: Keyring, actor: Actor, id: string, input: SmtpProfileInput & ProfileSharing) {
  const row = await profileFor(db, actor, id);
  if (!canManage(actor, row)) throw new UserError(403, 'profile_forbidden', 'only its owner or an admin may change this profile');
  const moved = !sameServer(row, input);
  const password_enc = input.password ? encryptSecret(keyring, input.password) : moved ? '' : row.password_enc;
  await db
    .updateTable('smtp_profiles')
    .set({ ...columns(input), password_enc, updated_at: new Date().toISOString() })
    .where('id', '=', id)
    .execute();
  await writeSharing(db, actor, id, input);
  return { id, passwordCleared: !input.password && moved && row.password_enc !== '' };
}

/** Refused while a published flow version sends with it, naming those flows. */
export async function deleteProfile(db: Db, actor: Actor, id: string) {
  const row = await profileFor(db, actor, id);
  if (row.owner_id === null) throw new UserError(409, 'profile_built_in', `"${row.name}" is built in and cannot be deleted`);
  if (!canManage(actor, row)) throw new UserError(403, 'profile_forbidden', 'only its owner or an admin may delete this profile');
  const versions = await db
    .selectFrom('flow_versions')
    .innerJoin('flows', 'flows.id', 'flow_versions.flow_id')
    .select(['flows.id', 'flows.name', 'flow_versions.version', 'flow_versions.plan'])
    .execute();
  const users = versions.filter((v) =>
    Object.values((JSON.parse(v.plan) as { steps: Record<string, { type: string; profileId?: string }> }).steps).some(
      (s) => s.type === 'sendEmail' && s.profileId === id,
    ),
  );
  if (users.length) {
    const names = [...new Set(users.map((u) => `"${u.name}" (v${u.version})`))].join(', ');
    throw new UserError(409, 'profile_in_use', `"${row.name}" is used by published flows: ${names}. Publish them with another sender first.`, {
      flows: users.map((u) => ({ id: u.id, name: u.name, version: u.version })),
    });
  }
  await db.deleteFrom('smtp_profiles').where('id', '=', id).execute();
}

/** The profile an agent's sends use: their own default, else the install default. */
export async function defaultProfileId(db: Db, userId: string): Promise<string | undefined> {
  const mine = await db.selectFrom('smtp_profile_agents').select('profile_id').where('user_id', '=', userId).where('is_default', '=', 1).executeTakeFirst();
  if (mine) return mine.profile_id;
  return (await db.selectFrom('smtp_profiles').select('id').where('is_default', '=', 1).executeTakeFirst())?.id;
}

/** Resolves the sender a Send node names to a profile the actor may use. */
export async function resolveSender(db: Db, actor: Actor, profileId: string): Promise<SmtpProfileRow> {
  if (profileId !== AGENT_DEFAULT) return profileFor(db, actor, profileId);
  const id = await defaultProfileId(db, actor.id);
  if (!id) throw new UserError(422, 'no_default_profile', 'you have no default SMTP profile; ask an admin to set one for you');
  return profileFor(db, actor, id);
}

/**
 * Test connection for what the form holds now. An empty password uses the stored one only when the
 * server is unchanged (the same rule as saving). Returns advice instead of throwing.
 */
export async function testConnection(db: Db, keyring: Keyring, actor: Actor, input: SmtpProfileInput, profileId?: string) {
  let password = input.password ?? '';
  if (!password && profileId) {
    const row = await profileFor(db, actor, profileId);
    if (sameServer(row, input) && row.password_enc) password = decryptSecret(keyring, row.password_enc);
  }
  const options = transportOptions(columns(input), password);
  try {
    await testSmtpConnection(options, 10_000);
    return { ok: true as const, message: `Connected to ${input.host}:${input.port}${input.username ? ` and logged in as ${input.username}` : ''}.` };
  } catch (err) {
    return { ok: false as const, message: explainSmtpError(err, input) };
  }
}

/** Sends one test message with a saved profile, straight away (not a campaign). */
export async function sendTestEmail(db: Db, keyring: Keyring, actor: Actor, profileId: string, to: string) {
  const row = await profileFor(db, actor, profileId);
  const transport = nodemailer.createTransport({
    ...transportOptions(row, row.password_enc ? decryptSecret(keyring, row.password_enc) : ''),
    pool: false,
  });
  try {
    const info = await transport.sendMail({
      from: { name: row.from_name, address: row.from_email },
      to,
      ...(row.reply_to ? { replyTo: row.reply_to } : {}),
      subject: `Dripline test email from "${row.name}"`,
      text: `This is a test email sent with the SMTP profile "${row.name}" (${row.host}:${row.port}).\n`,
    });
    return { ok: true as const, message: `Sent to ${to}: the server replied "${info.response}".` };
  } catch (err) {
    return {
      ok: false as const,
      message: explainSmtpError(err, { host: row.host, port: row.port, secure: row.secure === 1, requireTls: row.require_tls === 1 }),
    };
  } finally {
    transport.close();
  }
}
