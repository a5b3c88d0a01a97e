/**
 * The app's HTTP API in one place: the zod schema of each request body, which the route handler parses,
 * and the type of each answer, which the handler states with `satisfies` and the client component names
 * in `callApi<...>`. Browser-safe: zod and domain rules only; server shapes are imported as types.
 * Errors are always `ApiErrorBody`, with zod issues or `{ field }` as details (see form-errors.ts).
 */
import { z } from 'zod';
import { Audience } from '@domain/audience';
import { ContactFilter } from '@domain/contact-filter';
import { AttributeName, AttributeTypeSchema, AttributeValue, SubscriptionStatusSchema } from '@domain/contact';
import { SendEmailNode } from '@domain/flow/nodes/send-email';
import type { SmtpPreset } from '@domain/smtp-presets';
import { SmtpProfileInput } from '@domain/smtp-profile';
import { CONTROL_CHARACTERS, emailAddress } from '@domain/text';
import { RunSchedule } from '@domain/run-schedule';
import { NewListName } from '@domain/contact-import';
import type { Role } from '@server/auth';
import type { ApiKey } from '@server/db/api-keys';
import type { Contact } from '@server/db/contacts';
import type { EventAccepted } from '@server/events';
import type { ContactDelivery } from '@server/db/deliveries';
import type { ContactList } from '@server/db/lists';
import type { Segment } from '@server/db/segments';
import type { SegmentCount } from '@server/segments';
import type { TestSend } from '@server/db/ownership';
import type { SandboxMessage, SandboxSummary } from '@server/db/sandbox';
import type { MessageParts } from '@server/sandbox-read';
import type { SmtpProfileView } from '@server/profiles';
import type { RunReport } from '@server/runs/report';
import type { SmtpFailure } from '@server/smtp/advice';
import type { UserSummary } from '@/lib/auth';
import { emailField, passwordField, personNameField, required } from '@/lib/fields';

/** Every error answer: `{ error: { code, message, details? } }` with an HTTP status of 400 or more. */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export * from './api-types-flows';

// ---- runs --------------------------------------------------------------------------------

export const IdempotencyKey = z.string().min(1, 'idempotencyKey must not be empty').max(200, 'idempotencyKey must be at most 200 characters');

/** POST /api/runs. `contactIds: [...]` is shorthand for `audience: {kind: "contacts", contactIds: [...]}`. */
export const StartRunRequest = z.preprocess(
  (body) =>
    body && typeof body === 'object' && 'contactIds' in body && !('audience' in body)
      ? { ...body, audience: { kind: 'contacts', contactIds: body.contactIds } }
      : body,
  z.object({
    flowId: z.string({ error: 'flowId is required' }).min(1, 'flowId is required'),
    version: z.number({ error: 'version must be a number' }).int('version must be a whole number').min(1, 'version must be 1 or more'),
    audience: Audience,
    idempotencyKey: IdempotencyKey.optional(),
    ...RunSchedule.shape,
  }),
);
export type StartRunBody = { flowId: string; version: number; audience: Audience; idempotencyKey?: string; startAt?: string; spreadHours?: number };
/** 201 (started), or 200 (this idempotency key's run, already started) */
export interface RunStarted {
  runId: string;
}

/** GET /api/runs/[id] */
export type RunAnswer = RunReport & { temporalUrl: string | null };

// ---- contacts ----------------------------------------------------------------------------

const optionalName = z
  .string({ error: 'name must be a string' })
  .trim()
  .max(200, 'name must be at most 200 characters')
  .refine((s) => !CONTROL_CHARACTERS.test(s), 'name must not contain line breaks or control characters');
const attributeChanges = {
  /** A value sets the attribute, null removes it; a new name becomes an attribute of the type in `types`, or of its value's. */
  attributes: z.record(AttributeName, AttributeValue.nullable(), { error: 'attributes must be an object of name: value' }).optional(),
  types: z.record(AttributeName, AttributeTypeSchema, { error: 'types must be an object of name: type' }).optional(),
};

/** POST /api/contacts: an email is all a contact needs. */
export const AddContactRequest = z.object({ email: emailField('ada@example.com'), name: optionalName.default(''), ...attributeChanges });
export type AddContactBody = z.input<typeof AddContactRequest>;
/** 201; GET /api/contacts/[id] answers one too. */
export type ContactResponse = Contact;
/** GET /api/contacts?q=&offset=&limit=: newest first; `q` searches email and name, or `attribute:value`. */
export interface ContactPage {
  contacts: Contact[];
  total: number;
  offset: number;
  limit: number;
}

