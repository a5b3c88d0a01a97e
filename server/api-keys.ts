/**
 * API keys for `POST /api/v1/events`. A key is 32 random bytes (256 bits), shown once when made;
 * the database keeps only its SHA-256. A fast hash is enough here, unlike for passwords: nobody can
 * guess a 256-bit random value, so slowing each guess (bcrypt, argon2) would protect nothing, while
 * it would cost every event request tens of milliseconds. An unsalted hash also lets a request find
 * its key with one indexed lookup.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './db';
import { newId } from './db';
import { type ApiKey, insertApiKey, findLiveApiKey } from './db/api-keys';
import { UserError } from './errors';

/** Every key starts so, which lets secret scanners (and people) recognise one. */
export const API_KEY_PREFIX = 'dk_';

export const hashApiKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

/** Makes a key: the row (without the key) and the key itself, which is never stored and never shown again. */
export async function createApiKey(db: Db, name: string, createdBy: string): Promise<{ apiKey: ApiKey; key: string }> {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const apiKey = await insertApiKey(db, { id: newId('key'), name, keyHash: hashApiKey(key), prefix: key.slice(0, 9), createdBy });
  return { apiKey, key };
}

/** The live key an `Authorization: Bearer <key>` header names; 401 naming what is wrong otherwise. */
export async function authenticateApiKey(db: Db, authorization: string | null): Promise<ApiKey> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match?.[1]) {
    throw new UserError(401, 'missing_api_key', 'send an API key as "Authorization: Bearer <key>"; admins create keys under Settings → API keys', {
      field: 'Authorization',
    });
  }
  const key = await findLiveApiKey(db, hashApiKey(match[1]));
  if (!key) throw new UserError(401, 'invalid_api_key', 'this API key is unknown or was revoked; ask an admin for a key', { field: 'Authorization' });
  return key;
}
