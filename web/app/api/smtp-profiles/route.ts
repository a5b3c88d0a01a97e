import { smtpPresets } from '@domain/smtp-presets';
import { createProfile, listProfiles } from '@server/profiles';
import { SaveSmtpProfileRequest, type SmtpProfileCreated, type SmtpProfileList } from '@/lib/api-types';
import { listAgents, userRoute } from '@/lib/auth';
import { getConfig, getDb, getKeyring, getSandboxServer, readBody } from '@/lib/server';
import { assertMayShare } from '@/lib/smtp-profile-request';

export const dynamic = 'force-dynamic';

/** The profiles the user may use (never a password), the presets, and for admins the agents to share with. */
export const GET = userRoute(async (_request: Request, _context: unknown, user) => {
  const profiles = await listProfiles(await getDb(), user);
  return Response.json({
    profiles,
    presets: smtpPresets(getConfig()),
    ...(user.role === 'admin' ? { agents: await listAgents() } : {}),
  } satisfies SmtpProfileList);
});

/** Creates a profile owned by the user: 201 {id}. Sharing and defaults are for admins (403 otherwise). */
export const POST = userRoute(async (request: Request, _context: unknown, user) => {
  const body = await readBody(request, SaveSmtpProfileRequest);
  assertMayShare(user, body);
  const { id } = await createProfile(await getDb(), getKeyring(), user, body, getSandboxServer());
  return Response.json({ id } satisfies SmtpProfileCreated, { status: 201 });
});