/** PATCH /api/contacts/[id]: the name, attribute changes, and the subscription (lifting a suppression or an unsubscribe: admins only). */
export const UpdateContactRequest = z.object({
  name: optionalName.optional(),
  ...attributeChanges,
  status: SubscriptionStatusSchema.optional(),
});
export type UpdateContactBody = z.input<typeof UpdateContactRequest>;

/** GET /api/contacts/[id]/deliveries: newest first, each with its Temporal link. */
export interface ContactDeliveries {
  contact: Contact;
  deliveries: (ContactDelivery & { temporalUrl: string | null })[];
}

/** POST /api/contacts/[id]/send: the Send node's own rules for subject and body (no CR/LF in the subject). */
export const SendMessageRequest = z.object({
  subject: SendEmailNode.shape.data.shape.subject,
  text: SendEmailNode.shape.data.shape.text,
  /** true: the sender (an admin) knows the contact unsubscribed and sends anyway; without it such a send answers 409. */
  confirmUnsubscribed: z.boolean({ error: 'confirmUnsubscribed must be true or false' }).optional(),
});
export type SendMessageBody = z.input<typeof SendMessageRequest>;
/** 202 */
export interface MessageQueued {
  runId: string;
  workflowId: string;
}

// ---- lists -------------------------------------------------------------------------------

const listName = z
  .string({ error: required('name') })
  .trim()
  .min(1, 'name must not be empty')
  .max(120, 'name must be at most 120 characters')
  .refine((s) => !CONTROL_CHARACTERS.test(s), 'name must not contain line breaks or control characters');
const contactIdList = (label: string) =>
  z
    .array(z.string().min(1, `${label}: a contact id must not be empty`).max(64), { error: `${label} must be a list of contact ids` })
    .max(10_000, `${label}: at most 10,000 contacts at a time`);

/** POST /api/lists: 201 with the list; 409 when the name is taken. */
export const CreateListRequest = z.object({ name: listName });
export type CreateListBody = z.input<typeof CreateListRequest>;
/** GET /api/lists, and each list: its member count and how many of them are subscribed (what a run would mail). */
export interface ListsResponse {
  lists: ContactList[];
}
/** POST /api/lists/[id]/members: adds and removes contacts by hand; answers the list with its counts. */
export const ChangeListMembersRequest = z.object({ add: contactIdList('add').default([]), remove: contactIdList('remove').default([]) });
export type ChangeListMembersBody = z.input<typeof ChangeListMembersRequest>;
export type ListResponse = ContactList;

// ---- segments ----------------------------------------------------------------------------

/** POST /api/segments (201) and PUT /api/segments/[id]: a name and a filter; 422 names the bad rule's field, 409 a taken name. */
export const SaveSegmentRequest = z.object({ name: listName, filter: ContactFilter });
export type SaveSegmentBody = z.input<typeof SaveSegmentRequest>;
export type SegmentResponse = Segment;
/** GET /api/segments/[id]: the segment and how many contacts it matches now (`subscribed`: whom a run would mail). */
export type SegmentWithCount = Segment & { count: SegmentCount };
export interface SegmentsResponse {
  segments: Segment[];
}
/** POST /api/segments/count: the live count of a filter being edited. */
export const CountSegmentRequest = z.object({ filter: ContactFilter });
export type CountSegmentBody = z.input<typeof CountSegmentRequest>;
export type SegmentCountResponse = SegmentCount;

// ---- sandbox -----------------------------------------------------------------------------

/** GET /api/sandbox/messages: newest first, without the raw source. */
/** The mailbox: summaries (headers and size), newest first; a message's text comes from GET /api/sandbox/messages/{id}. */
export type SandboxMessageList = SandboxSummary[];
/** GET /api/sandbox/messages/{id}: one message with its text, HTML part and headers (its source: GET /api/sandbox/messages/{id}/raw). */
export type SandboxMessageView = Omit<SandboxMessage, 'raw'> & MessageParts;
/** DELETE /api/sandbox/messages */
export interface MailboxCleared {
  ok: true;
}

// ---- SMTP profiles -----------------------------------------------------------------------

/** An agent an admin can share SMTP profiles with and set defaults for. */
export interface AgentOption {
  id: string;
  email: string;
  name: string;
}

/** GET /api/smtp-profiles: the profiles the user may use (never a password); agents for admins only. */
export interface SmtpProfileList {
  profiles: SmtpProfileView[];
  presets: SmtpPreset[];
  agents?: AgentOption[];
}

const userIds = (label: string) =>
  z.array(z.string().min(1, `${label}: a user id must not be empty`), { error: `${label} must be a list of user ids` }).max(1000);

