/**
 * Secrets at rest (SMTP passwords): AES-256-GCM with a random 96-bit IV, stored as
 * `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url). The key id names the key that wrote the row,
 * so after a rotation old rows still decrypt with the old key while new rows use the new one.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface Keyring {
  /** Encrypts with this one. */
  current: { id: string; key: Buffer };
  /** Decrypts with any of these (the current key included). */
  byId: Map<string, Buffer>;
}

const TAG_BYTES = 16;

export const keyIdOf = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 8);

export function makeKeyring(current: Buffer, previous: Buffer[] = []): Keyring {
  for (const k of [current, ...previous]) if (k.length !== 32) throw new Error('encryption keys must be 32 bytes (64 hex characters)');
  const byId = new Map<string, Buffer>(previous.map((k) => [keyIdOf(k), k]));
  byId.set(keyIdOf(current), current);
  return { current: { id: keyIdOf(current), key: current }, byId };
}

export function encryptSecret(keyring: Keyring, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyring.current.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(`v1.${keyring.current.id}`));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', keyring.current.id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
}

export class SecretDecryptionError extends Error {
  override name = 'SecretDecryptionError';
}

export function decryptSecret(keyring: Keyring, stored: string): string {
  const [version, keyId, iv, tag, ciphertext] = stored.split('.');
  if (version !== 'v1' || !keyId || iv === undefined || tag === undefined || ciphertext === undefined) {
    throw new SecretDecryptionError('stored secret is not in the v1 format');
  }
  const key = keyring.byId.get(keyId);
  if (!key) throw new SecretDecryptionError(`stored secret was written with key ${keyId}, which is not configured (DRIPLINE_PREVIOUS_SECRET_KEYS)`);
  const authTag = Buffer.from(tag, 'base64url');
  // A shorter tag would make forgeries cheaper: GCM tags are 16 bytes here, always.
  if (authTag.length !== TAG_BYTES) throw new SecretDecryptionError(`stored secret has a ${authTag.length}-byte tag; it must be ${TAG_BYTES} bytes`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(`v1.${keyId}`));
    decipher.setAuthTag(authTag);
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretDecryptionError('stored secret failed its integrity check (tampered, or the wrong key)');
  }
}
