/**
 * Contacts out as CSV, streamed: pages of 1,000 contacts (keyset paging by id) go through
 * `csv-stringify`, so an export of any size holds one page in memory. The columns are those an
 * import reads back: email, name, status, created_at, then every attribute by name. A cell a
 * spreadsheet would run as a formula (`=HYPERLINK(…)` as a name) is written with a leading single
 * quote; the import takes it off again.
 */
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { attributeText } from '../domain/contact';
import { neutraliseCell } from '../domain/contact-import';
import type { Db } from './db';
import { contactsAfter, listAttributeDefinitions } from './db/contacts';

const PAGE = 1000;

export async function exportContactsCsv(db: Db, options: { listId?: string }): Promise<Readable> {
  const attributes = (await listAttributeDefinitions(db)).map((d) => d.name);
  async function* rows() {
    let after = '';
    for (;;) {
      const page = await contactsAfter(db, after, PAGE, options.listId);
      for (const c of page)
        yield [c.email, c.name, c.status, c.createdAt, ...attributes.map((a) => attributeText(c.attributes[a]))].map(neutraliseCell);
      const last = page.at(-1);
      if (!last || page.length < PAGE) return;
      after = last.id;
    }
  }
  return Readable.from(rows()).pipe(stringify({ header: true, columns: ['email', 'name', 'status', 'created_at', ...attributes] }));
}
