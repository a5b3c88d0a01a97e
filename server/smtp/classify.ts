/**
 * What an SMTP outcome means (docs/design.md, "Every SMTP outcome is classified"): only errors that
 * nodemailer raised for a send come here, never a database error after one.
 */

export type SmtpOutcomeKind =
  /** Try again later (4xx, lost connection before DATA). */
  | 'transient'
  /** The server wants fewer messages per second: slow the profile down and wait for the next slot. */
  | 'throttled'
  /** The server wants fewer connections at once. */
  | 'too-many-connections'
  /** 5xx: this message will never be accepted. */
  | 'permanent'
  /** 5xx to AUTH: the profile's settings are wrong; sending pauses until someone fixes them. */
  | 'configuration';

export interface SmtpOutcome {
  kind: SmtpOutcomeKind;
  code: number | null;
  /** The server's reply, or the error, as the delivery log shows it. */
  reply: string;
  /** The connection broke without a reply: the server may have the message. */
  unknown: boolean;
}

export interface NodemailerError {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
  command?: string;
}

const RATE_REPLY = /maximum sending rate exceeded|throttl|rate limit|too much mail|too many messages|sending rate|slow down/i;
const CONNECTIONS_REPLY = /too many (concurrent )?connections|too many sessions/i;
const LOGIN_REPLY = /too many login|authentication attempts|too many auth/i;

/** Classifies a failed send from the error nodemailer raised. */
export function classifySmtpError(err: unknown): SmtpOutcome {
  const e = (err ?? {}) as NodemailerError;
  const code = typeof e.responseCode === 'number' ? e.responseCode : null;
  const reply = (e.response ?? e.message ?? String(err)).trim();
  const unknown = outcomeUnknown(err);
  const outcome = (kind: SmtpOutcomeKind): SmtpOutcome => ({ kind, code, reply, unknown });
  if (code !== null && code >= 400 && code < 500) {
    // A 4xx at any stage, AUTH included, is temporary. Only replies about pace slow the profile down.
    if (CONNECTIONS_REPLY.test(reply)) return outcome('too-many-connections');
    if (LOGIN_REPLY.test(reply)) return outcome('transient');
    if (code === 421 || code === 454 || RATE_REPLY.test(reply)) return outcome('throttled');
    return outcome('transient');
  }
  // The outbound guard refused the server (internal address): no attempt can work until the profile changes.
  if (e.code === 'EOUTBOUND') return outcome('configuration');
  if (code === 530 || code === 534 || code === 535 || (e.code === 'EAUTH' && (code === null || code >= 500))) {
    return outcome('configuration');
  }
  if (code !== null && code >= 500) return outcome('permanent');
  if (e.code === 'ETLS' || e.code === 'EENVELOPE' || e.code === 'ECONFIG' || e.code === 'EMESSAGE') {
    return outcome('permanent');
  }
  // ECONNECTION, ETIMEDOUT, ESOCKET, EDNS and anything unknown: try again later.
  return outcome('transient');
}

/**
 * A connection lost with no reply, once it was open: the message may have gone out before it broke
 * (after DATA), so its outcome is unknown. Refused or unreachable connections sent nothing.
 */
export function outcomeUnknown(err: unknown): boolean {
  const e = (err ?? {}) as NodemailerError;
  if (typeof e.responseCode === 'number') return false;
  // The outbound guard failed to resolve or connect: nothing was sent.
  if ((err as { beforeSmtp?: unknown } | null)?.beforeSmtp === true) return false;
  if (e.code !== 'ECONNECTION' && e.code !== 'ESOCKET' && e.code !== 'ETIMEDOUT') return false;
  return !/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|Greeting never received/i.test(e.message ?? '');
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
