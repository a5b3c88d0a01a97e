/**
 * The payload codec that keeps addresses, attributes and bodies out of Temporal's history in clear
 * (server/temporal-codec.ts), and the codec server protocol the Web UI and CLI use
 * (server/temporal-codec-http.ts). The whole path on a real server is test/temporal-history.test.ts
 * and test/e2e/security/temporal-history.test.ts.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { defaultPayloadConverter, type FailureConverter, type Payload } from '@temporalio/common';
import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { keyIdOf, makeKeyring } from '../server/crypto';
import { UserError } from '../server/errors';
import {
  clientDataConverter,
  ENCRYPTED_ENCODING,
  failureConverter,
  isEncrypted,
  KEY_ID_METADATA,
  KEY_VERSION_METADATA,
  PayloadDecryptionError,
  PayloadEncryptionCodec,
} from '../server/temporal-codec';
import { codecCorsHeaders, codecOrigins, codecTokenMatches, runCodec } from '../server/temporal-codec-http';
import { failureConverterPath } from './helpers';

const keyA = Buffer.alloc(32, 1);
const keyB = Buffer.alloc(32, 2);
const secretInput = { to: 'ada.lovelace@example.test', name: 'Ada Lovelace', text: 'Your analytical engine is ready' };
const plain = (): Payload => defaultPayloadConverter.toPayload(secretInput);
const str = (p: Payload) => `${Buffer.from(p.data ?? []).toString('latin1')}${JSON.stringify(p.metadata)}`;
const meta = (p: Payload, key: string) => Buffer.from(p.metadata?.[key] ?? []).toString();

describe('PayloadEncryptionCodec', () => {
  it('encrypts the whole payload under the current key, its id in the metadata, and decrypts it back', async () => {
    const codec = new PayloadEncryptionCodec(makeKeyring(keyA));
    const [encoded] = await codec.encode([plain()]);
    if (!encoded) throw new Error('nothing encoded');
    expect(meta(encoded, 'encoding')).toBe(ENCRYPTED_ENCODING);
    expect(meta(encoded, KEY_ID_METADATA)).toBe(keyIdOf(keyA));
    expect(isEncrypted(encoded)).toBe(true);
    // Neither the value nor its original encoding is readable.
    for (const clear of ['ada.lovelace', 'Ada Lovelace', 'analytical', 'json/plain']) expect(str(encoded)).not.toContain(clear);
    const [decoded] = await codec.decode([encoded]);
    expect(defaultPayloadConverter.fromPayload(decoded as Payload)).toEqual(secretInput);
    expect(meta(decoded as Payload, 'encoding')).toBe('json/plain');
  });

  it("encrypts with the install key's temporal-payload key (v2), and still decrypts payloads of the first version", async () => {
    const codec = new PayloadEncryptionCodec(makeKeyring(keyA));
    const [encoded] = await codec.encode([plain()]);
    expect(meta(encoded as Payload, KEY_VERSION_METADATA)).toBe('v2');
    // Without its mark it is read as the first version (the install key itself), which it is not.
    const { [KEY_VERSION_METADATA]: _, ...unmarked } = encoded?.metadata ?? {};
    await expect(codec.decode([{ ...encoded, metadata: unmarked }])).rejects.toThrow(PayloadDecryptionError);
    // A payload as the first version wrote it: the install key, its own additional data, no mark.
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', keyA, iv, { authTagLength: 16 });
    cipher.setAAD(Buffer.from(`dripline.temporal-payload.v1.${keyIdOf(keyA)}`));
    const body = proto.temporal.api.common.v1.Payload.encode(plain()).finish();
    const v1: Payload = {
      metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(keyIdOf(keyA)) },
      data: Buffer.concat([iv, cipher.update(body), cipher.final(), cipher.getAuthTag()]),
    };
    const [decoded] = await codec.decode([v1]);
    expect(defaultPayloadConverter.fromPayload(decoded as Payload)).toEqual(secretInput);
  });

  it('uses a fresh IV each time: the same value never encrypts to the same bytes', async () => {
    const codec = new PayloadEncryptionCodec(makeKeyring(keyA));
    const [a, b] = await codec.encode([plain(), plain()]);
    expect(Buffer.from(a?.data ?? []).equals(Buffer.from(b?.data ?? []))).toBe(false);
  });

  it('after a rotation, decrypts with the previous key and encrypts with the new one', async () => {
    const [old] = await new PayloadEncryptionCodec(makeKeyring(keyA)).encode([plain()]);
    const rotated = new PayloadEncryptionCodec(makeKeyring(keyB, [keyA]));
    const [decoded] = await rotated.decode([old as Payload]);
    expect(defaultPayloadConverter.fromPayload(decoded as Payload)).toEqual(secretInput);
    const [fresh] = await rotated.encode([plain()]);
    expect(meta(fresh as Payload, KEY_ID_METADATA)).toBe(keyIdOf(keyB));
    // A key that is no longer configured is named, with the fix.
    await expect(new PayloadEncryptionCodec(makeKeyring(keyB)).decode([old as Payload])).rejects.toThrow(
      new RegExp(`key ${keyIdOf(keyA)}.*DRIPLINE_PREVIOUS_SECRET_KEYS`),
    );
  });

  it('refuses a tampered payload, a shortened tag and a payload without a key id', async () => {
    const codec = new PayloadEncryptionCodec(makeKeyring(keyA));
    const [encoded] = await codec.encode([plain()]);
    const data = Buffer.from(encoded?.data ?? []);
    const flipped = Buffer.from(data);
    flipped[20] = (flipped[20] ?? 0) ^ 1;
    await expect(codec.decode([{ ...encoded, data: flipped }])).rejects.toThrow(PayloadDecryptionError);
    // A 4-byte tag (the last 12 bytes of the 16 cut off) must not pass.
    await expect(codec.decode([{ ...encoded, data: data.subarray(0, data.length - 12) }])).rejects.toThrow(PayloadDecryptionError);
    await expect(codec.decode([{ metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING) }, data }])).rejects.toThrow(/no "encryption-key-id"/);
    // A password ciphertext's key and AAD differ from a payload's: an SMTP password blob is no payload.
    await expect(codec.decode([{ ...encoded, data: Buffer.alloc(40, 9) }])).rejects.toThrow(/integrity check/);
  });

  it('lets a payload recorded before encryption through decode unchanged (old histories replay)', async () => {
    const codec = new PayloadEncryptionCodec(makeKeyring(keyA));
    const before = plain();
    expect(await codec.decode([before])).toEqual([before]);
  });
});

describe('failure messages', () => {
  const check = (converter: FailureConverter) => {
    const failure = converter.errorToFailure(new Error('550 5.1.1 <ada.lovelace@example.test>: no such user'), defaultPayloadConverter);
    expect(failure.message).toBe('Encoded failure');
    expect(failure.stackTrace).toBe('');
    expect(JSON.stringify(failure)).not.toContain('ada.lovelace');
    // The message went into a payload, which the codec encrypts like any other.
    expect(defaultPayloadConverter.fromPayload(failure.encodedAttributes as Payload)).toMatchObject({
      message: expect.stringContaining('ada.lovelace'),
    });
    expect(converter.failureToError(failure, defaultPayloadConverter).message).toContain('<ada.lovelace@example.test>');
  };

  it('clients encode messages and stack traces into a payload', () => {
    check(clientDataConverter(makeKeyring(keyA)).failureConverter);
    check(failureConverter);
  });

  it('the worker and the workflow sandbox load the same converter by path', () => {
    const loaded = createRequire(import.meta.url)(failureConverterPath) as { failureConverter: FailureConverter };
    check(loaded.failureConverter);
  });
});

describe('codec server protocol', () => {
  const codec = new PayloadEncryptionCodec(makeKeyring(keyA));
  const json = (p: Payload) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
    data: Buffer.from(p.data ?? []).toString('base64'),
  });

  it('decodes and encodes payloads as protobuf JSON', async () => {
    const [encoded] = await codec.encode([plain()]);
    const decoded = await runCodec(codec, 'decode', { payloads: [json(encoded as Payload)] });
    expect(decoded.payloads[0]?.metadata?.encoding).toBe(Buffer.from('json/plain').toString('base64'));
    expect(JSON.parse(Buffer.from(decoded.payloads[0]?.data ?? '', 'base64').toString())).toEqual(secretInput);
    const reencoded = await runCodec(codec, 'encode', decoded);
    expect(Buffer.from(reencoded.payloads[0]?.metadata?.encoding ?? '', 'base64').toString()).toBe(ENCRYPTED_ENCODING);
  });

  it('answers a payload it cannot decrypt with a 422 that says why, and rejects malformed bodies', async () => {
    const [encoded] = await new PayloadEncryptionCodec(makeKeyring(keyB)).encode([plain()]);
    const err = await runCodec(codec, 'decode', { payloads: [json(encoded as Payload)] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err).toMatchObject({ status: 422, code: 'undecryptable_payload' });
    await expect(runCodec(codec, 'decode', { payloads: [{ data: 'not base64!' }] })).rejects.toThrow(/base64/);
    await expect(runCodec(codec, 'decode', { payloads: 'x' })).rejects.toThrow(/payloads/);
  });

  it('accepts only the configured bearer token', () => {
    const token = 'a'.repeat(40);
    expect(codecTokenMatches(`Bearer ${token}`, token)).toBe(true);
    expect(codecTokenMatches(`Bearer ${token}x`, token)).toBe(false);
    expect(codecTokenMatches(token, token)).toBe(false);
    expect(codecTokenMatches(null, token)).toBe(false);
    expect(codecTokenMatches('Bearer ', undefined)).toBe(false);
  });

  it('answers CORS for the Web UI and the app only', () => {
    const origins = codecOrigins({ TEMPORAL_UI_URL: 'http://localhost:8233/', DRIPLINE_PUBLIC_URL: 'http://localhost:3000' });
    expect(codecCorsHeaders('http://localhost:8233', origins)).toMatchObject({
      'Access-Control-Allow-Origin': 'http://localhost:8233',
      'Access-Control-Allow-Credentials': 'true',
    });
    expect(codecCorsHeaders('http://localhost:8233', origins)['Access-Control-Allow-Headers']).toMatch(/X-Namespace/);
    expect(codecCorsHeaders('https://evil.example', origins)['Access-Control-Allow-Origin']).toBeUndefined();
    expect(codecCorsHeaders(null, origins)['Access-Control-Allow-Origin']).toBeUndefined();
  });
});
