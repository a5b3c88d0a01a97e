/** Test connection and the advice that turns an SMTP failure into which field to change, and how. */
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import type { NodemailerError } from './classify';
import type { GetSocket } from './outbound';
import { isCertificateError, type PresentedCertificate } from './tls-trust';

/** What kind of failure a connection test (or send) met; the UI and the API say it beside the advice. */
export type SmtpFailure = 'blocked' | 'dns' | 'connect' | 'not-smtp' | 'tls' | 'plain-auth' | 'auth' | 'refused' | 'other';

export interface SmtpAdvice {
  failure: SmtpFailure;
  /** Which field to change, and how. Never the text another service sent (a banner is not shown to anyone). */
  message: string;
}

type AdviceProfile = {
  host: string;
  port: number;
  secure: boolean;
  requireTls: boolean;
  username?: string;
  allowPlainAuth?: boolean;
  tlsPin?: string;
};

/** Why a certificate was refused, in plain words, and the certificate itself when it could be read. */
function certificateAdvice(e: NodemailerError, profile: AdviceProfile, presented: PresentedCertificate | undefined): string {
  const text = e.message ?? '';
  const host = profile.host;
  // With a pin, the pinned certificate is the only one trusted: any refusal means another one was presented.
  const why =
    e.code === 'ERR_TLS_CERT_PIN_MISMATCH' || profile.tlsPin
      ? "The server's TLS certificate is not the one pinned in this profile."
      : e.code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /altname|does not match/i.test(text)
        ? `The server's TLS certificate is not made out to "${host}".`
        : presented?.selfSigned || /self[- ]signed/i.test(text)
          ? "The server's TLS certificate is self-signed: no authority Dripline trusts vouches for it."
          : "The server's TLS certificate is not signed by an authority Dripline trusts.";
  const shown = presented
    ? ` It presented: SHA-256 fingerprint ${presented.fingerprint256}, subject ${presented.subject}, issued by ${presented.issuer}.`
    : '';
  return (
    `${why}${shown} If this is your own relay, an admin can pin this fingerprint or paste its CA in the profile's TLS trust;` +
    " otherwise check that the SMTP server name is the provider's documented host."
  );
}

/**
 * Turns a failed connection test (or send) into advice a person can act on: which field to change, and
 * how. It names the failure's class and at most the SMTP reply code; what the far end sent is never
 * echoed, so Test connection cannot be used to read another service's banner. A refused certificate
 * is described by `presented` (tls-trust.ts), when Test connection could read it.
 */
export function explainSmtpError(err: unknown, profile: AdviceProfile, presented?: PresentedCertificate): SmtpAdvice {
  const e = (err ?? {}) as NodemailerError & { command?: string; presented?: PresentedCertificate };
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
  if (e.responseCode === 530) {
    return advice('auth', `The server takes mail only after a login${code}. Fill in User and Password with the account's SMTP credentials.`);
  }
  if (isCertificateError(e)) return advice('tls', certificateAdvice(e, profile, presented ?? e.presented));
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

/** An SMTP reply that refused a command, as nodemailer's own errors carry it. */
const refused = (command: string, reply: string) =>
  Object.assign(new Error(`${command} failed`), { code: 'EENVELOPE', command, response: reply, responseCode: Number(reply.slice(0, 3)) });

/**
 * MAIL FROM, answered: nodemailer's connection has no public command for it (send() goes on to DATA),
 * so it is sent the way the connection sends its own commands, with the reply handed to the action queued.
 */
function mailFrom(connection: SMTPConnection, from: string): Promise<void> {
  const commands = connection as unknown as { _sendCommand(line: string): void; _responseActions: ((reply: string) => void)[] };
  return new Promise((resolve, reject) => {
    commands._responseActions.push((reply) => (reply.startsWith('2') ? resolve() : reject(refused('MAIL FROM', reply))));
    // As a send says it: SMTPUTF8 for an address beyond ASCII.
    commands._sendCommand(`MAIL FROM:<${from}>${/[\u0080-\uffff]/.test(from) ? ' SMTPUTF8' : ''}`);
  });
}

/**
 * Test connection: what a send does up to the message itself, with the same options (transport.ts):
 * connects through the same getSocket hook (the outbound guard, a pinned certificate), says EHLO,
 * upgrades TLS with the same certificate checks, logs in as a send does, then, when `from` is given,
 * says MAIL FROM and RSET, so a server that takes mail only after a login (530) is not called
 * "Connected". No message is sent. Then QUIT. Says whether it logged in (a server that offers no
 * AUTH gets none, from a send either).
 */
export async function testSmtpConnection(options: SMTPPool.Options, timeoutMs = 10_000, from?: string): Promise<{ loggedIn: boolean }> {
  const settings = { ...options, pool: false, connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs };
  const getSocket = options.getSocket as GetSocket | undefined;
  const socketOptions = getSocket
    ? await new Promise<Parameters<Parameters<GetSocket>[1]>[1]>((resolve, reject) =>
        getSocket(settings, (err, s) => (err ? reject(err) : resolve(s))),
      )
    : undefined;
  const connection = new SMTPConnection({ ...settings, ...socketOptions } as SMTPConnection.Options);
  const broken = new Promise<never>((_, reject) => {
    connection.once('error', reject);
    connection.once('end', () => reject(Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION' })));
  });
  broken.catch(() => {}); // raced below; the end after QUIT rejects it with no one waiting
  const step = (run: (done: (err?: Error | null) => void) => void) =>
    Promise.race([new Promise<void>((resolve, reject) => run((err) => (err ? reject(err) : resolve()))), broken]);
  try {
    await step((done) => connection.connect((err?: Error | null) => done(err)));
    const auth = options.auth as { user?: string; pass?: string } | undefined;
    // As a send does: log in when the server offers AUTH.
    const loggedIn = Boolean(auth?.user && connection.allowsAuth);
    if (loggedIn) await step((done) => connection.login({ user: auth?.user, pass: auth?.pass ?? '' }, done));
    if (from) {
      await Promise.race([mailFrom(connection, from), broken]);
      await step((done) => connection.reset(done));
    }
    connection.quit();
    return { loggedIn };
  } catch (err) {
    connection.close();
    throw err;
  }
}
