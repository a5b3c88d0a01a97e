/**
 * What an SMTP outcome means (docs/design.md, "Every SMTP outcome is classified"): only errors that
 * nodemailer raised for a send come here, never a database error after one. Every outcome names
 * the stage of the SMTP session where it happened: only a connection lost after the message's data
 * was sent, before its reply, leaves the outcome unknown.
 */

export type SmtpOutcomeKind =
  /** Try again later (4xx, a connection refused, reset or lost before the end of the data). */
  | 'transient'
  /** The server wants fewer messages per second: slow the profile down and wait for the next slot. */
  | 'throttled'
  /** The server wants fewer connections at once. */
  | 'too-many-connections'
  /** 5xx to the message, or a message nodemailer cannot send: this message will never be accepted. */
  | 'permanent'
  /** The profile's settings are wrong (login refused, TLS certificate or handshake, server not allowed): sending pauses until someone fixes them. */
  | 'configuration';

/**
 * Where in the SMTP session an outcome happened. 'session': the connection was lost in an open
 * session before the message's data (nodemailer reports such losses without their command).
 */
export type SmtpStage = 'connect' | 'greeting' | 'EHLO' | 'STARTTLS' | 'AUTH' | 'session' | 'MAIL' | 'RCPT' | 'DATA' | 'end of data';

export interface SmtpOutcome {
  kind: SmtpOutcomeKind;
  stage: SmtpStage;
  code: number | null;
  /** The server's reply, or the error, as the delivery log shows it. */
  reply: string;
  /** The connection broke after the message's data was sent, before its reply: the server may have it. */
  unknown: boolean;
  /** A permanent failure naming the recipient's mailbox (550 5.1.1 and the like): the address is suppressed. */
  badMailbox: boolean;
}

export interface NodemailerError {
  code?: string;
  /** The code of the system or TLS error underneath (ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT, ...). */
  originalCode?: string;
  responseCode?: number;
  response?: string;
  message?: string;
  /** The command in flight; nodemailer says 'CONN' for a connection that failed or broke, whatever the stage. */
  command?: string;
  /** How much of the message's data went out when it failed (set by the sending thread, send-thread-main.ts); 'unknown' when the thread was lost with it. */
  dataSent?: 'none' | 'some' | 'all' | 'unknown';
  /** The connection speaks TLS from its first byte (SSL, set by the sending thread): a TLS failure is at connect, else at STARTTLS. */
  implicitTls?: boolean;
  beforeSmtp?: boolean;
}

const RATE_REPLY = /maximum sending rate exceeded|throttl|rate limit|too much mail|too many messages|sending rate|slow down/i;
const CONNECTIONS_REPLY = /too many (concurrent )?connections|too many sessions/i;
/** A limit on messages per connection (Exchange's 4.3.2): a new connection goes on, nothing to slow down. */
const PER_CONNECTION_REPLY = /(limit|messages) per connection|on this connection/i;
const LOGIN_REPLY = /too many login|authentication attempts|too many auth/i;
const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_SSL|ERR_TLS|HOSTNAME|ALTNAME/;
const TLS_TEXT = /certificate|self[- ]signed|altname|handshake|wrong version number|ssl3?_|tlsv1 alert|unable to verify/i;
const NOT_CONNECTED = /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|EADDRNOTAVAIL/;

/** A TLS failure: a certificate not trusted or for another name, or a handshake that failed. */
export function tlsFailure(err: unknown): boolean {
  const e = (err ?? {}) as NodemailerError;
  return e.code === 'ETLS' || TLS_CODE.test(e.originalCode ?? '') || TLS_TEXT.test(e.message ?? '');
}

