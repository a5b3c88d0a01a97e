/**
 * SMTP transports: one pooled nodemailer transport per profile per worker process, with the options
 * every connection to a profile's server uses (Test connection and Send test email included).
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import type { SmtpProfile } from '../../domain/smtp-profile';
import type { StoredSmtpProfile } from '../db/smtp-profiles';

/** What a connection needs from a profile; the password comes decrypted, beside it. */
export type SmtpServerSettings = Pick<SmtpProfile, 'host' | 'port' | 'secure' | 'requireTls' | 'username' | 'maxConnections'>;

export function transportOptions(profile: SmtpServerSettings, password: string): SMTPPool.Options {
  return {
    pool: true,
    host: profile.host,
    port: profile.port,
    secure: profile.secure,
    requireTLS: profile.requireTls,
    ignoreTLS: !profile.secure && !profile.requireTls,
    auth: profile.username ? { user: profile.username, pass: password } : undefined,
    maxConnections: profile.maxConnections,
    // Reconnecting every 100 messages (the default) halves throughput.
    maxMessages: 10_000,
    disableFileAccess: true,
    disableUrlAccess: true,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
  };
}

/** Pooled transports keyed by profile id; a profile edit (updatedAt) replaces its pool. */
export class TransportPool {
  /** decrypt: turns the stored passwordEnc into the password, only when a pool is (re)made. */
  constructor(private readonly decrypt: (passwordEnc: string) => string) {}

  private readonly pools = new Map<string, { version: string; transport: Transporter<SMTPPool.SentMessageInfo> }>();

  get(profile: StoredSmtpProfile): Transporter<SMTPPool.SentMessageInfo> {
    const existing = this.pools.get(profile.id);
    if (existing && existing.version === profile.updatedAt) return existing.transport;
    existing?.transport.close();
    const password = profile.passwordEnc ? this.decrypt(profile.passwordEnc) : '';
    const transport = nodemailer.createTransport(transportOptions(profile, password));
    this.pools.set(profile.id, { version: profile.updatedAt, transport });
    return transport;
  }

  close(): void {
    for (const { transport } of this.pools.values()) transport.close();
    this.pools.clear();
  }
}