/**
 * POST /api/smtp-profiles and PUT /api/smtp-profiles/[id]: SmtpProfileInput (the one schema the browser
 * checks too) plus, for admins, which agents may use the profile and whose default it is.
 */
export const SaveSmtpProfileRequest = SmtpProfileInput.safeExtend({
  sharedWith: userIds('Share with').optional(),
  defaultFor: userIds('Set as default for').optional(),
});
export type SaveSmtpProfileRequest = z.output<typeof SaveSmtpProfileRequest>;
export type SaveSmtpProfileBody = z.input<typeof SaveSmtpProfileRequest>;
/** POST: 201 */
export interface SmtpProfileCreated {
  id: string;
}
/** PUT: `passwordCleared` when the server changed and the stored password was dropped. */
export interface SmtpProfileSaved {
  id: string;
  passwordCleared: boolean;
}
/** GET /api/smtp-profiles/[id]: the profile as the user may see it (only whether a password is stored). */
export type SmtpProfileResponse = SmtpProfileView & { resumedByName: string | null };

/** POST /api/smtp-profiles/test: the form's current values, saved or not; profileId lets a blank password use the stored one. */
export const TestConnectionRequest = SmtpProfileInput.safeExtend({
  profileId: z.string().min(1).max(64).optional(),
});
export type TestConnectionBody = z.input<typeof TestConnectionRequest>;

/** POST /api/smtp-profiles/[id]/test-email */
export const TestEmailRequest = z.object({
  to: z.string({ error: required('to') }).pipe(emailAddress('to', 'you@example.com')),
});
export type TestEmailBody = z.input<typeof TestEmailRequest>;

/** GET /api/smtp-profiles/[id]/test-email: the latest test emails and how each went. */
export interface TestEmailList {
  items: TestSend[];
}

/** Test connection and Send test email: 200 either way; a failure's message says which field to change. */
export interface SmtpCheck {
  ok: boolean;
  /** On failure, its class (blocked, dns, connect, not-smtp, tls, plain-auth, auth, refused, other). */
  failure?: SmtpFailure;
  message: string;
  /** Test connection, when a certificate was refused: the one the server presented, for an admin to pin. */
  certificate?: { fingerprint256: string; subject: string; issuer: string };
}

// ---- users -------------------------------------------------------------------------------

/** POST /api/users (admins only) */
export const CreateUserRequest = z.object({
  email: emailField('agent@example.com'),
  name: personNameField,
  password: passwordField,
  role: z.enum(['admin', 'agent'], { error: 'role must be "admin" or "agent"' }),
});
export type CreateUserBody = z.input<typeof CreateUserRequest>;
/** 201; 409 with details `{ field: 'email' }` when the email is taken. */
export interface UserCreated {
  id: string;
  email: string;
  name: string;
  role: Role;
}

/** GET /api/users (admins only) */
export interface UserList {
  users: UserSummary[];
}

// ---- API keys and events -----------------------------------------------------------------

/** POST /api/api-keys (admins only) */
export const CreateApiKeyRequest = z.object({
  name: z
    .string({ error: required('name') })
    .trim()
    .min(1, 'name must not be empty: say what the key is for, e.g. "Signup form"')
    .max(100, 'name must be at most 100 characters')
    .refine((s) => !CONTROL_CHARACTERS.test(s), 'name must not contain line breaks or control characters'),
});
export type CreateApiKeyBody = z.input<typeof CreateApiKeyRequest>;
/** 201: the key itself, shown this once (only its SHA-256 is stored). */
export interface ApiKeyCreated {
  apiKey: ApiKey;
  key: string;
}
/** GET /api/api-keys (admins only): newest first, revoked ones too. */
export interface ApiKeyList {
  apiKeys: ApiKey[];
}
/** POST /api/v1/events: 202 */
export type EventAnswer = EventAccepted;

// ---- CSV import and export -------------------------------------------------------------------

/** POST /api/imports?name=<file name>, the CSV as the body: 201, the file's columns, first rows and a proposed mapping. */
export type ImportUploadResponse = import('@server/imports').UploadedImport;
/** POST /api/imports/[id]/start: one target per column; `listId` adds every imported contact to that list, `newList` to a new list of that name. */
export const StartImportRequest = z.object({ mapping: z.array(z.unknown()), listId: z.string().min(1).nullish(), newList: NewListName.nullish() });
export type StartImportBody = z.input<typeof StartImportRequest>;
/** GET /api/imports/[id] (what the import page polls), and the answer to a start. */
export interface ImportStatusResponse {
  import: import('@domain/contact-import').ImportProgress;
  /** The first problems, by line (up to 200). */
  problems: import('@domain/contact-import').ImportProblem[];
}
