/**
 * Providers' SMTP settings, limits and how to get credentials: what the form's preset menu fills in.
 * The limits are the providers' documented ones (checked 2026-12):
 * - Gmail: 500 messages a day for a consumer account, 2,000 for Google Workspace, "applied over a rolling
 *   24-hour period, not a set time of day" (support.google.com/mail/answer/22839, support.google.com/a/answer/166852).
 * - Microsoft 365 / Exchange Online: 30 messages a minute and 10,000 recipients a day per mailbox
 *   (learn.microsoft.com/office365/servicedescriptions/exchange-online-service-description/exchange-online-limits#sending-limits-1).
 * - Amazon SES: in the sandbox 1 message a second and 200 per 24-hour period; out of it, the account's own
 *   quota (GetSendQuota: MaxSendRate, Max24HourSend), 14/s and 50,000 a day being a typical start
 *   (docs.aws.amazon.com/ses/latest/dg/quotas.html).
 */
import type { SendLimits } from './send-limits';

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
  perMinute: number | null;
  perHour: number | null;
  dailyCap: number | null;
  dailyCapWindow: SendLimits['dailyCapWindow'];
}

/** No limits but the ones a preset names. */
const NONE = { ratePerSecond: null, perMinute: null, perHour: null, dailyCap: null, dailyCapWindow: 'calendar' } as const;

const SES_REGIONS = ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-south-1', 'ap-southeast-2', 'ap-northeast-1'];

/**
 * The presets, the last one aimed at this install's bundled sandbox (SANDBOX_SMTP_HOST and
 * SANDBOX_SMTP_PORT): a profile saved with it logs in with the sandbox's own login (server/profiles.ts).
 */
export const smtpPresets = (sandbox: { SANDBOX_SMTP_HOST: string; SANDBOX_SMTP_PORT: number }): SmtpPreset[] => [
  {
    id: 'gmail',
    label: 'Gmail',
    host: 'smtp.gmail.com',
    port: 587,
    secure: false,
    requireTls: true,
    ...NONE,
    ratePerSecond: 1,
    dailyCap: 500,
    dailyCapWindow: 'rolling',
    hints: [
      'Use an app password (Google Account → Security → 2-Step Verification → App passwords); your normal password is refused.',
      'SSL off, TLS on, port 587.',
      'Gmail allows 500 messages in any 24 hours.',
    ],
  },
  {
    id: 'google-workspace',
    label: 'Google Workspace (Gmail)',
    host: 'smtp.gmail.com',
    port: 587,
    secure: false,
    requireTls: true,
    ...NONE,
    ratePerSecond: 1,
    dailyCap: 2_000,
    dailyCapWindow: 'rolling',
    hints: [
      'Use an app password of the Workspace user, or sign in with OAuth where your admin allows only that.',
      'Workspace allows 2,000 messages in any 24 hours per user (500 on a trial).',
    ],
  },
  {
    id: 'google-workspace-relay',
    label: 'Google Workspace SMTP relay',
    host: 'smtp-relay.gmail.com',
    port: 587,
    secure: false,
    requireTls: true,
    ...NONE,
    ratePerSecond: 5,
    dailyCap: 10_000,
    dailyCapWindow: 'rolling',
    hints: [
      'Set up the relay in the Admin console (Apps → Google Workspace → Gmail → Routing → SMTP relay service).',
      "Authenticate with a Workspace user and app password, or allow this server's IP.",
      'Up to 10,000 recipients a day per user.',
    ],
  },
  {
    id: 'office365',
    label: 'Outlook / Office 365',
    host: 'smtp.office365.com',
    port: 587,
    secure: false,
    requireTls: true,
    ...NONE,
    perMinute: 30,
    dailyCap: 10_000,
    dailyCapWindow: 'rolling',
    hints: [
      'SMTP AUTH must be enabled for the mailbox (Microsoft 365 admin center → Active users → Mail → Manage email apps).',
      'SSL off, TLS on, port 587.',
      'Limit: 30 messages a minute, 10,000 recipients a day.',
    ],
  },
  ...SES_REGIONS.map((region) => ({
    id: `ses-${region}`,
    label: `Amazon SES (${region})`,
    host: `email-smtp.${region}.amazonaws.com`,
    port: 587,
    secure: false,
    requireTls: true,
    ...NONE,
    ratePerSecond: 14,
    dailyCap: 50_000,
    dailyCapWindow: 'rolling' as const,
    hints: [
      'Use SMTP credentials made in the SES console (not your AWS access keys).',
      "Set your account's own quota: the SES console's Account dashboard shows its sending rate and its 24-hour quota (14/s and 50,000 are a common start).",
    ],
  })),
  ...SES_REGIONS.map((region) => ({
    id: `ses-sandbox-${region}`,
    label: `Amazon SES sandbox (${region})`,
    host: `email-smtp.${region}.amazonaws.com`,
    port: 587,
    secure: false,
    requireTls: true,
    ...NONE,
    ratePerSecond: 1,
    dailyCap: 200,
    dailyCapWindow: 'rolling' as const,
    hints: ['In the sandbox SES sends only to verified addresses: 1 message a second, 200 in any 24 hours.'],
  })),
  {
    id: 'sendgrid',
    label: 'SendGrid',
    host: 'smtp.sendgrid.net',
    port: 587,
    secure: false,
    requireTls: true,
    ...NONE,
    hints: ['User is the literal word "apikey"; the password is an API key with Mail Send permission.'],
  },
  {
    id: 'mailgun',
    label: 'Mailgun',
    host: 'smtp.mailgun.org',
    port: 587,
    secure: false,
    requireTls: true,
    ...NONE,
    hints: ['Use the SMTP credentials of your sending domain (Sending → Domain settings → SMTP credentials).', 'EU domains use smtp.eu.mailgun.org.'],
  },
  {
    id: 'postmark',
    label: 'Postmark',
    host: 'smtp.postmarkapp.com',
    port: 587,
    secure: false,
    requireTls: true,
    ...NONE,
    hints: ['User and password are both your Server API token.', 'Send from a verified sender signature or domain.'],
  },
  {
    id: 'sandbox',
    label: 'Dripline sandbox',
    host: sandbox.SANDBOX_SMTP_HOST,
    port: sandbox.SANDBOX_SMTP_PORT,
    secure: false,
    requireTls: false,
    ...NONE,
    hints: [
      'The bundled SMTP server: keeps every message in the Sandbox mailbox, delivers nothing.',
      'Leave User and Password empty: Dripline then logs in to it with the sandbox’s own login (it takes mail with no other).',
    ],
  },
];
