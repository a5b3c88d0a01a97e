/**
 * What an SMTP outcome means (see ARCHITECTURE.md, "Classify every SMTP outcome"): only errors that
 * nodemailer raised for a send come here, never a database error after one.
 */
export type SmtpOutcomeKind = 'transient' | 'throttled' | 'permanent' | 'configuration';

export interface SmtpOutcome {
  kind: SmtpOutcomeKind;
  code: number | null;
  /** The server's reply, or the error, as the delivery log shows it. */
  reply: string;
}

export interface NodemailerError {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

/** Classifies a failed send from the error nodemailer raised. */
export function classifySmtpError(err: unknown): SmtpOutcome {
  const e = (err ?? {}) as NodemailerError;
  const code = typeof e.responseCode === 'number' ? e.responseCode : null;
  const reply = (e.response ?? e.message ?? String(err)).trim();
  if (e.code === 'EAUTH' || code === 535 || code === 530) return { kind: 'configuration', code, reply };
  if (/maximum sending rate exceeded|throttl/i.test(reply) || code === 421 || code === 454) {
    return { kind: 'throttled', code, reply };
  }
  if (code !== null && code >= 400 && code < 500) return { kind: 'transient', code, reply };
  if (code !== null && code >= 500) return { kind: 'permanent', code, reply };
  if (e.code === 'ETLS' || e.code === 'EENVELOPE' || e.code === 'ECONFIG' || e.code === 'EMESSAGE') {
    return { kind: 'permanent', code, reply };
  }
  // ECONNECTION, ETIMEDOUT, ESOCKET, EDNS and anything unknown: try again later.
  return { kind: 'transient', code, reply };
}
