/**
 * What an SMTP profile form may say: one zod schema for the settings form and the API.
 * Pure (no Node built-ins), so the browser validates with the same rules as the server.
 */
import { z } from 'zod';
import { isTimeZone } from './contact';
import { emailAddress, headerSafe as headerText } from './text';

const email = (label: string) => emailAddress(label, 'news@example.com');

/**
 * A SHA-256 certificate fingerprint as Node prints it (`AB:CD:…`, 32 pairs, upper case), from that form
 * or from plain hex in any case; anything else comes back as typed, for the schema to refuse.
 */
export function normalizeFingerprint(text: string): string {
  const hex = text
    .trim()
    .replace(/^sha-?256[:= ]*/i, '')
    .replace(/[\s:]/g, '');
  return /^[0-9a-fA-F]{64}$/.test(hex) ? hex.toUpperCase().replace(/(..)(?!$)/g, '$1:') : text.trim();
}
const FINGERPRINT = /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/;
const PEM_CERTIFICATE = /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----$/;

/**
 * The reputation guard's defaults: more than 2% policy blocks (5.7.x: the provider refuses the sender
 * itself, and each more attempt deepens the block), 10% hard bounces (a list with a tenth of its
 * addresses dead is an old or bought one; providers act at a few percent) or 50% throttle replies (the
 * pace learns from a few, so half the answers means it cannot keep up) of the last 200 attempts (enough
 * for a share to mean something, few enough to react within one batch).
 */
export const GUARD_DEFAULTS = { guardWindow: 200, guardBouncePercent: 10, guardBlockPercent: 2, guardThrottlePercent: 50 } as const;
/** The guard never trips on fewer attempts than this: two blocks out of three sends say little. */
export const GUARD_MIN_ATTEMPTS = 20;

const guardPercent = (what: string, usual: number) =>
  z.coerce
    .number({ error: `Guard: ${what} (%) must be a number` })
    .int(`Guard: ${what} (%) must be a whole number`)
    .min(0, `Guard: ${what} (%) must be between 0 (off) and 100; ${usual} is usual`)
    .max(100, `Guard: ${what} (%) must be between 0 (off) and 100; ${usual} is usual`)
    .default(usual);

/** A profile's limits beyond per second and the daily cap when none are set: none, a cap per UTC day, no warm-up. */
export const NO_MORE_LIMITS = {
  perMinute: null,
  perHour: null,
  dailyCapWindow: 'calendar',
  timeZone: 'UTC',
  warmupStart: '',
  warmupFirst: 50,
  warmupFactor: 2,
  warmupTarget: 10_000,
  warmupDays: '12345',
} as const;

const windowLimit = (label: string, example: number) =>
  z.coerce
    .number({ error: `${label} must be a number` })
    .int(`${label} must be a whole number`)
    .positive(`${label} must be above 0 (or empty for no limit), e.g. ${example}`)
    .nullable()
    .default(null);

