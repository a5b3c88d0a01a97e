/**
 * SMTP transports: one pooled nodemailer transport per profile per worker process, with the options
 * every connection to a profile's server uses (Test connection and Send test email included).
 */
import type net from 'node:net';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import type { SmtpProfile } from '../../domain/smtp-profile';
import type { StoredSmtpProfile } from '../db/smtp-profiles';
import { MessageBuilder } from './message-builder';
import { guardedSocket, type OutboundPolicy } from './outbound';
import { coalescing } from './socket-writes';

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
    // Checked addresses only (outbound.ts); a message's pieces leave in as few segments as they can (socket-writes.ts).
    getSocket: coalescing(guardedSocket(policy)),
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

interface PoolEntry {
  version: string;
  transport: Transporter<SMTPPool.SentMessageInfo>;
  /** Connections open now. */
  sockets: number;
  /** A send went out on an open connection (and one is still open). */
  warm: boolean;
  /** The first send on a cold pool is under way. */
  opening: Promise<void> | undefined;
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

  private readonly pools = new Map<string, PoolEntry>();
  private readonly gates = new Map<string, SendGate>();
  /** Builds campaign messages ahead of their turn, off the event loop (server/smtp/message-builder.ts). */
  readonly builder = new MessageBuilder();

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
    const options = transportOptions(profile, password, this.policy);
    const entry: PoolEntry = { version: profile.updatedAt, transport: undefined as never, sockets: 0, warm: false, opening: undefined };
    // Counts the pool's open connections: with none left, the next paced send opens one again (warmUp).
    const getSocket = options.getSocket!;
    options.getSocket = (o, callback) =>
      getSocket(o, (err, socketOptions) => {
        const socket: net.Socket | undefined = socketOptions ? socketOptions.connection : undefined;
        if (socket) {
          entry.sockets++;
          socket.once('close', () => {
            if (--entry.sockets === 0) entry.warm = false;
          });
        }
        callback(err, socketOptions);
      });
    entry.transport = nodemailer.createTransport(options);
    this.builder.prepare();
    this.pools.set(profile.id, entry);
    return entry.transport;
  }

  /**
   * A paced send has to reach the server at its slot. The first one on a pool without an open connection
   * also opens it (connect, greeting, login) and arrives late, while the sends after it on their own slots
   * do not: at a low limit, two would land in one second. So while the profile's pool (got with `get`)
   * has not sent on a connection, paced sends go one at a time: the first gets back a function to call
   * once its send is over (having moved the schedule on from when it really arrived: restartPace), and
   * the others wait until then. Returns undefined once the pool is warm.
   */
  async warmUp(profileId: string): Promise<(() => void) | undefined> {
    for (;;) {
      const entry = this.pools.get(profileId);
      if (!entry || entry.warm) return undefined;
      if (!entry.opening) {
        let opened = () => {};
        entry.opening = new Promise<void>((resolve) => {
          opened = resolve;
        });
        return () => {
          entry.warm = entry.sockets > 0;
          entry.opening = undefined;
          opened();
        };
      }
      await entry.opening;
    }
  }

  close(): void {
    for (const { transport } of this.pools.values()) transport.close();
    this.pools.clear();
    this.builder.close();
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
