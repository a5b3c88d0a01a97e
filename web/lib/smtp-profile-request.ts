/**
 * The SMTP profile form as the API reads it: SmtpProfileInput (the one schema the browser checks
 * too) plus, for admins, which agents may use the profile and whose default it is.
 */
import { z } from 'zod';
import type { AppUser } from '@server/auth';
import { UserError } from '@server/errors';
import { SmtpProfileInput } from '@domain/smtp-profile';

const userIds = (label: string) =>
  z.array(z.string().min(1, `${label}: a user id must not be empty`), { error: `${label} must be a list of user ids` }).max(1000);

export const SaveSmtpProfileRequest = SmtpProfileInput.safeExtend({
  sharedWith: userIds('Share with').optional(),
  defaultFor: userIds('Set as default for').optional(),
});
export type SaveSmtpProfileRequest = z.output<typeof SaveSmtpProfileRequest>;

/** Test connection: the form's current values, saved or not; profileId lets a blank password use the stored one. */
export const TestConnectionRequest = SmtpProfileInput.safeExtend({
  profileId: z.string().min(1).max(64).optional(),
});

/** Checked before anything is written, so an agent's refused sharing never leaves a half-saved profile. */
export function assertMayShare(user: AppUser, body: SaveSmtpProfileRequest): void {
  if (user.role !== 'admin' && (body.sharedWith !== undefined || body.defaultFor !== undefined)) {
    throw new UserError(403, 'admin_only', 'only admins share profiles and set defaults for agents; leave out sharedWith and defaultFor');
  }
}
