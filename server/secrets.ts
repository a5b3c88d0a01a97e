import fs from 'node:fs';
import path from 'node:path';
import { createHmac, randomBytes } from 'node:crypto';
import type { Config } from './config';
import { makeKeyring, type Keyring } from './crypto';
import { log } from './log';

/**
 * The install's secret key (for Message-IDs now, credentials later): DRIPLINE_SECRET_KEY (64 hex
 * characters) when set, else generated once into the data folder for the embedded default.
 */
export function loadSecretKey(config: Pick<Config, 'DRIPLINE_DATA_DIR' | 'DRIPLINE_SECRET_KEY'>): Buffer {
  if (config.DRIPLINE_SECRET_KEY) return Buffer.from(config.DRIPLINE_SECRET_KEY, 'hex');
  const dataDir = config.DRIPLINE_DATA_DIR;
  const file = path.join(dataDir, 'secret.key');
  if (fs.existsSync(file)) return readKeyFile(file);
  fs.mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  try {
    fs.writeFileSync(file, key.toString('hex'), { mode: 0o600, flag: 'wx' });
    log.warn(`generated a secret key in ${file}; set DRIPLINE_SECRET_KEY in production`);
    return key;
  } catch {
    // Another process wrote it first.
    return readKeyFile(file);
  }
}

const KEY_TEXT = /^[0-9a-fA-F]{64}$/;

/** The key file holds exactly 64 hex characters (a trailing newline is fine); anything else stops the app with how to fix it. */
function readKeyFile(file: string): Buffer {
  let text = fs.readFileSync(file, 'utf8').trim();
  // A process that is writing it right now (flag wx) may not have finished: wait a moment for it.
  for (let waited = 0; text === '' && waited < 1000; waited += 50) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    text = fs.readFileSync(file, 'utf8').trim();
  }
  if (!KEY_TEXT.test(text)) {
    throw new Error(
      `${file} must hold exactly 64 hex characters (a 256-bit key), but it holds ${text.length} characters` +
        `${text === '' ? '' : ' that are not all hex'}. Make one with: openssl rand -hex 32 > ${file} ` +
        '(on an install with saved SMTP passwords, restore the original file instead: they cannot be read with another key), ' +
        'or set DRIPLINE_SECRET_KEY.',
    );
  }
  return Buffer.from(text, 'hex');
}

/** The keyring for secrets at rest: DRIPLINE_SECRET_KEY encrypts; it and DRIPLINE_PREVIOUS_SECRET_KEYS decrypt. */
export function loadKeyring(config: Pick<Config, 'DRIPLINE_DATA_DIR' | 'DRIPLINE_SECRET_KEY' | 'DRIPLINE_PREVIOUS_SECRET_KEYS'>): Keyring {
  return makeKeyring(
    loadSecretKey(config),
    config.DRIPLINE_PREVIOUS_SECRET_KEYS.map((k) => Buffer.from(k, 'hex')),
  );
}

/**
 * The one login the sandbox SMTP server accepts, which the Sandbox profile uses: SANDBOX_SMTP_LOGIN, or
 * one derived from the install's secret key, so the sandbox process and the app agree without a setting.
 */
export function sandboxSmtpLogin(config: Pick<Config, 'DRIPLINE_DATA_DIR' | 'DRIPLINE_SECRET_KEY' | 'SANDBOX_SMTP_LOGIN'>): {
  user: string;
  password: string;
} {
  if (config.SANDBOX_SMTP_LOGIN) return config.SANDBOX_SMTP_LOGIN;
  return { user: 'dripline', password: createHmac('sha256', loadSecretKey(config)).update('dripline/sandbox-smtp').digest('base64url') };
}
