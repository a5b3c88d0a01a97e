import type { Metadata } from 'next';
import { listUsers, requireAdminPage } from '@/lib/auth';
import { formatTime } from '@/lib/format';
import { CreateUserForm } from '@/app/settings/users/create-user-form';
import { DeleteUser } from '@/app/settings/users/delete-user';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Users' };

export default async function UsersPage() {
  const me = await requireAdminPage();
  const users = await listUsers();
  return (
    <section>
      <p className="crumbs">Settings / Users</p>
      <div className="page-head">
        <h1>Users</h1>
      </div>
      <p className="muted">
        Admins manage users and every SMTP profile. Agents send with the profiles shared with them and create private ones of their own. Deleting a
        user gives their flows, runs and private profiles to you.
      </p>
      <CreateUserForm />
      <table className="table" data-testid="users">
        <thead>
          <tr>
            <th>Email</th>
            <th>Name</th>
            <th>Role</th>
            <th>Created</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id} data-testid={`user-row-${u.id}`}>
              <td>
                {u.email} {u.id === me.id && <span className="badge">you</span>}
              </td>
              <td>{u.name}</td>
              <td>
                <span className={`role role--${u.role}`}>{u.role}</span>
              </td>
              <td>{formatTime(u.createdAt)}</td>
              <td>{u.id === me.id ? <span className="muted small">your account</span> : <DeleteUser userId={u.id} email={u.email} />}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
