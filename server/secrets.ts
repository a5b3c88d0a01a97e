import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from './config';
import { makeKeyring, type Keyring } from './crypto';

/**
 * The install's secret key (for Message-IDs now, credentials later): DRIPLINE_SECRET_KEY (64 hex
 * characters) when set, else generated once into the data folder for the embedded default.
 */
export function loadSecretKey(config: Pick<Config, 'DRIPLINE_DATA_DIR' | 'DRIPLINE_SECRET_KEY'>): Buffer {
  if (config.DRIPLINE_SECRET_KEY) return Buffer.from(config.DRIPLINE_SECRET_KEY, 'hex');
  const dataDir = config.DRIPLINE_DATA_DIR;
  const file = path.join(dataDir, 'secret.key');
  try {
    return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex');
  } catch {
    fs.mkdirSync(dataDir, { recursive: true });
    const key = randomBytes(32);
    try {
      fs.writeFileSync(file, key.toString('hex'), { mode: 0o600, flag: 'wx' });
      console.warn(`[dripline] generated a secret key in ${file}; set DRIPLINE_SECRET_KEY in production`);
      return key;
    } catch {
      // Another process wrote it first.
      return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex');
    }
  }
}

/** The keyring for secrets at rest: DRIPLINE_SECRET_KEY encrypts; it and DRIPLINE_PREVIOUS_SECRET_KEYS decrypt. */
export function loadKeyring(config: Pick<Config, 'DRIPLINE_DATA_DIR' | 'DRIPLINE_SECRET_KEY' | 'DRIPLINE_PREVIOUS_SECRET_KEYS'>): Keyring {
  return makeKeyring(
    loadSecretKey(config),
    config.DRIPLINE_PREVIOUS_SECRET_KEYS.map((k) => Buffer.from(k, 'hex')),
  );
}
