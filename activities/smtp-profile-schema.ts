/**
 * What an SMTP profile form may say: one zod schema for the settings form and the API.
 * Pure (no Node built-ins), so the browser validates with the same rules as the server.
 */
import { z } from 'zod';
import { emailAddress, headerSafe as headerText } from '../workflows/flow/schema';

const email = (label: string) => emailAddress(label, 'news@example.com');

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
    username: headerText('User', 256).default(''),
    /** Write-only: empty or absent keeps the stored password. */
    password: z.string().max(512, 'Password must be at most 512 characters').optional(),
    fromEmail: email('Email address'),
    fromName: headerText('Sender name', 120).default(''),
    replyTo: z.union([z.literal(''), email('Reply-to address')]).default(''),
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
    dailyCap: z.coerce
      .number({ error: 'Daily cap must be a number' })
      .int('Daily cap must be a whole number')
      .positive('Daily cap must be above 0 (or empty for none)')
      .nullable()
      .default(null),
  })
  .superRefine((p, ctx) => {
    if (p.secure && p.requireTls) {
      ctx.addIssue({
        code: 'custom',
        path: ['requireTls'],
        message: 'Turn on SSL or TLS, not both: SSL (implicit TLS) is for port 465, TLS (STARTTLS) for port 587',
      });
    }
    if (p.port === 465 && !p.secure) {
      ctx.addIssue({ code: 'custom', path: ['secure'], message: 'Port 465 expects SSL: turn SSL on and TLS off (or use port 587 with TLS)' });
    }
    if (p.port === 587 && p.secure) {
      ctx.addIssue({ code: 'custom', path: ['secure'], message: 'Port 587 uses STARTTLS: turn SSL off and TLS on (or use port 465 with SSL)' });
    }
  });
export type SmtpProfileInput = z.infer<typeof SmtpProfileInput>;

export interface SmtpPreset {
  id: string;
  label: string;
  host: string;
  port: number;
  secure: boolean;
  requireTls: boolean;
  /** Known limits and how to get credentials, shown beside the form. */
  hints: string[];
  ratePerSecond: number | null;
  dailyCap: number | null;
}

const SES_REGIONS = ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-south-1', 'ap-southeast-2', 'ap-northeast-1'];

export const SMTP_PRESETS: SmtpPreset[] = [
  {
    id: 'gmail', label: 'Gmail', host: 'smtp.gmail.com', port: 587, secure: false, requireTls: true, ratePerSecond: 1, dailyCap: 500,
    hints: ['Use an app password (Google Account → Security → 2-Step Verification → App passwords); your normal password is refused.', 'SSL off, TLS on, port 587.', 'Gmail allows about 500 recipients a day.'],
  },
  {
    id: 'google-workspace-relay', label: 'Google Workspace SMTP relay', host: 'smtp-relay.gmail.com', port: 587, secure: false, requireTls: true, ratePerSecond: 5, dailyCap: 10_000,
    hints: ['Set up the relay in the Admin console (Apps → Google Workspace → Gmail → Routing → SMTP relay service).', 'Authenticate with a Workspace user and app password, or allow this server\'s IP.', 'Up to 10,000 recipients a day per user.'],
  },
  {
    id: 'office365', label: 'Outlook / Office 365', host: 'smtp.office365.com', port: 587, secure: false, requireTls: true, ratePerSecond: 0.5, dailyCap: 10_000,
    hints: ['SMTP AUTH must be enabled for the mailbox (Microsoft 365 admin center → Active users → Mail → Manage email apps).', 'SSL off, TLS on, port 587.', 'Limit: 30 messages a minute, 10,000 recipients a day.'],
  },
  ...SES_REGIONS.map((region) => ({
    id: `ses-${region}`, label: `Amazon SES (${region})`, host: `email-smtp.${region}.amazonaws.com`, port: 587, secure: false, requireTls: true, ratePerSecond: 14, dailyCap: 50_000,
    hints: ['Use SMTP credentials made in the SES console (not your AWS access keys).', '14 messages/s is a common starting quota; your account page shows yours.', 'In the sandbox SES sends only to verified addresses.'],
  })),
  {
    id: 'sendgrid', label: 'SendGrid', host: 'smtp.sendgrid.net', port: 587, secure: false, requireTls: true, ratePerSecond: null, dailyCap: null,
    hints: ['User is the literal word "apikey"; the password is an API key with Mail Send permission.'],
  },
  {
    id: 'mailgun', label: 'Mailgun', host: 'smtp.mailgun.org', port: 587, secure: false, requireTls: true, ratePerSecond: null, dailyCap: null,
    hints: ['Use the SMTP credentials of your sending domain (Sending → Domain settings → SMTP credentials).', 'EU domains use smtp.eu.mailgun.org.'],
  },
  {
    id: 'postmark', label: 'Postmark', host: 'smtp.postmarkapp.com', port: 587, secure: false, requireTls: true, ratePerSecond: null, dailyCap: null,
    hints: ['User and password are both your Server API token.', 'Send from a verified sender signature or domain.'],
  },
  {
    id: 'sandbox', label: 'Dripline sandbox', host: '127.0.0.1', port: 2525, secure: false, requireTls: false, ratePerSecond: null, dailyCap: null,
    hints: ['The bundled SMTP server: accepts any user and password, keeps every message in the Sandbox mailbox, delivers nothing.'],
  },
];
