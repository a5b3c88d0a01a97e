/**
 * What Temporal stores of ours, encrypted: every payload (workflow and activity inputs and results,
 * signal arguments, heartbeat details, failure details) goes through `PayloadEncryptionCodec` on the
 * way to the server, and failure messages and stack traces become an encoded payload too
 * (`encodeCommonAttributes`), so recipient addresses, attributes, message bodies and SMTP replies never
 * sit in clear in a history. AES-256-GCM with the install's keyring (server/secrets.ts: encrypt with
 * DRIPLINE_SECRET_KEY, decrypt with it or any of DRIPLINE_PREVIOUS_SECRET_KEYS), the key's id in the
 * payload metadata. The AES key is the install key's temporal-payload key (HKDF, `purposeKey` in
 * server/crypto.ts), marked `encryption-key-version: v2`; payloads of the first version (the install
 * key itself, no mark) still decrypt, so histories written before keep replaying. Codecs run in the client and the worker, never in the workflow sandbox.
 *
 * A payload without the encrypted encoding passes through decode as it is: histories recorded before
 * encryption (test/histories) still replay, and runs in flight keep going after an upgrade.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  DefaultFailureConverter,
  defaultPayloadConverter,
  METADATA_ENCODING_KEY,
  type LoadedDataConverter,
  type Payload,
  type PayloadCodec,
  ValueError,
} from '@temporalio/common';
import proto from '@temporalio/proto';
import { type Keyring, purposeKey } from './crypto';

/** The payload encoding of an encrypted payload (as Temporal's samples name it). */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** The metadata key holding the id of the key that encrypted a payload (`keyIdOf` in server/crypto.ts). */
export const KEY_ID_METADATA = 'encryption-key-id';
/** The metadata key marking payloads encrypted with the derived temporal-payload key (`v2`); absent on the first version's. */
export const KEY_VERSION_METADATA = 'encryption-key-version';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const ProtoPayload = proto.temporal.api.common.v1.Payload;
const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);
/** Binds a ciphertext to its purpose and key, so a stored SMTP password can never pass for a payload. */
const aad = (version: 'v1' | 'v2', keyId: string) => Buffer.from(`dripline.temporal-payload.${version}.${keyId}`);

export class PayloadDecryptionError extends ValueError {
  override name = 'PayloadDecryptionError';
}

/** Whether a payload was written by `PayloadEncryptionCodec`. */
export function isEncrypted(payload: Payload): boolean {
  return text(payload.metadata?.[METADATA_ENCODING_KEY]) === ENCRYPTED_ENCODING;
}

export class PayloadEncryptionCodec implements PayloadCodec {
  private readonly derived = new Map<string, Buffer>();
  constructor(private readonly keyring: Keyring) {}

  private payloadKey(keyId: string, installKey: Buffer): Buffer {
    const known = this.derived.get(keyId);
    if (known) return known;
    const key = purposeKey(installKey, 'temporal-payload');
    this.derived.set(keyId, key);
    return key;
  }

  /** The whole payload (metadata included) becomes `iv ‖ ciphertext ‖ tag` under the current key. */
  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.keyring.current;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.payloadKey(id, key), iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad('v2', id));
      const plain = ProtoPayload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      const metadata = {
        [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: Buffer.from(id),
        [KEY_VERSION_METADATA]: Buffer.from('v2'),
      };
      return { metadata, data };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isEncrypted(payload) ? this.decrypt(payload) : payload));
  }

  private decrypt(payload: Payload): Payload {
    const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
    if (!keyId) throw new PayloadDecryptionError(`an encrypted payload has no "${KEY_ID_METADATA}" metadata`);
    const installKey = this.keyring.byId.get(keyId);
    if (!installKey) {
      throw new PayloadDecryptionError(
        `a payload was encrypted with key ${keyId}, which is not configured; add that key to DRIPLINE_PREVIOUS_SECRET_KEYS`,
      );
    }
    const data = Buffer.from(payload.data ?? []);
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError('an encrypted payload is too short to hold its IV and 16-byte tag');
    const version = text(payload.metadata?.[KEY_VERSION_METADATA]) === 'v2' ? 'v2' : 'v1';
    const key = version === 'v2' ? this.payloadKey(keyId, installKey) : installKey;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(version, keyId));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      const decoded = ProtoPayload.decode(plain);
      return { metadata: decoded.metadata, data: decoded.data };
    } catch {
      throw new PayloadDecryptionError(`an encrypted payload failed its integrity check with key ${keyId} (tampered, or the wrong key)`);
    }
  }
}

/**
 * Failure messages and stack traces as an encoded payload (which the codec then encrypts) instead of
 * plain text: an SMTP reply such as "550 <ada@example.test>: no such user" is an address. The worker
 * loads the same converter from workflows/failure-converter.cjs (the workflow sandbox needs it by path).
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });

/** For every Temporal client (web app, worker, scripts, tests): `new Client({ connection, dataConverter })`. */
export function clientDataConverter(keyring: Keyring): LoadedDataConverter {
  return { payloadConverter: defaultPayloadConverter, failureConverter, payloadCodecs: [new PayloadEncryptionCodec(keyring)] };
}

/** For the worker (and replay): the codec, and the failure converter by path so the workflow bundle uses it too. */
export function workerDataConverter(keyring: Keyring, failureConverterPath: string) {
  return { payloadCodecs: [new PayloadEncryptionCodec(keyring)], failureConverterPath };
}
