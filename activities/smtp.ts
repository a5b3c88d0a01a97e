/**
 * SMTP: one pooled nodemailer transport per profile per worker process, and the classifier
 * that decides what an SMTP outcome means (see ARCHITECTURE.md, "Classify every SMTP outcome").
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import type { SmtpProfileRow } from './db';

/** What a connection needs from a profile; the password comes decrypted, beside it. */
export type SmtpServerSettings = Pick<SmtpProfileRow, 'host' | 'port' | 'secure' | 'require_tls' | 'username' | 'max_connections'>;

export function transportOptions(profile: SmtpServerSettings, password: string): SMTPPool.Options {
  return {
    pool: true,
    host: profile.host,
    port: profile.port,
    secure: profile.secure === 1,
    requireTLS: profile.require_tls === 1,
    ignoreTLS: profile.secure !== 1 && profile.require_tls !== 1,
    auth: profile.username ? { user: profile.username, pass: password } : undefined,
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
  /** decrypt: turns the stored password_enc into the password, only when a pool is (re)made. */
  constructor(private readonly decrypt: (passwordEnc: string) => string) {}

  private readonly pools = new Map<string, { version: string; transport: Transporter<SMTPPool.SentMessageInfo> }>();

  get(profile: SmtpProfileRow): Transporter<SMTPPool.SentMessageInfo> {
    const existing = this.pools.get(profile.id);
    if (existing && existing.version === profile.updated_at) return existing.transport;
    existing?.transport.close();
    const password = profile.password_enc ? this.decrypt(profile.password_enc) : '';
    const transport = nodemailer.createTransport(transportOptions(profile, password));
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

/**
 * Turns a failed connection test (or send) into advice a person can act on: which field to change, and how.
 */
export function explainSmtpError(err: unknown, profile: { host: string; port: number; secure: boolean; requireTls: boolean }): string {
  const e = (err ?? {}) as NodemailerError & { command?: string };
  const detail = (e.response ?? e.message ?? String(err)).trim();
  const where = `${profile.host}:${profile.port}`;
  const google = /gmail|google/i.test(profile.host);
  if (e.code === 'EAUTH' || e.responseCode === 535 || e.responseCode === 534) {
    return google
      ? `Gmail refused the user or password (${detail}). Use an app password: turn on 2-Step Verification, then Google Account → Security → App passwords, and paste the 16-character password here.`
      : `The server refused the user or password (${detail}). Check User and Password. Gmail, Google Workspace and Outlook need an app password (with 2-step verification on); Amazon SES, SendGrid, Mailgun and Postmark need the SMTP credentials made in their console.`;
  }
  const tlsText = /wrong version number|ssl3_get_record|packet length too long|unknown protocol|tls|ssl|certificate/i;
  if (profile.secure && (profile.port === 587 || profile.port === 25) && (e.code === 'ETLS' || e.code === 'ESOCKET' || tlsText.test(detail))) {
    return `SSL is on, but port ${profile.port} starts in plain text and upgrades with STARTTLS (${detail}). Turn SSL off and TLS on, or use port 465 with SSL.`;
  }
  if (profile.requireTls && (e.command === 'STARTTLS' || /STARTTLS/i.test(detail))) {
    return `TLS is on, but ${where} does not offer STARTTLS (${detail}). Use the provider's TLS port (usually 587), or port 465 with SSL.`;
  }
  if (/Greeting never received/i.test(detail) || (e.code === 'ETIMEDOUT' && e.command === 'CONN' && !profile.secure && profile.port === 465)) {
    return `Connected to ${where}, but the server never said hello. Port 465 expects SSL from the first byte: turn SSL on and TLS off (or use port 587 with TLS).`;
  }
  if (e.code === 'ETLS' || tlsText.test(detail)) {
    return /certificate|self[- ]signed/i.test(detail)
      ? `The server's TLS certificate is not trusted (${detail}). Check the SMTP server name matches the provider's documented host.`
      : `The TLS handshake with ${where} failed (${detail}). Check SSL and TLS for this port: 465 is SSL, 587 is TLS (STARTTLS).`;
  }
  if (e.code === 'EDNS' || /ENOTFOUND|EAI_AGAIN/.test(detail)) {
    return `The SMTP server "${profile.host}" was not found (${detail}). Check the host name for typos.`;
  }
  if (e.code === 'ECONNECTION' || e.code === 'ETIMEDOUT' || e.code === 'ESOCKET' || /ECONNREFUSED|ETIMEDOUT|ECONNRESET|EHOSTUNREACH/.test(detail)) {
    return `Could not connect to ${where} (${detail}). Check the SMTP server and port, and that a firewall allows outgoing connections to port ${profile.port}.`;
  }
  return `The SMTP server answered: ${detail}`;
}

/** Connects, says EHLO, upgrades TLS and logs in as a send would, then hangs up. */
export async function testSmtpConnection(options: SMTPPool.Options, timeoutMs = 10_000): Promise<void> {
  const transport = nodemailer.createTransport({
    ...options,
    pool: false,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  } as SMTPPool.Options);
  try {
    await transport.verify();
  } finally {
    transport.close();
  }
}
