/** The flows part of the app's HTTP API (web/lib/api-types.ts re-exports it): request schemas and answer types. */
import { z } from 'zod';
import { ContactAttributes } from '@domain/contact';
import { EventProperties } from '@domain/events';
import type { FlowError } from '@domain/flow/node';
import { SendEmailData } from '@domain/flow/nodes/send-email';
import { CONTROL_CHARACTERS, emailAddress } from '@domain/text';
import type { Flow } from '@server/db/flows';
import type { Preview } from '@server/preview';
import { required } from '@/lib/fields';
import type { SmtpCheck } from './api-types';

// ---- flows -------------------------------------------------------------------------------

/** POST /api/flows: the body is optional. */
export const CreateFlowRequest = z
  .object({ name: z.string().trim().min(1, 'name must not be empty').max(120, 'name must be at most 120 characters').optional() })
  .default({});
/** 201 */
export interface FlowCreated {
  id: string;
}

/** GET /api/flows/[id] */
export type FlowResponse = Flow;

/** PUT /api/flows/[id]. The graph is checked separately, so its errors can name node ids instead of array indexes. */
export const SaveFlowRequest = z.object({
  name: z
    .string({ error: required('name') })
    .trim()
    .min(1, 'name must not be empty')
    .max(120, 'name must be at most 120 characters')
    .refine((s) => !CONTROL_CHARACTERS.test(s), 'name must not contain line breaks or control characters'),
  graph: z.unknown().refine((g) => g !== undefined, 'graph is required'),
});
export type SaveFlowBody = z.input<typeof SaveFlowRequest>;
export interface FlowSaved {
  ok: true;
}

/** PATCH /api/flows/[id]: archive the flow, or restore it. */
export const ArchiveFlowRequest = z.object({ archived: z.boolean({ error: 'archived must be true (archive) or false (restore)' }) });
export type ArchiveFlowBody = z.input<typeof ArchiveFlowRequest>;
export interface FlowArchived {
  archived: boolean;
}

/** POST /api/flows/[id]/publish: the body is optional; `note` says what this version changes, for the version history. */
export const PublishFlowRequest = z
  .object({
    note: z
      .string({ error: 'note must be text' })
      .trim()
      .max(500, 'note must be at most 500 characters')
      .refine((s) => !CONTROL_CHARACTERS.test(s), 'note must not contain line breaks or control characters')
      .optional(),
  })
  .default({});
export type PublishFlowBody = z.input<typeof PublishFlowRequest>;
export interface FlowPublished {
  version: number;
  /** Problems that did not stop publishing (severity 'warning'), e.g. a campaign body without {{ unsubscribe_url }}. */
  warnings: FlowError[];
}

/**
 * POST /api/flows/import: `file` is what GET /api/flows/[id]/export answered (the route also takes the
 * file itself as the body); `profileMap` replaces each SMTP profile the file names with one of yours.
 */
export const ImportFlowRequest = z.object({
  file: z.unknown().refine((f) => f !== undefined, 'file is required: the JSON that Export wrote'),
  profileMap: z.record(z.string(), z.string().min(1, 'choose a profile for every profile to map')).default({}),
});
export type ImportFlowBody = z.input<typeof ImportFlowRequest>;
/** 201 */
export interface FlowImported {
  id: string;
  name: string;
}

/** POST /api/flows/[id]/preview (and /preview/sandbox): a Send node as the editor holds it, for a contact or sample values. */
export const PreviewRequest = z
  .object({
    profileId: z.string({ error: required('profileId') }).min(1, 'choose a sender (SMTP profile)'),
    subject: SendEmailData.shape.subject,
    text: SendEmailData.shape.text,
    preheader: SendEmailData.shape.preheader,
    format: SendEmailData.shape.format,
    html: SendEmailData.shape.html,
    replyTo: SendEmailData.shape.replyTo,
    contactId: z.string().min(1, 'contactId must not be empty').max(64).optional(),
    sample: z
      .object({
        name: z.string().max(200, 'sample.name must be at most 200 characters').default(''),
        email: z.string({ error: required('sample.email') }).pipe(emailAddress('sample.email', 'ada@example.com')),
        attributes: ContactAttributes.default({}),
      })
      .optional(),
    /** Sample properties of the API event that starts the journey: `{{ event.<name> }}`. */
    event: EventProperties.optional(),
  })
  .refine((r) => r.contactId !== undefined || r.sample !== undefined, {
    path: ['contactId'],
    message: 'choose a contact (contactId) or type sample values (sample)',
  });
export type PreviewBody = z.input<typeof PreviewRequest>;
export type PreviewResponse = Preview;
/** POST /api/flows/[id]/preview/sandbox and /preview/me */
export interface PreviewSent extends SmtpCheck {
  preview: Preview;
}
