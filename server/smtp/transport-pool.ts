/**
 * SMTP transports of a worker process: one pooled nodemailer transport per profile, held in the
 * sending thread (send-thread.ts), and the gates and warm-up that keep sends on their pace.
 */
import type Mail from 'nodemailer/lib/mailer';
import type { StoredSmtpProfile } from '../db/smtp-profiles';
import { type SmtpAdvice, explainSmtpError } from './advice';
import { toWire } from './allow-list';
import { rawMail } from './mime';
import { tlsFailure } from './classify';
import type { OutboundPolicy } from './outbound';
import type { SentInfo, SmtpSender } from './smtp-wire';
import { presentedCertificate } from './tls-trust';

/** A profile's pooled transport, in the sending thread (server/smtp/send-thread.ts). */
export interface ProfileTransport {
  sendMail(mail: Mail.Options): Promise<SentInfo>;
}

interface PoolEntry {
  version: string;
  /** The pool's name in the sending thread: one per profile version. */
  key: string;
  transport: ProfileTransport;
  /** Connections open now. */
  sockets: number;
  /** A send went out on an open connection (and one is still open). */
  warm: boolean;
  /** The first send on a cold pool is under way. */
  opening: Promise<void> | undefined;
}

/**
 * Where a pool's conversations run: in a thread of its own for the worker (threadedTransports,
 * send-thread.ts), in process for the web app's test emails (InProcessSender). Either way a message's
 * bytes are built before it goes there (server/smtp/mime.ts).
 */
export interface SmtpRooms {
  sender: (onSockets: (pool: string, open: number) => void) => SmtpSender;
}

/** Pooled transports keyed by profile id; a profile edit (updatedAt) replaces its pool. */
export class TransportPool {
  /**
   * decrypt: turns the stored passwordEnc into the password, only when a pool is (re)made.
   * policy: which SMTP servers connections may reach (smtpOutboundPolicy(config) in the product); the
   * sending thread resolves host names with the system resolver, so a policy's own `lookup` cannot be used.
   */
  constructor(
    private readonly decrypt: (passwordEnc: string, profileId: string) => string,
    private readonly policy: OutboundPolicy,
    rooms: SmtpRooms,
  ) {
    if (policy.lookup) throw new Error('TransportPool: sends resolve host names in the sending thread; a custom lookup cannot be used there');
    this.thread = rooms.sender((key, open) => {
      for (const entry of this.pools.values()) {
        if (entry.key !== key) continue;
        entry.sockets = open;
        // With no connection left, the next paced send opens one again (warmUp).
        if (open === 0) entry.warm = false;
      }
    });
  }

  private readonly pools = new Map<string, PoolEntry>();
  private readonly gates = new Map<string, SendGate>();
  private made = 0;
  private readonly thread: SmtpSender;

  /** The profile's gate in this process, holding at most `limit` sends at once (the limit follows the latest call). */
  gate(profileId: string, limit: number): SendGate {
    const gate = this.gates.get(profileId) ?? new SendGate(limit);
    this.gates.set(profileId, gate);
    gate.limit = limit;
    return gate;
  }

  get(profile: StoredSmtpProfile): ProfileTransport {
    const existing = this.pools.get(profile.id);
    if (existing && existing.version === profile.updatedAt) return existing.transport;
    if (existing) this.thread.close(existing.key);
    const password = profile.passwordEnc ? this.decrypt(profile.passwordEnc, profile.id) : '';
    const { host, port, secure, requireTls, username, maxConnections, allowPlainAuth, tlsCa, tlsPin } = profile;
    const key = `${profile.id}#${++this.made}`;
    const settings = { host, port, secure, requireTls, username, maxConnections, allowPlainAuth, tlsCa, tlsPin };
    this.thread.open(key, settings, password, toWire(this.policy.allowed));
    const entry: PoolEntry = {
      version: profile.updatedAt,
      key,
      transport: { sendMail: async (mail) => this.thread.send(key, await rawMail(mail)) },
      sockets: 0,
      warm: false,
      opening: undefined,
    };
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

  /**
   * What to tell a person about a failed send: Test connection's advice. For a refused certificate it
   * looks at the certificate the server presents (a read-only TLS handshake through the same guard),
   * so the advice names the fingerprint an admin can pin.
   */
  async explain(err: unknown, profile: StoredSmtpProfile): Promise<SmtpAdvice> {
    const presented = tlsFailure(err) ? await presentedCertificate(this.policy, profile, 5_000).catch(() => undefined) : undefined;
    return explainSmtpError(err, profile, presented);
  }

  close(): void {
    this.pools.clear();
    this.thread.stop();
  }
}

/**
 * At most `limit` sends at once through one profile's pool in this process. A send takes its place
 * here before it reserves its slot in the throttle, so it goes on the wire at its slot instead of
 * queueing in the pool behind others (which would turn a smooth schedule into bursts).
 */
export class SendGate {
  /** Sends the server accepted through this gate. */
  accepted = 0;
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private max: number) {}

  get limit(): number {
    return this.max;
  }

  /** A higher limit lets waiting sends in at once; a lower one takes effect as sends end. */
  set limit(limit: number) {
    this.max = limit;
    while (this.active < this.max && this.waiting.length > 0) {
      this.active++;
      this.waiting.shift()?.();
    }
  }

  async acquire(): Promise<void> {
    if (this.active < this.max) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.active <= this.max ? this.waiting.shift() : undefined;
    if (next) next();
    else this.active--;
  }
}
