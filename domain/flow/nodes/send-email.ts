/** Send Email: one message to the contact, through an SMTP profile (or the agent's default, resolved at run start). */
import { z } from 'zod';
import { headerSafe } from '../../text';
import { nodeId, type NodeKind, position, stepName } from '../node';

export const SendEmailData = z.object({
  profileId: z.string().min(1, 'choose a sender (SMTP profile)'),
  subject: headerSafe('subject', 998).pipe(z.string().min(1, 'subject must not be empty')),
  text: z.string().max(200_000, 'body must be at most 200,000 characters'),
});
export type SendEmailData = z.infer<typeof SendEmailData>;

export const SendEmailNode = z.object({ id: nodeId, type: z.literal('sendEmail'), name: stepName, position, data: SendEmailData });

export interface SendEmailStep {
  type: 'sendEmail';
  /** A profile id; in a published version it may still be AGENT_DEFAULT, which starting a run resolves. */
  profileId: string;
  subject: string;
  text: string;
  next: string;
  /**
   * Set by `compile` when a later Condition tests this send's outcome: a failed (or skipped) send goes
   * on to `next` instead of ending the contact's journey. Absent in plans without such a Condition.
   */
  continueOnFailure?: true;
}

export const sendEmail: NodeKind<'sendEmail', SendEmailData, SendEmailStep> = {
  type: 'sendEmail',
  label: 'Send Email',
  outputs: 1,
  unique: false,
  defaults: ({ defaultProfileId }) => ({ profileId: defaultProfileId, subject: 'Hello {{name}}', text: 'Hi {{name}},\n\n' }),
  summary: (data) => data.subject || 'No subject',
  check: () => [],
  step: (data, next) => ({ type: 'sendEmail', profileId: data.profileId, subject: data.subject, text: data.text, next }),
};
