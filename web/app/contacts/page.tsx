import type { Metadata } from 'next';
import Link from 'next/link';
import { attributeText } from '@domain/contact';
import { parseContactSearch, searchContacts } from '@server/db/contacts';
import { Pager } from '@/components/pager';
import { formatTime } from '@/lib/format';
import { requireUser } from '@/lib/auth';
import { PageQuery } from '@/lib/paging';
import { getDb } from '@/lib/server';
import { AddContactForm } from '@/app/contacts/add-contact-form';
import { mayExportContacts } from '@server/access';
import { Count } from '@/components/count';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Contacts' };

const PAGE = 50;

type Props = { searchParams: Promise<Record<string, string | string[] | undefined>> };

/** The contacts, newest first, a page at a time from the server, searched by email, name or `attribute:value`. */
export default async function ContactsPage({ searchParams }: Props) {
  const me = await requireUser();
  const raw = await searchParams;
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const q = (first(raw.q) ?? '').slice(0, 200);
  const paged = PageQuery.safeParse({ offset: first(raw.offset), limit: PAGE });
  const page = paged.success ? paged.data : { offset: 0, limit: PAGE };
  const { contacts, total } = await searchContacts(await getDb(), parseContactSearch(q), page);
  return (
    <section>
      <div className="page-head">
        <h1>Contacts</h1>
        <div className="head-actions">
          <Link className="button" href="/contacts/segments" data-testid="segments-link">
            Segments
          </Link>
          <Link className="button" href="/contacts/import" data-testid="import-contacts">
            Import CSV
          </Link>
          {mayExportContacts(me) && (
            <a className="button" href="/api/contacts/export" download data-testid="export-contacts">
              Export CSV
            </a>
          )}
          {me.role === 'admin' && (
            <Link className="button" href="/contacts/suppressions" data-testid="suppressions-link">
              Suppressions
            </Link>
          )}
        </div>
      </div>
      <AddContactForm />
      <form className="form form--row" method="get" aria-label="Search contacts" data-testid="contact-search-form">
        <div className="field">
          <label htmlFor="contact-search">Search</label>
          <input id="contact-search" name="q" type="search" defaultValue={q} placeholder="email, name, or plan:pro" data-testid="contact-search" />
          <p className="hint">
            Text matches the email or the name; <span className="mono">attribute:value</span> an attribute (<span className="mono">plan:</span> alone:
            contacts that have one).
          </p>
        </div>
        <div className="form__actions">
          <button type="submit" className="button" data-testid="contact-search-submit">
            Search
          </button>
        </div>
      </form>
      <p className="muted" data-testid="contact-total">
        <Count value={total} /> contact{total === 1 ? '' : 's'}
        {q ? ` matching “${q}”` : ''}
      </p>
      {contacts.length === 0 ? (
        <p className="empty">{q ? 'No contact matches.' : 'No contacts yet.'}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Email</th>
              <th>Name</th>
              <th>Subscription</th>
              <th>Attributes</th>
              <th>Added</th>
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
                <td>
                  <span className="badge" data-testid="contact-status">
                    {c.status}
                  </span>
                </td>
                <td className="small">
                  {Object.entries(c.attributes)
                    .slice(0, 4)
                    .map(([k, v]) => `${k}: ${attributeText(v)}`)
                    .join(' · ')}
                </td>
                <td>{formatTime(c.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager param="offset" offset={page.offset} limit={page.limit} total={total} query={q ? { q } : {}} />
    </section>
  );
}
