/** Providers' SMTP settings, limits and how to get credentials: what the form's preset menu fills in. */

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
    ratePerSecond: 1,
    dailyCap: 500,
    hints: [
      'Use an app password (Google Account → Security → 2-Step Verification → App passwords); your normal password is refused.',
      'SSL off, TLS on, port 587.',
      'Gmail allows about 500 recipients a day.',
    ],
  },
  {
    id: 'google-workspace-relay',
    label: 'Google Workspace SMTP relay',
    host: 'smtp-relay.gmail.com',
    port: 587,
    secure: false,
    requireTls: true,
    ratePerSecond: 5,
    dailyCap: 10_000,
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
    ratePerSecond: 0.5,
    dailyCap: 10_000,
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
    ratePerSecond: 14,
    dailyCap: 50_000,
    hints: [
      'Use SMTP credentials made in the SES console (not your AWS access keys).',
      '14 messages/s is a common starting quota; your account page shows yours.',
      'In the sandbox SES sends only to verified addresses.',
    ],
  })),
  {
    id: 'sendgrid',
    label: 'SendGrid',
    host: 'smtp.sendgrid.net',
    port: 587,
    secure: false,
    requireTls: true,
    ratePerSecond: null,
    dailyCap: null,
    hints: ['User is the literal word "apikey"; the password is an API key with Mail Send permission.'],
  },
  {
    id: 'mailgun',
    label: 'Mailgun',
    host: 'smtp.mailgun.org',
    port: 587,
    secure: false,
    requireTls: true,
    ratePerSecond: null,
    dailyCap: null,
    hints: ['Use the SMTP credentials of your sending domain (Sending → Domain settings → SMTP credentials).', 'EU domains use smtp.eu.mailgun.org.'],
  },
  {
    id: 'postmark',
    label: 'Postmark',
    host: 'smtp.postmarkapp.com',
    port: 587,
    secure: false,
    requireTls: true,
    ratePerSecond: null,
    dailyCap: null,
    hints: ['User and password are both your Server API token.', 'Send from a verified sender signature or domain.'],
  },
  {
    id: 'sandbox',
    label: 'Dripline sandbox',
    host: sandbox.SANDBOX_SMTP_HOST,
    port: sandbox.SANDBOX_SMTP_PORT,
    secure: false,
    requireTls: false,
    ratePerSecond: null,
    dailyCap: null,
    hints: [
      'The bundled SMTP server: keeps every message in the Sandbox mailbox, delivers nothing.',
      'Leave User and Password empty: Dripline then logs in to it with the sandbox’s own login (it takes mail with no other).',
    ],
  },
];
