/**
 * SMTP: one pooled nodemailer transport per profile per worker process, and the classifier
 * that decides what an SMTP outcome means (see ARCHITECTURE.md, "Classify every SMTP outcome").
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import type { SmtpProfileRow } from './db';

export function transportOptions(profile: SmtpProfileRow): SMTPPool.Options {
  return {
    pool: true,
    host: profile.host,
    port: profile.port,
    secure: profile.secure === 1,
    requireTLS: profile.require_tls === 1,
    ignoreTLS: profile.secure !== 1 && profile.require_tls !== 1,
    auth: profile.username ? { user: profile.username, pass: profile.password } : undefined,
    maxConnections: profile.max_connections,
    // Reconnecting every 100 messages (the default) halves throughput.
    maxMessages: 10_000,
    disableFileAccess: true,
    disableUrlAccess: true,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
  };
}

/** Pooled transports keyed by profile id; a profile edit (updated_at) replaces its pool. */
export class TransportPool {
  private readonly pools = new Map<string, { version: string; transport: Transporter<SMTPPool.SentMessageInfo> }>();

  get(profile: SmtpProfileRow): Transporter<SMTPPool.SentMessageInfo> {
    const existing = this.pools.get(profile.id);
    if (existing && existing.version === profile.updated_at) return existing.transport;
    existing?.transport.close();
    const transport = nodemailer.createTransport(transportOptions(profile));
    this.pools.set(profile.id, { version: profile.updated_at, transport });
    return transport;
  }

  close(): void {
    for (const { transport } of this.pools.values()) transport.close();
    this.pools.clear();
  }
}

export type SmtpOutcomeKind = 'transient' | 'throttled' | 'permanent' | 'configuration';

export interface SmtpOutcome {
  kind: SmtpOutcomeKind;
  code: number | null;
  /** The server's reply, or the error, as the delivery log shows it. */
  reply: string;
}

interface NodemailerError {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

/** Classifies a failed send from the error nodemailer raised. */
export function classifySmtpError(err: unknown): SmtpOutcome {
  const e = (err ?? {}) as NodemailerError;
  const code = typeof e.responseCode === 'number' ? e.responseCode : null;
  const reply = (e.response ?? e.message ?? String(err)).trim();
  if (e.code === 'EAUTH' || code === 535 || code === 530) return { kind: 'configuration', code, reply };
  if (/maximum sending rate exceeded|throttl/i.test(reply) || code === 421 || code === 454) {
    return { kind: 'throttled', code, reply };
  }
  if (code !== null && code >= 400 && code < 500) return { kind: 'transient', code, reply };
  if (code !== null && code >= 500) return { kind: 'permanent', code, reply };
  if (e.code === 'ETLS' || e.code === 'EENVELOPE' || e.code === 'ECONFIG' || e.code === 'EMESSAGE') {
    return { kind: 'permanent', code, reply };
  }
  // ECONNECTION, ETIMEDOUT, ESOCKET, EDNS and anything unknown: try again later.
  return { kind: 'transient', code, reply };
}
