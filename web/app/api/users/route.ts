import { headers } from 'next/headers';
import { UserError } from '@server/errors';
import { CreateUserRequest, type UserCreated, type UserList } from '@/lib/api-types';
import { fromAuthError, getAuth, listUsers, userRoute } from '@/lib/auth';
import { readBody } from '@/lib/server';

export const dynamic = 'force-dynamic';

/** Every user (admins only). Passwords live in better-auth's account table and are never read here. */
export const GET = userRoute(async () => Response.json({ users: await listUsers() } satisfies UserList), { admin: true });

/** Creates a user who signs in with this email and password: 201 {id, email, name, role}; 409 if the email is taken. */
export const POST = userRoute(
  async (request: Request) => {
    const body = await readBody(request, CreateUserRequest);
    const auth = await getAuth();
    try {
      const { user } = await auth.api.createUser({ headers: await headers(), body });
      return Response.json({ id: user.id, email: user.email, name: user.name, role: body.role } satisfies UserCreated, { status: 201 });
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
