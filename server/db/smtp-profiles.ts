/** SMTP profiles and who they are shared with. Rows become SmtpProfile here, booleans included. */
import type { SmtpProfile, SmtpProfileInput } from '../../domain/smtp-profile';
import { bit, newId, now, type Db } from '.';
import type { Tables } from './tables';

/** A profile with its encrypted password, which only the server's SMTP code decrypts. */
export interface StoredSmtpProfile extends SmtpProfile {
  passwordEnc: string;
}

/** An agent a profile is shared with, and whether it is their default sender. */
export interface ProfileAgent {
  userId: string;
  isDefault: boolean;
}

function toProfile(row: Tables['smtpProfiles']): StoredSmtpProfile {
  const { secure, requireTls, allowPlainAuth, isDefault, sharedWithAll, ...rest } = row;
  return {
    ...rest,
    secure: secure === 1,
    requireTls: requireTls === 1,
    allowPlainAuth: allowPlainAuth === 1,
    installDefault: isDefault === 1,
    sharedWithAll: sharedWithAll === 1,
  };
}

/** The columns a form sets. */
function formColumns(input: SmtpProfileInput) {
  return {
    name: input.name,
    description: input.description,
    host: input.host,
    port: input.port,
    secure: bit(input.secure),
    requireTls: bit(input.requireTls),
    allowPlainAuth: bit(input.allowPlainAuth),
    tlsCa: input.tlsCa,
    tlsPin: input.tlsPin,
    username: input.username,
    fromEmail: input.fromEmail,
    fromName: input.fromName,
    replyTo: input.replyTo,
    unsubscribeMailbox: input.unsubscribeMailbox,
    ratePerSecond: input.ratePerSecond,
    maxConnections: input.maxConnections,
    dailyCap: input.dailyCap,
    perMinute: input.perMinute,
    perHour: input.perHour,
    dailyCapWindow: input.dailyCapWindow,
    timeZone: input.timeZone,
    warmupStart: input.warmupStart,
    warmupFirst: input.warmupFirst,
    warmupFactor: input.warmupFactor,
    warmupTarget: input.warmupTarget,
    warmupDays: input.warmupDays,
    uncertainPolicy: input.uncertainPolicy,
    retryForHours: input.retryForHours,
    guardWindow: input.guardWindow,
    guardBouncePercent: input.guardBouncePercent,
    guardBlockPercent: input.guardBlockPercent,
    guardThrottlePercent: input.guardThrottlePercent,
  };
}

export async function getSmtpProfile(db: Db, id: string): Promise<StoredSmtpProfile | undefined> {
  const row = await db.selectFrom('smtpProfiles').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toProfile(row);
}

export async function listSmtpProfiles(db: Db): Promise<StoredSmtpProfile[]> {
  const rows = await db.selectFrom('smtpProfiles').selectAll().where('deletedAt', 'is', null).orderBy('isDefault', 'desc').orderBy('name').execute();
  return rows.map(toProfile);
}

export async function profileAgents(db: Db, profileId: string): Promise<ProfileAgent[]> {
  const rows = await db.selectFrom('smtpProfileAgents').select(['userId', 'isDefault']).where('profileId', '=', profileId).execute();
  return rows.map((r) => ({ userId: r.userId, isDefault: r.isDefault === 1 }));
}

/** Every profile's agents, in one query. */
export async function allProfileAgents(db: Db): Promise<Map<string, ProfileAgent[]>> {
  const byProfile = new Map<string, ProfileAgent[]>();
  for (const s of await db.selectFrom('smtpProfileAgents').selectAll().execute()) {
    byProfile.set(s.profileId, [...(byProfile.get(s.profileId) ?? []), { userId: s.userId, isDefault: s.isDefault === 1 }]);
  }
  return byProfile;
}

/** Replaces who may use a profile; an agent made default here stops being default anywhere else. */
export async function replaceProfileAgents(db: Db, profileId: string, users: Iterable<string>, defaults: ReadonlySet<string>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('smtpProfileAgents').where('profileId', '=', profileId).execute();
    if (defaults.size)
      await trx
        .updateTable('smtpProfileAgents')
        .set({ isDefault: 0 })
        .where('userId', 'in', [...defaults])
        .execute();
    for (const userId of users) {
      await trx
        .insertInto('smtpProfileAgents')
        .values({ profileId, userId, isDefault: bit(defaults.has(userId)) })
        .execute();
    }
  });
}

