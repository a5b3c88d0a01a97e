/** Secrets at rest: the key file must be exactly a 256-bit key in hex, and a GCM tag exactly 16 bytes. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decryptSecret, encryptSecret, makeKeyring } from '../../server/crypto';
import { loadSecretKey } from '../../server/secrets';
import { tempDir } from '../helpers';

const dataDir = () => tempDir('key');

describe('the secret key file', () => {
  it.each([
    ['empty', ''],
    ['garbage', 'not a key at all'],
    ['63 hex characters', 'a'.repeat(63)],
    ['65 hex characters', 'b'.repeat(65)],
    ['64 characters that are not all hex', `${'c'.repeat(63)}z`],
  ])('refuses a %s file, naming it and how to make one', (_what, text) => {
    const dir = dataDir();
    const file = path.join(dir, 'secret.key');
    fs.writeFileSync(file, text);
    expect(() => loadSecretKey({ DRIPLINE_DATA_DIR: dir })).toThrow(file);
    expect(() => loadSecretKey({ DRIPLINE_DATA_DIR: dir })).toThrow(/exactly 64 hex characters.*openssl rand -hex 32/s);
    // The file is left as it was: a wrong key is never silently replaced.
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
  });

  it('reads a 64-hex-character file (a trailing newline is fine), and generates one when there is none', () => {
    const dir = dataDir();
    const hex = randomBytes(32).toString('hex');
    fs.writeFileSync(path.join(dir, 'secret.key'), `${hex}\n`);
    expect(loadSecretKey({ DRIPLINE_DATA_DIR: dir }).toString('hex')).toBe(hex);
    const fresh = dataDir();
    const generated = loadSecretKey({ DRIPLINE_DATA_DIR: fresh });
    expect(generated.length).toBe(32);
    expect(fs.readFileSync(path.join(fresh, 'secret.key'), 'utf8')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('AES-GCM tags', () => {
  const keyring = makeKeyring(randomBytes(32));

  it('refuses a truncated tag, even the true tag cut to 4 bytes', () => {
    const stored = encryptSecret(keyring, 'smtp-password', 'smtp_1');
    const [v, id, iv, tag = '', ct] = stored.split('.');
    for (const bytes of [4, 8, 12, 15]) {
      const short = Buffer.from(tag, 'base64url').subarray(0, bytes).toString('base64url');
      expect(() => decryptSecret(keyring, [v, id, iv, short, ct].join('.'), 'smtp_1'), `${bytes}-byte tag`).toThrow(/16 bytes/);
    }
    expect(decryptSecret(keyring, stored, 'smtp_1')).toBe('smtp-password');
  });
});
