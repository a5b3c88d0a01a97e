/**
 * Preview of a Send Email node: the message one contact would get, rendered by `composeMessage`
 * (server/smtp/message.ts), the very code the send path uses, with the contact's unsubscribe link.
 * "Send preview to the sandbox" sends that rendering with the bundled sandbox profile, metered like a
 * test email (server/test-email.ts): the sandbox keeps it, nothing leaves the install. "Send preview to
 * me" sends it to the signed-in user's own address with the node's sender, through the same metered
 * path and the outbound guard, as the user's mail client will show it.
 */
import type { ContactAttributes } from '../domain/contact';
import type { EventProperties } from '../domain/events';
import { type BodyFormat, sendEmail } from '../domain/flow/nodes/send-email';
import { SANDBOX_PROFILE_ID } from '../domain/senders';
import { templateVariables } from '../domain/template-variables';
import { visibleFlow } from './access';
import type { Keyring } from './crypto';
import type { Db } from './db';
import { getContact } from './db/contacts';
import { getSmtpProfile } from './db/smtp-profiles';
import { prepareSendStep } from './email-content';
import { UserError } from './errors';
import { type Actor, resolveSender } from './profiles';
import { composeMessage } from './smtp/message';
import { REQUEST_LIMIT_MS, TemplateRenderError } from './templates';
import type { OutboundPolicy } from './smtp/outbound';
import { sendTestEmail, type TestEmailResult } from './test-email';
import { unsubscribeUrl } from './unsubscribe';

export interface PreviewInput {
  /** The node's sender, subject and bodies as the editor holds them now (saved or not). */
  profileId: string;
  subject: string;
  text: string;
  preheader?: string | undefined;
  format?: BodyFormat | undefined;
  html?: string | undefined;
  replyTo?: string | undefined;
  /** A contact to render for, or sample values typed in the editor. */
  contactId?: string | undefined;
  sample?: { name: string; email: string; attributes: ContactAttributes } | undefined;
  /** Sample properties of the API event that starts the journey, typed in the editor: `{{ event.<name> }}` (empty without). */
  event?: EventProperties | undefined;
}

export interface Preview {
  from: string;
  to: string;
  replyTo: string | null;
  subject: string;
  text: string;
  /** The HTML part as sent (preheader and unsubscribe footer included); null for a text-only message. */
  html: string | null;
  /** The link the message carries (body and List-Unsubscribe header). */
  unsubscribeUrl: string;
  /** Variables the templates print with no default that this contact has no value for: they rendered empty. */
  empty: string[];
}

/** The variables printed bare in the fields (the HTML or MJML source as written) that the contact has no value for. */
function emptyVariables(
  fields: (string | undefined)[],
  contact: { name: string; email: string; attributes: ContactAttributes },
  event: EventProperties | undefined,
): string[] {
  const values: Record<string, unknown> = { ...contact.attributes, name: contact.name, email: contact.email, unsubscribe_url: 'set', event };
  const empty = new Set<string>();
  for (const source of fields) {
    for (const use of templateVariables(source ?? '')) {
      const value = Object.hasOwn(values, use.name) ? values[use.name] : undefined;
      if (use.printed && (value === undefined || value === null || value === '')) empty.add(use.name);
    }
  }
  return [...empty];
}

/** Where unsubscribe links point, and the key that signs them: as the send path makes them. */
export interface LinkSettings {
  publicUrl: string;
  secret: Buffer;
}

/** A sample is no contact: its link carries a token for this id, which the unsubscribe page finds no contact for. */
const SAMPLE_CONTACT_ID = 'preview-sample';

