import { createCipheriv, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decryptSecret,
  encryptSecret,
  isCurrentSecret,
  type Keyring,
  keyIdOf,
  makeKeyring,
  purposeKey,
  SecretDecryptionError,
} from '../server/crypto';
import { getSmtpProfile, insertSmtpProfile } from '../server/db/smtp-profiles';
import { upgradeStoredPasswords } from '../server/profiles';
import { loadSecretKey } from '../server/secrets';
import { profileInput, tempInstall } from './helpers';

/** A password as the first format wrote it: the install key itself, no profile in the additional data. */
function v1Secret(installKey: Buffer, plaintext: string): string {
  const id = keyIdOf(installKey);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', installKey, iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(`v1.${id}`));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
}

describe('secrets at rest', () => {
  const key = randomBytes(32);

  it('round-trips, with a fresh IV every time', () => {
    const ring = makeKeyring(key);
    const a = encryptSecret(ring, 'app password 123', 'smtp_a');
    const b = encryptSecret(ring, 'app password 123', 'smtp_a');
    expect(a).not.toBe(b);
    expect(a).not.toContain('app password');
    expect(a).toMatch(/^v2\./);
    expect(decryptSecret(ring, a, 'smtp_a')).toBe('app password 123');
  });

  it('refuses a row with one flipped byte', () => {
    const ring = makeKeyring(key);
    const stored = encryptSecret(ring, 'secret', 'smtp_a');
    const parts = stored.split('.');
    const ct = Buffer.from(parts[4]!, 'base64url');
    ct[0] = ct[0]! ^ 0x01;
    parts[4] = ct.toString('base64url');
    expect(() => decryptSecret(ring, parts.join('.'), 'smtp_a')).toThrow(SecretDecryptionError);
  });

  it("binds a password to its profile: copied into another profile's row, it does not decrypt", () => {
    const ring = makeKeyring(key);
    const stored = encryptSecret(ring, 'secret', 'smtp_a');
    expect(() => decryptSecret(ring, stored, 'smtp_b')).toThrow(/another profile's/);
  });

  it('derives one key per purpose from the install key (HKDF), none of them the install key', () => {
    const keys = (['smtp-password', 'temporal-payload', 'session'] as const).map((p) => purposeKey(key, p));
    expect(new Set([key, ...keys].map((k) => k.toString('hex'))).size).toBe(4);
    expect(keys.every((k) => k.length === 32)).toBe(true);
    expect(purposeKey(key, 'smtp-password')).toEqual(keys[0]);
    // A password is not encrypted under the install key itself.
    const ring = makeKeyring(key);
    const [, , iv, tag, ct] = encryptSecret(ring, 'secret', 'smtp_a').split('.');
    const asV1 = ['v1', ring.current.id, iv, tag, ct].join('.');
    expect(() => decryptSecret(ring, asV1, 'smtp_a')).toThrow(SecretDecryptionError);
  });

  it('still decrypts rows written before a key rotation, and writes new rows with the new key', () => {
    const old = makeKeyring(key);
    const before = encryptSecret(old, 'written with the old key', 'smtp_a');
    const rotated = makeKeyring(randomBytes(32), [key]);
    expect(decryptSecret(rotated, before, 'smtp_a')).toBe('written with the old key');
    const after = encryptSecret(rotated, 'new', 'smtp_a');
    expect(after.split('.')[1]).toBe(rotated.current.id);
    expect(() => decryptSecret(old, after, 'smtp_a')).toThrow(/not configured/);
  });

  it('still decrypts the first format (v1), which is not current', () => {
    const ring = makeKeyring(key);
    const legacy = v1Secret(key, 'from before');
    expect(decryptSecret(ring, legacy, 'any-profile')).toBe('from before');
    expect(isCurrentSecret(ring, legacy)).toBe(false);
    expect(isCurrentSecret(ring, encryptSecret(ring, 'x', 'smtp_a'))).toBe(true);
  });
});

describe('stored SMTP passwords at start', () => {
  let install: Awaited<ReturnType<typeof tempInstall>>;
  let ring: Keyring;
  const oldKey = randomBytes(32);
  const lostKey = randomBytes(32);
  beforeAll(async () => {
    install = await tempInstall();
    // The install's own key (its seed wrote the sandbox profile's password with it), and an older one.
    ring = makeKeyring(loadSecretKey(install.config), [oldKey]);
    const rows = [
      ['smtp_legacy', v1Secret(oldKey, 'legacy-password')],
      ['smtp_rotated', encryptSecret(makeKeyring(oldKey), 'rotated-password', 'smtp_rotated')],
      ['smtp_current', encryptSecret(ring, 'current-password', 'smtp_current')],
      ['smtp_lost', v1Secret(lostKey, 'lost-password')],
    ] as const;
    for (const [id, passwordEnc] of rows) await insertSmtpProfile(install.db, profileInput({ name: id }), { id, passwordEnc, ownerId: null });
  });
  afterAll(async () => {
    await install?.db.destroy();
  });

  const stored = async (id: string) => (await getSmtpProfile(install.db, id))?.passwordEnc ?? '';

  it('are rewritten in the current format under the current key, bound to their profile; an unreadable one is named and left', async () => {
    const current = await stored('smtp_current');
    const lost = await stored('smtp_lost');
    const result = await upgradeStoredPasswords(install.db, ring);
    expect(result.unreadable).toEqual(['smtp_lost']);
    expect(result.upgraded).toBe(2);
    for (const [id, plain] of [
      ['smtp_legacy', 'legacy-password'],
      ['smtp_rotated', 'rotated-password'],
    ] as const) {
      const now = await stored(id);
      expect(isCurrentSecret(ring, now), id).toBe(true);
      expect(decryptSecret(ring, now, id)).toBe(plain);
      expect(() => decryptSecret(ring, now, 'smtp_current')).toThrow(SecretDecryptionError);
    }
    expect(await stored('smtp_current')).toBe(current);
    expect(isCurrentSecret(ring, await stored('sandbox'))).toBe(true);
    expect(await stored('smtp_lost')).toBe(lost);
    // The rotated-away key is no longer needed for them.
    const withoutOld = makeKeyring(ring.current.key);
    expect(decryptSecret(withoutOld, await stored('smtp_legacy'), 'smtp_legacy')).toBe('legacy-password');
  });

  it('are left alone once current', async () => {
    expect(await upgradeStoredPasswords(install.db, ring)).toEqual({ upgraded: 0, unreadable: ['smtp_lost'] });
  });
});