export const SmtpProfileInput = z
  .object({
    name: headerText('Name', 80).pipe(z.string().trim().min(1, 'Name is required: e.g. "Gmail – marketing"')),
    description: z.string().max(500, 'Description must be at most 500 characters').default(''),
    host: z
      .string()
      .trim()
      .min(1, 'SMTP server is required, e.g. smtp.gmail.com')
      .max(253, 'SMTP server must be at most 253 characters')
      .regex(/^[A-Za-z0-9.-]+$|^\[[0-9a-fA-F:.]+\]$/, 'SMTP server must be a host name like smtp.example.com or an IP address'),
    port: z.coerce
      .number({ error: 'Port must be a number' })
      .int('Port must be a whole number')
      .min(1, 'Port must be between 1 and 65535 (587 for TLS, 465 for SSL)')
      .max(65535, 'Port must be between 1 and 65535 (587 for TLS, 465 for SSL)'),
    secure: z.boolean().default(false),
    requireTls: z.boolean().default(false),
    /** Log in even when the server offers no TLS (the password then crosses the network in clear). Admins only. */
    allowPlainAuth: z.boolean().default(false),
    /**
     * TLS trust for an internal relay (admins only): the PEM of a CA that signed the server's
     * certificate (the host name is still checked), or the SHA-256 fingerprint of the server's own
     * certificate to pin (only that certificate is accepted, whoever signed it). Empty: the usual check.
     */
    tlsCa: z
      .string()
      .max(20_000, 'CA certificate must be at most 20000 characters: paste only the CA, not a whole bundle')
      .trim()
      .refine((v) => v === '' || PEM_CERTIFICATE.test(v), {
        error: 'CA certificate must be a PEM certificate, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE----- (or leave it empty)',
      })
      .default(''),
    tlsPin: z
      .string()
      .max(200, 'Pinned fingerprint must be a SHA-256 fingerprint: 64 hex digits, with or without colons')
      .transform(normalizeFingerprint)
      .refine((v) => v === '' || FINGERPRINT.test(v), {
        error: "Pinned fingerprint must be the SHA-256 fingerprint of the server's certificate: 64 hex digits, with or without colons (AB:CD:…)",
      })
      .default(''),
    username: headerText('User', 256).default(''),
    /** Write-only: empty or absent keeps the stored password. */
    password: z.string().max(512, 'Password must be at most 512 characters').optional(),
    fromEmail: email('Email address'),
    fromName: headerText('Sender name', 120).default(''),
    replyTo: z.union([z.literal(''), email('Reply-to address')]).default(''),
    /** Optional: a mailbox that takes unsubscribe requests by email (a `mailto:` in List-Unsubscribe, RFC 2369). */
    unsubscribeMailbox: headerText('Unsubscribe mailbox', 254)
      .trim()
      .refine((v) => v === '' || z.email().safeParse(v).success, {
        error: 'Unsubscribe mailbox must be an email address like unsubscribe@example.com (or leave it empty)',
      })
      .default(''),
    ratePerSecond: z.coerce
      .number({ error: 'Messages per second must be a number' })
      .positive('Messages per second must be above 0 (or empty for no limit)')
      .max(10_000, 'Messages per second must be at most 10000')
      .nullable()
      .default(null),
    maxConnections: z.coerce
      .number({ error: 'Connections must be a number' })
      .int()
      .min(1, 'Connections must be at least 1')
      .max(50, 'Connections must be at most 50')
      .default(5),
    uncertainPolicy: z.enum(['resend', 'hold'], { error: 'When a send\'s outcome is unknown must be "resend" or "hold"' }).default('resend'),
    /** How long a send that keeps failing temporarily (4xx, lost connections) is retried before its recipient fails. */
    retryForHours: z.coerce
      .number({ error: 'Retry for (hours) must be a number' })
      .int('Retry for (hours) must be a whole number of hours')
      .min(1, 'Retry for (hours) must be at least 1')
      .max(720, 'Retry for (hours) must be at most 720 (30 days); 72 (3 days) is usual')
      .default(72),
    dailyCap: z.coerce
      .number({ error: 'Daily cap must be a number' })
      .int('Daily cap must be a whole number')
      .positive('Daily cap must be above 0 (or empty for none)')
      .nullable()
      .default(null),
    /** Limits shaped like providers' (domain/send-limits.ts): any of them, in any combination. */
    perMinute: windowLimit('Messages per minute', 30),
    perHour: windowLimit('Messages per hour', 500),
    dailyCapWindow: z
      .enum(['calendar', 'rolling'], { error: 'Daily cap counts must be "calendar" (per day in the time zone) or "rolling" (the last 24 hours)' })
      .default('calendar'),
    timeZone: z
      .string()
      .trim()
      .refine(isTimeZone, { error: 'Time zone must be an IANA time zone such as Europe/Berlin or America/New_York (UTC when unsure)' })
      .default('UTC'),
    /** Warm-up (off while warmupStart is ''): first, first × factor, … up to target messages a day, on warmupDays. */
    warmupStart: z
      .string()
      .trim()
      .refine((v) => v === '' || (/^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v))), {
        error: 'Warm-up starts on must be a date like 2026-12-07 (or empty for no warm-up)',
      })
      .default(''),
    warmupFirst: z.coerce
      .number({ error: 'Warm-up: first day must be a number' })
      .int('Warm-up: first day must be a whole number of messages')
      .min(1, 'Warm-up: first day must be at least 1 message; 50 is usual for a new address')
      .default(50),
    warmupFactor: z.coerce
      .number({ error: 'Warm-up: growth per day must be a number' })
      .min(1.1, 'Warm-up: growth per day must be at least 1.1 (10% more each sending day); 2 doubles it')
      .max(10, 'Warm-up: growth per day must be at most 10; 1.5 to 2 is usual')
      .default(2),
    warmupTarget: z.coerce
      .number({ error: 'Warm-up: target must be a number' })
      .int('Warm-up: target must be a whole number of messages a day')
      .min(1, 'Warm-up: target must be at least 1 message a day')
      .default(10_000),
    warmupDays: z
      .string()
      .regex(/^[1-7]{1,7}$/, 'Warm-up: sending days must name at least one weekday (tick Monday to Sunday)')
      .transform((v) => [...new Set(v)].sort().join(''))
      .default('12345'),
    /** The reputation guard (server/sending/guard.ts): over the last this many attempts… */
    guardWindow: z.coerce
      .number({ error: 'Guard: attempts counted must be a number' })
      .int('Guard: attempts counted must be a whole number')
      .min(GUARD_MIN_ATTEMPTS, `Guard: attempts counted must be at least ${GUARD_MIN_ATTEMPTS}; ${GUARD_DEFAULTS.guardWindow} is usual`)
      .max(10_000, `Guard: attempts counted must be at most 10000; ${GUARD_DEFAULTS.guardWindow} is usual`)
      .default(GUARD_DEFAULTS.guardWindow),
    /** …this share of hard bounces (5.1.x), policy blocks (5.7.x) or throttle replies pauses the profile (0: that check is off). */
    guardBouncePercent: guardPercent('hard bounces', GUARD_DEFAULTS.guardBouncePercent),
    guardBlockPercent: guardPercent('policy blocks', GUARD_DEFAULTS.guardBlockPercent),
    guardThrottlePercent: guardPercent('throttle replies', GUARD_DEFAULTS.guardThrottlePercent),
  })
  .superRefine((p, ctx) => {
    if (p.secure && p.requireTls) {
      ctx.addIssue({
        code: 'custom',
        path: ['requireTls'],
        message: 'Turn on SSL or TLS, not both: SSL (implicit TLS) is for port 465, TLS (STARTTLS) for port 587',
      });
    }
    if (p.tlsCa && p.tlsPin) {
      ctx.addIssue({
        code: 'custom',
        path: ['tlsPin'],
        message: 'Set a CA certificate or a pinned fingerprint, not both: the pin alone decides which certificate is accepted',
      });
    }
    if (p.warmupStart && p.warmupTarget < p.warmupFirst) {
      ctx.addIssue({ code: 'custom', path: ['warmupTarget'], message: 'Warm-up: target must be at least the first day’s volume' });
    }
    if (p.port === 465 && !p.secure) {
      ctx.addIssue({ code: 'custom', path: ['secure'], message: 'Port 465 expects SSL: turn SSL on and TLS off (or use port 587 with TLS)' });
    }
    if (p.port === 587 && p.secure) {
      ctx.addIssue({ code: 'custom', path: ['secure'], message: 'Port 587 uses STARTTLS: turn SSL off and TLS on (or use port 465 with SSL)' });
    }
  });
