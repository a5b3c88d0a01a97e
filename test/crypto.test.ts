import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptSecret, encryptSecret, makeKeyring, SecretDecryptionError } from '../server/crypto';

describe('secrets at rest', () => {
  const key = randomBytes(32);

  it('round-trips, with a fresh IV every time', () => {
    const ring = makeKeyring(key);
    const a = encryptSecret(ring, 'app password 123');
    const b = encryptSecret(ring, 'app password 123');
    expect(a).not.toBe(b);
    expect(a).not.toContain('app password');
    expect(decryptSecret(ring, a)).toBe('app password 123');
  });

  it('refuses a row with one flipped byte', () => {
    const ring = makeKeyring(key);
    const stored = encryptSecret(ring, 'secret');
    const parts = stored.split('.');
    const ct = Buffer.from(parts[4]!, 'base64url');
    ct[0] = ct[0]! ^ 0x01;
    parts[4] = ct.toString('base64url');
    expect(() => decryptSecret(ring, parts.join('.'))).toThrow(SecretDecryptionError);
  });

  it('still decrypts rows written before a key rotation, and writes new rows with the new key', () => {
    const old = makeKeyring(key);
    const before = encryptSecret(old, 'written with the old key');
    const rotated = makeKeyring(randomBytes(32), [key]);
    expect(decryptSecret(rotated, before)).toBe('written with the old key');
    const after = encryptSecret(rotated, 'new');
    expect(after.split('.')[1]).toBe(rotated.current.id);
    expect(() => decryptSecret(old, after)).toThrow(/not configured/);
  });
});