/** The stage of the session where a send failed, from the command nodemailer names and what the sending thread saw. */
export function stageOf(err: unknown): SmtpStage {
  const e = (err ?? {}) as NodemailerError;
  const command = (e.command ?? '').toUpperCase();
  if (command.startsWith('MAIL')) return 'MAIL';
  if (command.startsWith('RCPT')) return 'RCPT';
  // A refused message (EMESSAGE) is the reply to its end of data; a refused DATA command is EENVELOPE.
  if (command === 'DATA') return e.code === 'EMESSAGE' ? 'end of data' : 'DATA';
  if (command.startsWith('AUTH')) return 'AUTH';
  if (command === 'STARTTLS') return 'STARTTLS';
  if (command === 'EHLO' || command === 'HELO' || command === 'LHLO') return 'EHLO';
  if (e.dataSent === 'all') return 'end of data';
  if (e.dataSent === 'some') return 'DATA';
  const text = `${e.originalCode ?? ''} ${e.message ?? ''}`;
  if (e.beforeSmtp || e.code === 'EDNS' || e.code === 'EOUTBOUND' || NOT_CONNECTED.test(text)) return 'connect';
  if (/greeting/i.test(text) || e.code === 'EPROTOCOL') return 'greeting';
  // Port 465 speaks TLS from the first byte; otherwise TLS comes with STARTTLS.
  if (tlsFailure(err)) return e.implicitTls ? 'connect' : 'STARTTLS';
  if (e.code === 'ETIMEDOUT' && /connection timeout|CONNECTION/i.test(text)) return 'connect';
  return 'session';
}

/** Classifies a failed send from the error nodemailer raised. */
export function classifySmtpError(err: unknown): SmtpOutcome {
  const e = (err ?? {}) as NodemailerError;
  const code = typeof e.responseCode === 'number' ? e.responseCode : null;
  const reply = (e.response ?? e.message ?? String(err)).trim();
  const stage = stageOf(err);
  const outcome = (kind: SmtpOutcomeKind): SmtpOutcome => ({
    kind,
    stage,
    code,
    reply,
    unknown: kind === 'transient' && code === null && (stage === 'end of data' || e.dataSent === 'unknown'),
    badMailbox: kind === 'permanent' && badMailbox(err),
  });
  if (code !== null && code >= 400 && code < 500) {
    // A 4xx at any stage, AUTH included, is temporary. Only replies about pace slow the profile down.
    if (CONNECTIONS_REPLY.test(reply)) return outcome('too-many-connections');
    if (LOGIN_REPLY.test(reply) || PER_CONNECTION_REPLY.test(reply)) return outcome('transient');
    if (code === 421 || code === 454 || RATE_REPLY.test(reply)) return outcome('throttled');
    return outcome('transient');
  }
  // The outbound guard refused the server (internal address): no attempt can work until the profile changes.
  if (e.code === 'EOUTBOUND') return outcome('configuration');
  if (code === 530 || code === 534 || code === 535 || (e.code === 'EAUTH' && (code === null || code >= 500))) {
    return outcome('configuration');
  }
  if (code !== null && code >= 500) return outcome('permanent');
  // Nothing after the end of data is a TLS matter: a certificate or handshake failure is the profile's.
  if (stage !== 'end of data' && tlsFailure(err)) return outcome('configuration');
  if (e.code === 'EENVELOPE' || e.code === 'ECONFIG' || e.code === 'EMESSAGE') return outcome('permanent');
  // ECONNECTION, ETIMEDOUT, ESOCKET, EDNS and anything unknown: try again later.
  return outcome('transient');
}

/** Enhanced status codes that say the mailbox itself is bad: 5.1.1 unknown user, 5.1.2 bad domain, 5.1.3 bad syntax, 5.1.6 moved, 5.1.10 null MX, 5.2.1 disabled. */
const BAD_MAILBOX = /\b5\.(1\.(1|2|3|6|10)|2\.1)\b/;
const RECIPIENT_WORDS = /mailbox|user|recipient|address|no such|does not exist|unknown|invalid/i;

/**
 * A permanent failure that names the recipient's address (550 5.1.1 and the like): mail to it will
 * never arrive, so the contact is suppressed. Policy and content refusals (5.7.x), a full mailbox
 * (552 / 5.2.2) and failures of the whole message are not about the address, and suppress nothing.
 */
export function badMailbox(err: unknown): boolean {
  const e = (err ?? {}) as NodemailerError;
  const code = typeof e.responseCode === 'number' ? e.responseCode : null;
  if (code === null || code < 500 || code >= 600) return false;
  const reply = e.response ?? e.message ?? '';
  if (BAD_MAILBOX.test(reply)) return true;
  return (
    /^RCPT/i.test(e.command ?? '') && (code === 550 || code === 551 || code === 553) && !/\b5\.7\.\d+\b/.test(reply) && RECIPIENT_WORDS.test(reply)
  );
}
