/** Test connection and the advice that turns an SMTP failure into which field to change, and how. */
import nodemailer from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import type { NodemailerError } from './classify';

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
