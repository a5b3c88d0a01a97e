import { headers } from 'next/headers';
import { z } from 'zod';
import { UserError } from '../../../../activities/errors';
import { fromAuthError, getAuth, listUsers, userRoute } from '../../../lib/auth';
import { readBody } from '../../../lib/server';

export const dynamic = 'force-dynamic';

const CreateUserRequest = z.object({
  email: z
    .string({ error: (issue) => (issue.input === undefined ? 'email is required' : 'email must be a string') })
    .trim()
    .max(254, 'email must be at most 254 characters')
    .pipe(z.email('enter a valid email address, like agent@example.com')),
  name: z
    .string({ error: (issue) => (issue.input === undefined ? 'name is required' : 'name must be a string') })
    .trim()
    .min(1, 'name must not be empty')
    .max(200, 'name must be at most 200 characters')
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'name must not contain line breaks or control characters'),
  password: z
    .string({ error: (issue) => (issue.input === undefined ? 'password is required' : 'password must be a string') })
    .min(10, 'password must be at least 10 characters')
    .max(128, 'password must be at most 128 characters'),
  role: z.enum(['admin', 'agent'], { error: 'role must be "admin" or "agent"' }),
});

/** Every user (admins only). Passwords live in better-auth's account table and are never read here. */
export const GET = userRoute(async () => Response.json({ users: await listUsers() }), { admin: true });

/** Creates a user who signs in with this email and password: 201 {id, email, name, role}; 409 if the email is taken. */
export const POST = userRoute(
  async (request: Request) => {
    const body = await readBody(request, CreateUserRequest);
    const auth = await getAuth();
    try {
      const { user } = await auth.api.createUser({ headers: await headers(), body });
      return Response.json({ id: user.id, email: user.email, name: user.name, role: body.role }, { status: 201 });
    } catch (err) {
      const mapped = fromAuthError(err);
      if (mapped instanceof UserError && /already exists/i.test(mapped.message)) {
        throw new UserError(409, 'duplicate_email', `a user with email ${body.email} already exists`, { field: 'email' });
      }
      throw mapped;
    }
  },
  { admin: true },
);
