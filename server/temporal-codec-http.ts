/**
 * Temporal's codec server protocol over HTTP, for the Temporal Web UI and the temporal CLI
 * (`--codec-endpoint`): POST <endpoint>/encode and <endpoint>/decode take and answer
 * `{ "payloads": [{ "metadata": { key: base64 }, "data": base64 }] }` (the Payloads protobuf as JSON).
 * The web app serves it at /api/temporal-codec (web/app/api/temporal-codec/[op]/route.ts), which
 * decides who may call it; this module is the protocol, the CORS answer and the token check.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import type { Config } from './config';
import { UserError } from './errors';
import { PayloadDecryptionError } from './temporal-codec';

export const CodecOp = z.enum(['encode', 'decode'], { error: 'the codec endpoint has /encode and /decode only' });
export type CodecOp = z.infer<typeof CodecOp>;

/** Protobuf JSON writes bytes as base64 (standard or URL-safe, padding optional). */
const Base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');
const JsonPayload = z.object({
  metadata: z.record(z.string(), Base64).nullish(),
  data: Base64.nullish(),
});
type JsonPayload = z.infer<typeof JsonPayload>;
export const CodecRequest = z.object({
  payloads: z.array(JsonPayload, { error: 'payloads must be a list of payloads' }).max(10_000, 'at most 10,000 payloads per request'),
});
export type CodecAnswer = { payloads: JsonPayload[] };

/** The largest request body the endpoint reads (Temporal's own limit is 2 MB per payload). */
export const CODEC_MAX_BODY_BYTES = 16 * 1024 * 1024;

function fromJson({ metadata, data }: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(data ?? '', 'base64'),
  };
}

function toJson({ metadata, data }: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
    data: Buffer.from(data ?? []).toString('base64'),
  };
}

/** Runs the codec over a request's payloads; a payload that cannot be decrypted is a 422 that says why. */
export async function runCodec(codec: PayloadCodec, op: CodecOp, body: unknown): Promise<CodecAnswer> {
  const { payloads } = CodecRequest.parse(body);
  try {
    const out = op === 'encode' ? await codec.encode(payloads.map(fromJson)) : await codec.decode(payloads.map(fromJson));
    return { payloads: out.map(toJson) };
  } catch (err) {
    if (err instanceof PayloadDecryptionError) throw new UserError(422, 'undecryptable_payload', err.message);
    throw err;
  }
}

/** Whether the Authorization header carries the configured codec token (compared in constant time). */
export function codecTokenMatches(authorization: string | null, token: string | undefined): boolean {
  if (!token || !authorization?.startsWith('Bearer ')) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(authorization.slice('Bearer '.length).trim()), digest(token));
}

/** The origins whose pages may call the endpoint with credentials: the Temporal Web UI's, and the web app's own. */
export function codecOrigins(config: Pick<Config, 'TEMPORAL_UI_URL' | 'DRIPLINE_PUBLIC_URL'>): Set<string> {
  return new Set([new URL(config.TEMPORAL_UI_URL).origin, new URL(config.DRIPLINE_PUBLIC_URL).origin]);
}

/**
 * CORS for the Web UI: its origin (never any other) may send the admin's cookie (the UI's "include
 * credentials") and the headers the UI sends. Other origins get no CORS headers, so their pages can
 * read nothing.
 */
export function codecCorsHeaders(origin: string | null, allowed: Set<string>): Record<string, string> {
  if (!origin || !allowed.has(origin)) return { Vary: 'Origin' };
  return {
    Vary: 'Origin',
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Credentials': 'true',
    'Access-Control-Allow-Methods': 'POST, OPTIONS',
    'Access-Control-Allow-Headers': 'Content-Type, X-Namespace, Authorization',
    'Access-Control-Max-Age': '600',
  };
}
