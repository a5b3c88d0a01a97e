/** API keys for the events API: rows hold the key's SHA-256, never the key. */
import { now, type Db } from '.';

export interface ApiKey {
  id: string;
  name: string;
  /** The key's first characters (e.g. "dk_3f9a1c"), enough to tell keys apart, not to use one. */
  prefix: string;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const COLUMNS = ['id', 'name', 'prefix', 'createdBy', 'createdAt', 'lastUsedAt', 'revokedAt'] as const;

export async function insertApiKey(db: Db, key: { id: string; name: string; keyHash: string; prefix: string; createdBy: string }): Promise<ApiKey> {
  const row = { ...key, createdAt: now(), lastUsedAt: null, revokedAt: null };
  await db.insertInto('apiKeys').values(row).execute();
  const { keyHash: _, ...rest } = row;
  return rest;
}

/** Every key, newest first (revoked ones too, marked). */
export async function listApiKeys(db: Db): Promise<ApiKey[]> {
  return db.selectFrom('apiKeys').select(COLUMNS).orderBy('createdAt', 'desc').orderBy('id').execute();
}

/** Revokes a key for good; false when there is no such key. Revoking twice keeps the first time. */
export async function revokeApiKey(db: Db, id: string): Promise<boolean> {
  const found = await db.selectFrom('apiKeys').select('id').where('id', '=', id).executeTakeFirst();
  if (!found) return false;
  await db.updateTable('apiKeys').set({ revokedAt: now() }).where('id', '=', id).where('revokedAt', 'is', null).execute();
  return true;
}

/** How stale `lastUsedAt` may get: it is written at most this often per key, not by every request (a write each would queue behind the worker's). */
const LAST_USED_EVERY_MS = 60_000;

/** The live key with this hash, marking it used now (to the minute); undefined for an unknown or revoked key. */
export async function findLiveApiKey(db: Db, keyHash: string): Promise<ApiKey | undefined> {
  const key = await db.selectFrom('apiKeys').select(COLUMNS).where('keyHash', '=', keyHash).where('revokedAt', 'is', null).executeTakeFirst();
  if (!key) return undefined;
  const at = now();
  if (key.lastUsedAt === null || Date.parse(at) - Date.parse(key.lastUsedAt) >= LAST_USED_EVERY_MS) {
    await db.updateTable('apiKeys').set({ lastUsedAt: at }).where('id', '=', key.id).execute();
    return { ...key, lastUsedAt: at };
  }
  return key;
}

/** Every stored hash (tests check that no key is stored in the clear). */
export async function apiKeyHashes(db: Db): Promise<{ id: string; keyHash: string; prefix: string }[]> {
  return db.selectFrom('apiKeys').select(['id', 'keyHash', 'prefix']).execute();
}