export async function previewSendAs(
  db: Db,
  actor: Actor,
  flowId: string,
  input: PreviewInput,
  link: LinkSettings,
  /** 'inert': the unsubscribe link names no contact (a copy sent to someone else must not unsubscribe the contact). */
  unsubscribeLink: 'contact' | 'inert' = 'contact',
): Promise<Preview> {
  await visibleFlow(db, actor, flowId);
  let contact: { id: string; name: string; email: string; attributes: ContactAttributes };
  if (input.contactId !== undefined) {
    const found = await getContact(db, input.contactId);
    if (!found) throw new UserError(404, 'contact_not_found', `contact "${input.contactId}" does not exist`, { field: 'contactId' });
    contact = found;
  } else if (input.sample) {
    contact = { id: SAMPLE_CONTACT_ID, ...input.sample };
  } else {
    throw new UserError(422, 'contact_required', 'choose a contact (contactId) or type sample values (sample) to preview for', {
      field: 'contactId',
    });
  }
  const profile = await resolveSender(db, actor, input.profileId);
  const url = unsubscribeUrl(link.publicUrl, link.secret, unsubscribeLink === 'inert' ? SAMPLE_CONTACT_ID : contact.id);
  // The node as publishing makes it: its plan step, MJML compiled, the text part generated when not written.
  const data = {
    profileId: input.profileId,
    subject: input.subject,
    text: input.text,
    preheader: input.preheader,
    format: input.format,
    html: input.html,
  };
  const step = sendEmail.step(data, '', {});
  if (!step) throw new Error('a Send Email node always has a step');
  // MJML compiling and rendering, in template threads, within one request's time.
  const until = Date.now() + REQUEST_LIMIT_MS;
  const prepared = await prepareSendStep('preview', step, until);
  const [problem] = prepared.errors;
  if (problem) throw new UserError(422, 'invalid_template', problem.message, { field: problem.field?.replace(/^data\./, '') ?? 'html' });
  const content = { ...prepared.step, replyTo: input.replyTo, event: input.event };
  let message: Awaited<ReturnType<typeof composeMessage>>;
  try {
    message = await composeMessage(profile, contact, content, '<preview@dripline.local>', { unsubscribeUrl: url, until });
  } catch (err) {
    if (!(err instanceof TemplateRenderError)) throw err;
    throw new UserError(422, 'invalid_template', err.message, { field: err.field ?? 'html' });
  }
  return {
    from: `${profile.fromName} <${profile.fromEmail}>`,
    to: contact.name ? `${contact.name} <${contact.email}>` : contact.email,
    replyTo: input.replyTo || profile.replyTo || null,
    subject: String(message.subject ?? ''),
    text: String(message.text ?? ''),
    html: typeof message.html === 'string' ? message.html : null,
    unsubscribeUrl: url,
    empty: emptyVariables(
      [input.subject, input.preheader, input.format && input.format !== 'text' ? input.html : undefined, input.text],
      contact,
      input.event,
    ),
  };
}

/** The rendered preview as a test email carries it: both parts, the node's reply-to and the unsubscribe headers. */
function asSent(preview: Preview, toName: string | null | undefined) {
  return {
    ...(toName ? { toName } : {}),
    subject: preview.subject,
    text: preview.text,
    ...(preview.html !== null ? { html: preview.html } : {}),
    ...(preview.replyTo ? { replyTo: preview.replyTo } : {}),
    headers: { 'List-Unsubscribe': `<${preview.unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
  };
}

/** Renders the preview and sends it to the contact's address through the sandbox profile (which keeps every message). */
export async function sendPreviewToSandbox(
  db: Db,
  keyring: Keyring,
  policy: OutboundPolicy,
  messageIdSecret: Buffer,
  actor: Actor,
  flowId: string,
  input: PreviewInput,
  link: LinkSettings,
  /** Where the bundled sandbox server listens (SANDBOX_SMTP_HOST/PORT). */
  sandboxServer: { host: string; port: number },
): Promise<TestEmailResult & { preview: Preview }> {
  const preview = await previewSendAs(db, actor, flowId, input, link);
  // A preview goes to a real contact's address: only ever to the bundled sandbox, never to a server the profile was changed to.
  const sandbox = await getSmtpProfile(db, SANDBOX_PROFILE_ID);
  if (!sandbox || sandbox.host !== sandboxServer.host || sandbox.port !== sandboxServer.port) {
    throw new UserError(
      409,
      'sandbox_moved',
      `not sent: the Sandbox profile no longer points at the bundled sandbox server (${sandboxServer.host}:${sandboxServer.port}); restarting Dripline restores it`,
    );
  }
  const to = input.contactId !== undefined ? await getContact(db, input.contactId) : input.sample;
  const result = await sendTestEmail(db, keyring, policy, messageIdSecret, actor, SANDBOX_PROFILE_ID, to?.email ?? '', asSent(preview, to?.name));
  return { ...result, preview };
}

/**
 * Renders the preview for the chosen contact (or sample) and sends it to the signed-in user's own address
 * with the node's sender ("Agent's default" resolved for the user, who must be allowed to use it), through
 * `sendTestEmail`: the profile's pace and daily cap, the ledger, the delivery log, the outbound guard. Its
 * unsubscribe link (body and List-Unsubscribe) names no contact, so a click in the user's copy unsubscribes nobody.
 */
export async function sendPreviewToMe(
  db: Db,
  keyring: Keyring,
  policy: OutboundPolicy,
  messageIdSecret: Buffer,
  user: Actor & { email: string; name: string },
  flowId: string,
  input: PreviewInput,
  link: LinkSettings,
): Promise<TestEmailResult & { preview: Preview }> {
  const preview = await previewSendAs(db, user, flowId, input, link, 'inert');
  const profile = await resolveSender(db, user, input.profileId);
  const result = await sendTestEmail(db, keyring, policy, messageIdSecret, user, profile.id, user.email, asSent(preview, user.name));
  return { ...result, preview };
}