export async function insertSmtpProfile(
  db: Db,
  input: SmtpProfileInput,
  stored: { passwordEnc: string; ownerId: string | null; id?: string },
): Promise<string> {
  const at = now();
  const { passwordEnc, ownerId, id = newId('smtp') } = stored;
  await db
    .insertInto('smtpProfiles')
    .values({ id, ...formColumns(input), passwordEnc, isDefault: 0, ownerId, sharedWithAll: bit(ownerId === null), createdAt: at, updatedAt: at })
    .execute();
  return id;
}

export async function updateSmtpProfile(db: Db, id: string, input: SmtpProfileInput, passwordEnc: string): Promise<void> {
  await db
    .updateTable('smtpProfiles')
    // Saving is how a person fixes a failing login: sending resumes with the new settings.
    .set({ ...formColumns(input), passwordEnc, updatedAt: now() })
    .where('id', '=', id)
    .execute();
  // Saving is not how the reputation guard's pause ends: an admin resumes it (resumeProfile).
  await db
    .updateTable('smtpProfiles')
    .set({ failingSince: null, failingReason: null })
    .where('id', '=', id)
    .where('failingCause', 'is', null)
    .execute();
}

/**
 * Soft delete: the profile disappears from every list and cannot be chosen or used for anything new,
 * but a send already under way (a one-off message retrying) can still load it. Its sharing goes.
 */
export async function deleteSmtpProfile(db: Db, id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('smtpProfiles').set({ deletedAt: now(), isDefault: 0 }).where('id', '=', id).execute();
    await trx.deleteFrom('smtpProfileAgents').where('profileId', '=', id).execute();
  });
}

/** The profile an agent's sends use: their own default, else the install default. */
export async function defaultProfileId(db: Db, userId: string): Promise<string | undefined> {
  const mine = await db
    .selectFrom('smtpProfileAgents')
    .select('profileId')
    .where('userId', '=', userId)
    .where('isDefault', '=', 1)
    .executeTakeFirst();
  if (mine) return mine.profileId;
  return (await db.selectFrom('smtpProfiles').select('id').where('isDefault', '=', 1).executeTakeFirst())?.id;
}

/**
 * A built-in profile shared with everyone (the sandbox): created once, and kept pointing at the
 * configured server, with its login, on every start.
 */
export async function upsertBuiltInProfile(
  db: Db,
  profile: { id: string; installDefault: boolean; passwordEnc: string } & SmtpProfileInput,
): Promise<void> {
  const at = now();
  const server = {
    host: profile.host,
    port: profile.port,
    username: profile.username,
    passwordEnc: profile.passwordEnc,
    allowPlainAuth: bit(profile.allowPlainAuth),
  };
  await db
    .insertInto('smtpProfiles')
    .values({
      id: profile.id,
      ...formColumns(profile),
      passwordEnc: profile.passwordEnc,
      isDefault: bit(profile.installDefault),
      ownerId: null,
      sharedWithAll: 1,
      createdAt: at,
      updatedAt: at,
    })
    .onConflict((oc) => oc.column('id').doUpdateSet({ ...server, updatedAt: at }))
    .execute();
}

/** The server refused the profile's login (5xx to AUTH): its sending pauses, with the reason shown, until it is saved again. */
export async function markProfileFailing(db: Db, id: string, reason: string): Promise<void> {
  await db
    .updateTable('smtpProfiles')
    .set({ failingSince: now(), failingReason: reason.slice(0, 1000), failingCause: null })
    .where('id', '=', id)
    .where('failingSince', 'is', null)
    .execute();
}

/** Every stored SMTP password (deleted profiles' too), for rewriting them in the current format (server/profiles.ts). */
export async function storedPasswords(db: Db): Promise<{ id: string; passwordEnc: string }[]> {
  return db.selectFrom('smtpProfiles').select(['id', 'passwordEnc']).where('passwordEnc', '!=', '').execute();
}

/** Replaces a stored password by the same password written anew, unless the row changed meanwhile; updatedAt stays (nothing else did). */
export async function rewriteStoredPassword(db: Db, id: string, from: string, to: string): Promise<void> {
  await db.updateTable('smtpProfiles').set({ passwordEnc: to }).where('id', '=', id).where('passwordEnc', '=', from).execute();
}
