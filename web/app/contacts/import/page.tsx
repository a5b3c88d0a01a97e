import type { Metadata } from 'next';
import { visibleLists } from '@server/access';
import { requireUser } from '@/lib/auth';
import { getDb } from '@/lib/server';
import { ImportFlow } from '@/app/contacts/import/import-flow';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Import contacts' };

/** Upload a CSV, check its first rows, say what each column is, and start the import. */
export default async function ImportPage() {
  const user = await requireUser();
  const lists = (await visibleLists(await getDb(), user)).map((l) => ({ id: l.id, name: l.name }));
  return (
    <section>
      <div className="page-head">
        <h1>Import contacts</h1>
      </div>
      <p className="hint">
        A CSV file whose first line names the columns. Contacts are matched by email whatever its case: an existing contact is updated (its
        subscription never changes), a new one is added. A row is refused only when its email is missing or not valid; a value that does not fit its
        column (a bad date, an extra value) is left out and the row imported, with a warning. Each is listed with its line number.
      </p>
      <ImportFlow lists={lists} />
    </section>
  );
}
