/** Test connection and the advice that turns an SMTP failure into which field to change, and how. */
import nodemailer from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import type { NodemailerError } from './classify';

/** What kind of failure a connection test (or send) met; the UI and the API say it beside the advice. */
export type SmtpFailure = 'blocked' | 'dns' | 'connect' | 'not-smtp' | 'tls' | 'plain-auth' | 'auth' | 'refused' | 'other';

export interface SmtpAdvice {
  failure: SmtpFailure;
  /** Which field to change, and how. Never the text another service sent (a banner is not shown to anyone). */
  message: string;
}

type AdviceProfile = { host: string; port: number; secure: boolean; requireTls: boolean; username?: string; allowPlainAuth?: boolean };

/**
 * Turns a failed connection test (or send) into advice a person can act on: which field to change, and
 * how. It names the failure's class and at most the SMTP reply code; what the far end sent is never
 * echoed, so Test connection cannot be used to read another service's banner.
 */
export function explainSmtpError(err: unknown, profile: AdviceProfile): SmtpAdvice {
  const e = (err ?? {}) as NodemailerError & { command?: string };
  // Our own errors and Node's (DNS, sockets, TLS), never the remote side's text.
  const local = (e.message ?? String(err)).replace(/response=[\s\S]*/, '').trim();
  const where = `${profile.host}:${profile.port}`;
  const google = /gmail|google/i.test(profile.host);
  const code = typeof e.responseCode === 'number' ? ` (the server answered ${e.responseCode})` : '';
  const advice = (failure: SmtpFailure, message: string): SmtpAdvice => ({ failure, message });
  if (e.code === 'EOUTBOUND') return advice('blocked', local);
  if (e.code === 'EAUTH' || e.responseCode === 535 || e.responseCode === 534) {
    return advice(
      'auth',
      google
        ? `Gmail refused the user or password${code}. Use an app password: turn on 2-Step Verification, then Google Account → Security → App passwords, and paste the 16-character password here.`
        : `The server refused the user or password${code}. Check User and Password. Gmail, Google Workspace and Outlook need an app password (with 2-step verification on); Amazon SES, SendGrid, Mailgun and Postmark need the SMTP credentials made in their console.`,
    );
  }
  const tlsText = /wrong version number|ssl3_get_record|packet length too long|unknown protocol|tls|ssl|certificate/i;
  if (profile.secure && (profile.port === 587 || profile.port === 25) && (e.code === 'ETLS' || e.code === 'ESOCKET' || tlsText.test(local))) {
    return advice(
      'tls',
      `SSL is on, but port ${profile.port} starts in plain text and upgrades with STARTTLS. Turn SSL off and TLS on, or use port 465 with SSL.`,
    );
  }
  const noStarttls = e.command === 'STARTTLS' || /STARTTLS/i.test(local);
  if (noStarttls && !profile.requireTls && profile.username && !profile.allowPlainAuth) {
    return advice(
      'plain-auth',
      `${where} does not offer TLS, so logging in would send the password in clear, which Dripline does not do. Use the provider's TLS port (587) or SSL port (465); for a relay on a trusted network, an admin can allow login without TLS on this profile.`,
    );
  }
  if (profile.requireTls && noStarttls) {
    return advice('tls', `TLS is on, but ${where} does not offer STARTTLS${code}. Use the provider's TLS port (usually 587), or port 465 with SSL.`);
  }
  if (e.code === 'EPROTOCOL' || /Greeting never received|Connection closed unexpectedly/i.test(local)) {
    return advice(
      'not-smtp',
      profile.secure
        ? `Connected to ${where}, but no SMTP server answered there. Check the SMTP server and port.`
        : `Connected to ${where}, but the server never said hello as an SMTP server does. Port 465 expects SSL from the first byte: turn SSL on and TLS off (or use port 587 with TLS); otherwise check the SMTP server and port.`,
    );
  }
  if (e.code === 'ETLS' || tlsText.test(local)) {
    return /certificate|self[- ]signed|altname|verify/i.test(local)
      ? advice(
          'tls',
          `The server's TLS certificate is not valid for "${profile.host}" or not signed by a trusted authority. Check the SMTP server name matches the provider's documented host.`,
        )
      : advice('tls', `The TLS handshake with ${where} failed. Check SSL and TLS for this port: 465 is SSL, 587 is TLS (STARTTLS).`);
  }
  if (e.code === 'EDNS' || /ENOTFOUND|EAI_AGAIN/.test(local)) {
    return advice('dns', `The SMTP server "${profile.host}" was not found. Check the host name for typos.`);
  }
  if (e.code === 'ECONNECTION' || e.code === 'ETIMEDOUT' || e.code === 'ESOCKET' || /ECONNREFUSED|ETIMEDOUT|ECONNRESET|EHOSTUNREACH/.test(local)) {
    return advice(
      'connect',
      `Could not connect to ${where}. Check the SMTP server and port, and that a firewall allows outgoing connections to port ${profile.port}.`,
    );
  }
  if (code)
    return advice(
      'refused',
      `The server refused the session${code}${e.command ? ` to ${e.command.split(' ')[0]}` : ''}. Check the settings with your provider.`,
    );
  return advice('other', `The connection to ${where} failed${e.code ? ` (${e.code})` : ''}. Check the SMTP server, port, SSL and TLS.`);
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
