/**
 * SMTP transports: one pooled nodemailer transport per profile per worker process, with the options
 * every connection to a profile's server uses (Test connection and Send test email included).
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import type { SmtpProfile } from '../../domain/smtp-profile';
import type { StoredSmtpProfile } from '../db/smtp-profiles';
import { guardedSocket, type OutboundPolicy } from './outbound';

/** What a connection needs from a profile; the password comes decrypted, beside it. */
export type SmtpServerSettings = Pick<SmtpProfile, 'host' | 'port' | 'secure' | 'requireTls' | 'username' | 'maxConnections' | 'allowPlainAuth'>;

/**
 * The options of every connection to a profile's server. TLS: SSL from the first byte when `secure`;
 * otherwise STARTTLS whenever the server offers it (nodemailer's default: `ignoreTLS` is never set),
 * required when TLS is on, and required whenever a login would otherwise go in clear, unless an admin
 * allowed that for this profile (`allowPlainAuth`). Certificates are always checked, against the host
 * name. Connections go through the outbound guard (`policy`, server/smtp/outbound.ts).
 */
export function transportOptions(profile: SmtpServerSettings, password: string, policy: OutboundPolicy): SMTPPool.Options {
  const auth = profile.username ? { user: profile.username, pass: password } : undefined;
  return {
    pool: true,
    host: profile.host,
    port: profile.port,
    secure: profile.secure,
    requireTLS: profile.requireTls || (!profile.secure && auth !== undefined && !profile.allowPlainAuth),
    tls: { rejectUnauthorized: true },
    getSocket: guardedSocket(policy),
    auth,
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
  /**
   * decrypt: turns the stored passwordEnc into the password, only when a pool is (re)made.
   * policy: which SMTP servers connections may reach (smtpOutboundPolicy(config) in the product).
   */
  constructor(
    private readonly decrypt: (passwordEnc: string) => string,
    private readonly policy: OutboundPolicy,
  ) {}

  private readonly pools = new Map<string, { version: string; transport: Transporter<SMTPPool.SentMessageInfo> }>();
  private readonly gates = new Map<string, SendGate>();

  /** The profile's gate in this process, holding at most `limit` sends at once (the limit follows the latest call). */
  gate(profileId: string, limit: number): SendGate {
    const gate = this.gates.get(profileId) ?? new SendGate(limit);
    this.gates.set(profileId, gate);
    gate.limit = limit;
    return gate;
  }

  get(profile: StoredSmtpProfile): Transporter<SMTPPool.SentMessageInfo> {
    const existing = this.pools.get(profile.id);
    if (existing && existing.version === profile.updatedAt) return existing.transport;
    existing?.transport.close();
    const password = profile.passwordEnc ? this.decrypt(profile.passwordEnc) : '';
    const transport = nodemailer.createTransport(transportOptions(profile, password, this.policy));
    this.pools.set(profile.id, { version: profile.updatedAt, transport });
    return transport;
  }

  close(): void {
    for (const { transport } of this.pools.values()) transport.close();
    this.pools.clear();
  }
}

/**
 * At most `limit` sends at once through one profile's pool in this process. A send takes its place
 * here before it reserves its slot in the throttle, so it goes on the wire at its slot instead of
 * queueing in the pool behind others (which would turn a smooth schedule into bursts).
 */
export class SendGate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(public limit: number) {}

  async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.active <= this.limit ? this.waiting.shift() : undefined;
    if (next) next();
    else this.active--;
  }
}
