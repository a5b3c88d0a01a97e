/**
 * The options of every SMTP connection to a profile's server: sends (transport-pool.ts), Test
 * connection and Send test email.
 */
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import type { SmtpProfile } from '../../domain/smtp-profile';
import { guardedSocket, type OutboundPolicy } from './outbound';
import { coalescing } from './socket-writes';
import { pinning, trustOptions } from './tls-trust';

/** What a connection needs from a profile; the password comes decrypted, beside it. */
export type SmtpServerSettings = Pick<SmtpProfile, 'host' | 'port' | 'secure' | 'requireTls' | 'username' | 'maxConnections' | 'allowPlainAuth'> &
  /** An admin's TLS trust for an internal server (tls-trust.ts); absent: the usual check. */
  Partial<Pick<SmtpProfile, 'tlsCa' | 'tlsPin'>>;

/**
 * The options of every connection to a profile's server. TLS: SSL from the first byte when `secure`;
 * otherwise STARTTLS whenever the server offers it (nodemailer's default: `ignoreTLS` is never set),
 * required when TLS is on, and required whenever a login would otherwise go in clear, unless an admin
 * allowed that for this profile (`allowPlainAuth`). Certificates are always checked, against the host
 * name, or against the CA or the pinned certificate an admin set on the profile (tls-trust.ts).
 * Connections go through the outbound guard (`policy`, server/smtp/outbound.ts).
 */
export function transportOptions(profile: SmtpServerSettings, password: string, policy: OutboundPolicy): SMTPPool.Options {
  const auth = profile.username ? { user: profile.username, pass: password } : undefined;
  return {
    pool: true,
    host: profile.host,
    port: profile.port,
    secure: profile.secure,
    requireTLS: profile.requireTls || (!profile.secure && auth !== undefined && !profile.allowPlainAuth),
    tls: trustOptions(profile),
    // Checked addresses only (outbound.ts); a message's pieces leave in as few segments as they can (socket-writes.ts).
    getSocket: pinning(profile, policy, coalescing(guardedSocket(policy))),
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
