/**
 * SMTP passwords at rest: AES-256-GCM with a random 96-bit IV, stored as
 * `v2.<keyId>.<iv>.<tag>.<ciphertext>` (base64url). The key id names the install key that wrote the
 * row, so after a rotation old rows still decrypt with the old key while new rows use the new one.
 *
 * Each purpose has its own key, derived from the install key with HKDF-SHA256 (`purposeKey`), so a
 * key is never used for two things; and each password is bound to its profile as GCM additional data,
 * so a ciphertext copied into another profile's row does not decrypt. Rows of the first format
 * (`v1`: the install key itself, no profile) still decrypt; `upgradeStoredPasswords` in
 * server/profiles.ts rewrites them at start (`isCurrentSecret` tells which).
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

export interface Keyring {
  /** Encrypts with this one. */
  current: { id: string; key: Buffer };
  /** Decrypts with any of these (the current key included). */
  byId: Map<string, Buffer>;
}

/** What a derived key is for: each label gives a different key from the same install key. */
export type KeyPurpose = 'smtp-password' | 'temporal-payload' | 'session' | 'webhook-signing';

const TAG_BYTES = 16;

export const keyIdOf = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 8);

export function makeKeyring(current: Buffer, previous: Buffer[] = []): Keyring {
  for (const k of [current, ...previous]) if (k.length !== 32) throw new Error('encryption keys must be 32 bytes (64 hex characters)');
  const byId = new Map<string, Buffer>(previous.map((k) => [keyIdOf(k), k]));
  byId.set(keyIdOf(current), current);
  return { current: { id: keyIdOf(current), key: current }, byId };
}

/** The 32-byte key for one purpose, derived from an install key (HKDF-SHA256, info `dripline/<purpose>`). */
export const purposeKey = (installKey: Buffer, purpose: KeyPurpose): Buffer =>
  Buffer.from(hkdfSync('sha256', installKey, Buffer.alloc(0), `dripline/${purpose}`, 32));

const passwordAad = (keyId: string, profileId: string) => Buffer.from(`v2.${keyId}.smtp-password.${profileId}`);

/** Encrypts a profile's SMTP password with the current key's smtp-password key, bound to the profile's id. */
export function encryptSecret(keyring: Keyring, plaintext: string, profileId: string): string {
  const { id, key } = keyring.current;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', purposeKey(key, 'smtp-password'), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(passwordAad(id, profileId));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v2', id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
}

export class SecretDecryptionError extends Error {
  override name = 'SecretDecryptionError';
}

/** Whether a stored password is in the current format under the current key (else it is rewritten at start). */
export const isCurrentSecret = (keyring: Keyring, stored: string) => stored.startsWith(`v2.${keyring.current.id}.`);

/** Decrypts a profile's stored password: the current format (bound to `profileId`), or the first one. */
export function decryptSecret(keyring: Keyring, stored: string, profileId: string): string {
  const [version, keyId, iv, tag, ciphertext] = stored.split('.');
  if ((version !== 'v1' && version !== 'v2') || !keyId || iv === undefined || tag === undefined || ciphertext === undefined) {
    throw new SecretDecryptionError('stored secret is not in the v1 or v2 format');
  }
  const installKey = keyring.byId.get(keyId);
  if (!installKey)
    throw new SecretDecryptionError(`stored secret was written with key ${keyId}, which is not configured (DRIPLINE_PREVIOUS_SECRET_KEYS)`);
  const authTag = Buffer.from(tag, 'base64url');
  // A shorter tag would make forgeries cheaper: GCM tags are 16 bytes here, always.
  if (authTag.length !== TAG_BYTES) throw new SecretDecryptionError(`stored secret has a ${authTag.length}-byte tag; it must be ${TAG_BYTES} bytes`);
  const [key, aad] =
    version === 'v2' ? [purposeKey(installKey, 'smtp-password'), passwordAad(keyId, profileId)] : [installKey, Buffer.from(`v1.${keyId}`)];
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(authTag);
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretDecryptionError("stored secret failed its integrity check (tampered, another profile's, or the wrong key)");
  }
}