export type SmtpProfileInput = z.infer<typeof SmtpProfileInput>;

/** A saved SMTP profile as the server holds it (the password, encrypted, stays in the data layer). */
export interface SmtpProfile {
  id: string;
  name: string;
  description: string;
  host: string;
  port: number;
  secure: boolean;
  requireTls: boolean;
  /** Log in without TLS when the server offers none (set by an admin; otherwise a login requires STARTTLS or SSL). */
  allowPlainAuth: boolean;
  /** The PEM of a CA to trust for this server's certificate ('' for none). Set by an admin. */
  tlsCa: string;
  /** The SHA-256 fingerprint (`AB:CD:…`) of the one certificate this server may present ('' for none). Set by an admin. */
  tlsPin: string;
  username: string;
  fromEmail: string;
  fromName: string;
  replyTo: string;
  /** Where mail clients may send unsubscribe requests ('' for none): a `mailto:` beside the HTTPS link in List-Unsubscribe. */
  unsubscribeMailbox: string;
  ratePerSecond: number | null;
  maxConnections: number;
  dailyCap: number | null;
  /** Limits per minute and per hour; the daily cap per calendar day in timeZone or over the last 24 hours. */
  perMinute: number | null;
  perHour: number | null;
  dailyCapWindow: 'calendar' | 'rolling';
  timeZone: string;
  /** The warm-up ramp (domain/send-limits.ts), off while warmupStart is ''. */
  warmupStart: string;
  warmupFirst: number;
  warmupFactor: number;
  warmupTarget: number;
  warmupDays: string;
  /** A send whose outcome is unknown: resend it with the same Message-ID, or hold it for a person to resend. */
  uncertainPolicy: 'resend' | 'hold';
  /** How long temporary failures of a send are retried before its recipient fails. */
  retryForHours: number;
  /** The install's fallback sender, used when an agent has no default of their own. */
  installDefault: boolean;
  /** The user who created it; null for built-in profiles. */
  ownerId: string | null;
  /** Usable by every user (the sandbox); otherwise by its owner, admins and the agents it is shared with. */
  sharedWithAll: boolean;
  createdAt: string;
  updatedAt: string;
  /** When the server refused its login, and its reply: sending pauses until the profile is saved again. */
  failingSince: string | null;
  failingReason: string | null;
  /** The reputation guard: over the last guardWindow attempts, the share of each kind that pauses the profile (0: off). */
  guardWindow: number;
  guardBouncePercent: number;
  guardBlockPercent: number;
  guardThrottlePercent: number;
  /** Why it is paused: 'guard' (the reputation guard; an admin resumes it), null for refused settings (saving it resumes it). */
  failingCause: 'guard' | null;
  /** Who last resumed it after the guard paused it ("Resume sending"), and when. */
  resumedBy: string | null;
  resumedAt: string | null;
  /** Soft-deleted (hidden; kept for sends already in flight). */
  deletedAt: string | null;
}
