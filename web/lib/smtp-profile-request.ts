/** Who may send what in an SMTP profile request (the schema itself is SaveSmtpProfileRequest in api-types.ts). */
import type { AppUser } from '@server/auth';
import { UserError } from '@server/errors';
import type { SaveSmtpProfileRequest } from '@/lib/api-types';

/** Checked before anything is written, so an agent's refused sharing never leaves a half-saved profile. */
export function assertMayShare(user: AppUser, body: SaveSmtpProfileRequest): void {
  if (user.role !== 'admin' && (body.sharedWith !== undefined || body.defaultFor !== undefined)) {
    throw new UserError(403, 'admin_only', 'only admins share profiles and set defaults for agents; leave out sharedWith and defaultFor');
  }
}
