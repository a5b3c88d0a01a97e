/** Send Email: one message to the contact, through an SMTP profile (or the agent's default, resolved at run start). */
import { z } from 'zod';
import { emailAddress, headerSafe } from '../../text';
import { type FlowError, nodeId, type NodeKind, position, stepName } from '../node';
import { Pool, type PoolMember } from '../pool';

/**
 * How the body is written: plain text only; HTML (with a text part written or generated); or MJML,
 * which the server compiles to HTML at publish (server/email-content.ts). Absent means text.
 */
export const BODY_FORMATS = ['text', 'html', 'mjml'] as const;
export type BodyFormat = (typeof BODY_FORMATS)[number];

export const MAX_BODY_CHARS = 200_000;
/** The most a subject may hold: a mail header line is at most 998 characters (RFC 5322). */
export const MAX_SUBJECT = 998;
export const MAX_PREHEADER = 500;

/** What a Send step does for a contact at the frequency cap (server/db/frequency-cap.ts). */
export const WHEN_CAPPED = ['skip', 'wait'] as const;

export const SendEmailData = z.object({
  profileId: z.string().min(1, 'choose a sender (SMTP profile)'),
  subject: headerSafe('subject', MAX_SUBJECT).pipe(z.string().min(1, 'subject must not be empty')),
  /** The line mail clients show after the subject in the inbox; hidden in the HTML body. */
  preheader: headerSafe('preheader', MAX_PREHEADER).optional(),
  format: z.enum(BODY_FORMATS, { error: 'format must be text, html or mjml' }).optional(),
  /** The HTML or MJML source (format html or mjml). */
  html: z.string().max(MAX_BODY_CHARS, 'HTML body must be at most 200,000 characters').optional(),
  /** The text body; with an HTML body, empty means generated from the HTML. */
  text: z.string().max(MAX_BODY_CHARS, 'body must be at most 200,000 characters'),
  /** Replies go here instead of the profile's reply-to. */
  replyTo: z.union([z.literal(''), emailAddress('reply-to', 'support@example.com')]).optional(),
  /** When the contact is at the workspace's frequency cap: skip this email (the default), or send it once the period allows. */
  whenCapped: z.enum(WHEN_CAPPED, { error: 'whenCapped must be skip or wait' }).optional(),
  /** Several profiles with weights (domain/flow/pool.ts); its first member is also `profileId`. Absent: `profileId` alone. */
  pool: Pool.optional(),
});
export type SendEmailData = z.infer<typeof SendEmailData>;

export const SendEmailNode = z.object({ id: nodeId, type: z.literal('sendEmail'), name: stepName, position, data: SendEmailData });

export interface SendEmailStep {
  type: 'sendEmail';
  /** A profile id; in a published version it may still be AGENT_DEFAULT, which starting a run resolves. */
  profileId: string;
  subject: string;
  /** The text part; a published plan carries the one generated from the HTML when none was written. */
  text: string;
  preheader?: string;
  /** The HTML part as a Liquid template; MJML is compiled into it at publish. */
  html?: string;
  /** MJML source, only between `compile` and publishing (server/email-content.ts turns it into `html`). */
  mjml?: string;
  replyTo?: string;
  next: string;
  /**
   * Set by `compile` when a later Condition tests this send's outcome: a failed (or skipped) send goes
   * on to `next` instead of ending the contact's journey. Absent in plans without such a Condition.
   */
  continueOnFailure?: true;
  /** Set when a contact at the frequency cap waits for the period to allow this email; absent: skipped. */
  whenCapped?: 'wait';
  /** The profiles this step sends through, with their weights (`profileId` is the first); absent: `profileId` alone. */
  pool?: PoolMember[];
}

/** Does this template print `name` (`{{ name }}`, `{{name | default: "x"}}`, `{{- name -}}`)? */
export function printsVariable(template: string, name: string): boolean {
  return new RegExp(`\\{\\{-?\\s*${name}\\b`).test(template);
}

function checkSend(node: { id: string; data: SendEmailData }): FlowError[] {
  const { format = 'text', html = '', text } = node.data;
  if (format !== 'text' && html.trim() === '') {
    const what = format === 'mjml' ? 'MJML' : 'HTML';
    return [{ nodeId: node.id, field: 'data.html', message: `write the ${what} body, or choose "Text only"` }];
  }
  if (format === 'text' && text.trim() === '') return [{ nodeId: node.id, field: 'data.text', message: 'write the body of the email' }];
  return [];
}

export const sendEmail: NodeKind<'sendEmail', SendEmailData, SendEmailStep> = {
  type: 'sendEmail',
  label: 'Send Email',
  outputs: 1,
  unique: false,
  defaults: ({ defaultProfileId }) => ({ profileId: defaultProfileId, subject: 'Hello {{name}}', text: 'Hi {{name}},\n\n' }),
  summary: (data) => data.subject || 'No subject',
  check: checkSend,
  step: (data, next) => {
    const { format = 'text', html = '', preheader, replyTo } = data;
    return {
      type: 'sendEmail',
      profileId: data.pool?.[0]?.profileId ?? data.profileId,
      subject: data.subject,
      text: data.text,
      ...(preheader ? { preheader } : {}),
      ...(format === 'html' ? { html } : format === 'mjml' ? { mjml: html } : {}),
      ...(replyTo ? { replyTo } : {}),
      ...(data.whenCapped === 'wait' ? { whenCapped: 'wait' as const } : {}),
      ...(data.pool ? { pool: data.pool.map((m) => ({ ...m })) } : {}),
      next,
    };
  },
};
