import type { Metadata } from 'next';
import Link from 'next/link';
import { listContacts } from '@server/db/contacts';
import { formatTime } from '@/lib/format';
import { requireUser } from '@/lib/auth';
import { getDb } from '@/lib/server';
import { AddContactForm } from '@/app/contacts/add-contact-form';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Contacts' };

export default async function ContactsPage() {
  await requireUser();
  const contacts = await listContacts(await getDb());
  return (
    <section>
      <div className="page-head">
        <h1>Contacts</h1>
      </div>
      <AddContactForm />
      {contacts.length === 0 ? (
        <p className="empty">No contacts yet.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Email</th>
              <th>Name</th>
              <th>Added</th>
              <th>Id</th>
            </tr>
          </thead>
          <tbody>
            {contacts.map((c) => (
              <tr key={c.id} data-testid={`contact-row-${c.id}`}>
                <td>
                  <Link href={`/contacts/${c.id}`} data-testid={`contact-link-${c.id}`}>
                    {c.email}
                  </Link>
                </td>
                <td>{c.name}</td>
                <td>{formatTime(c.createdAt)}</td>
                <td className="mono small muted">{c.id}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
