/**
 * The chunked CSV import on a real SQLite database and a real PostgreSQL one, without Temporal: bad rows reported by line with
 * their reason, duplicates by email whatever the case, upserts that keep an existing contact's id and
 * subscription, the list, a resumed job that neither loses nor doubles rows, and the export back.
 */
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { columnTypeSampler, neutraliseCell, suggestMapping } from '../domain/contact-import';
import { exportContactsCsv } from '../server/contact-export';
import { importSlice } from '../server/contact-import';
import type { Db } from '../server/db';
import {
  countContacts,
  defineAttributes,
  findContactByEmail,
  getContact,
  insertContact,
  listAttributeDefinitions,
  setContactStatus,
} from '../server/db/contacts';
import { commitImportChunk, getImportProgress, ImportPositionMoved, listImportProblems } from '../server/db/imports';
import { getList, insertList } from '../server/db/lists';
import { UserError } from '../server/errors';
import { prepareImport, uploadImport, visibleImport } from '../server/imports';
import { databases, tempInstallOn } from './databases';

const admin = { id: 'admin-1', role: 'admin' as const };
let db: Db;
let dir: string;
describe.each(databases)('on %s', (dialect) => {
  beforeAll(async () => {
    ({ db, dir } = await tempInstallOn(dialect));
  });
  afterAll(async () => db?.destroy());

  /** 1,000 data rows (lines 2–1001); line 101 has no email, line 501 a bad number, line 801 repeats line 2's email in capitals. */
  function thousandRows(): string {
    const lines = ['Email,Full name,Seats,Signed up,Notes'];
    for (let i = 0; i < 1000; i++) {
      const line = i + 2;
      let email = `person${i}@example.test`;
      let seats = String(i % 7);
      if (line === 101) email = '';
      if (line === 501) seats = 'many';
      if (line === 801) email = 'PERSON0@Example.TEST';
      lines.push(`${email},"Person ${i}, Jr",${seats},2025-01-${String((i % 28) + 1).padStart(2, '0')},note ${i}`);
    }
    return `${lines.join('\n')}\n`;
  }

  async function upload(csv: string) {
    return uploadImport(db, dir, admin, 'people.csv', Readable.from([Buffer.from(csv)]));
  }

  describe('a CSV import', () => {
    it('imports 1,000 rows in chunks, reporting exactly the two bad rows and the duplicate, and creating the attributes', async () => {
      // An existing contact, unsubscribed, whose email differs only in case: updated, never resubscribed nor doubled.
      const existing = await insertContact(db, { email: 'Person5@example.test', name: 'Old name', attributes: { kept: 'yes' } });
      await setContactStatus(db, existing.id, 'unsubscribed', 'asked');
      await defineAttributes(db, [{ name: 'kept', type: 'text' }]);
      const listId = await insertList(db, 'Imported');
      const before = await countContacts(db);

      const uploaded = await upload(thousandRows());
      expect(uploaded.columns).toEqual(['Email', 'Full name', 'Seats', 'Signed up', 'Notes']);
      expect(uploaded.totalRows).toBe(1000);
      expect(uploaded.preview).toHaveLength(5);
      expect(uploaded.preview[0]).toEqual(['person0@example.test', 'Person 0, Jr', '0', '2025-01-01', 'note 0']);
      expect(uploaded.suggested).toEqual([
        { to: 'email' },
        { to: 'name' },
        { to: 'attribute', name: 'seats', type: 'number' },
        { to: 'attribute', name: 'signed_up', type: 'date' },
        { to: 'attribute', name: 'notes', type: 'text' },
      ]);
      expect(uploaded.detected).toEqual(['text', 'text', 'number', 'date', 'text']);

      const mapping = [
        { to: 'email' },
        { to: 'name' },
        { to: 'attribute', name: 'seats', type: 'number' },
        { to: 'attribute', name: 'signed_up', type: 'date' },
        { to: 'attribute', name: 'notes' },
      ];
      await prepareImport(db, admin, uploaded.id, { mapping, listId });
      // One chunk of 100 rows per call, as if the job stopped after each chunk and resumed from the recorded position.
      let calls = 0;
      for (;;) {
        calls++;
        const slice = await importSlice(db, uploaded.id, { chunkRows: 100, budgetMs: 0 });
        if (slice.done) break;
        expect(slice.rowsDone).toBe(calls * 100);
      }
      expect(calls).toBeGreaterThanOrEqual(10);

      const progress = await getImportProgress(db, uploaded.id);
      expect(progress).toMatchObject({ rowsDone: 1000, totalRows: 1000, created: 997, updated: 1, invalid: 1, duplicates: 1, warnings: 1 });
      expect(await listImportProblems(db, uploaded.id, { offset: 0, limit: 100 })).toEqual([
        { line: 101, kind: 'invalid', reason: 'the email is empty' },
        { line: 501, kind: 'warning', reason: 'seats "many" skipped: seats is a number attribute; write a number like 42 or 3.5' },
        {
          line: 801,
          kind: 'duplicate',
          reason: 'PERSON0@Example.TEST is already on line 2 (emails match whatever their case); this line was skipped',
        },
      ]);
      expect((await countContacts(db)) - before).toBe(997);
      const warned = (await getContact(db, (await findContactByEmail(db, 'person499@example.test'))!.id))!;
      expect(warned.attributes).toEqual({ signed_up: '2025-01-24', notes: 'note 499' });
      const types = Object.fromEntries((await listAttributeDefinitions(db)).map((d) => [d.name, d.type]));
      expect(types).toMatchObject({ seats: 'number', signed_up: 'date', notes: 'text' });

      const updated = await getContact(db, existing.id);
      expect(updated).toMatchObject({ email: 'Person5@example.test', name: 'Person 5, Jr', status: 'unsubscribed' });
      expect(updated?.attributes).toEqual({ kept: 'yes', seats: 5, signed_up: '2025-01-06', notes: 'note 5' });
      const first = await findContactByEmail(db, 'person0@example.test');
      expect((await getContact(db, first!.id))?.name).toBe('Person 0, Jr');
      expect((await getList(db, listId))?.members).toBe(998);
    });

    it('commits a chunk only from the recorded position: a stale second attempt writes nothing', async () => {
      const uploaded = await upload('email\nlate@example.test\n');
      await prepareImport(db, admin, uploaded.id, { mapping: [{ to: 'email' }] });
      const row = { line: 2, email: 'late@example.test', name: '', attributes: {} };
      await commitImportChunk(db, { importId: uploaded.id, from: 0, to: 1, rows: [row], problems: [] });
      await expect(commitImportChunk(db, { importId: uploaded.id, from: 0, to: 1, rows: [row], problems: [] })).rejects.toBeInstanceOf(
        ImportPositionMoved,
      );
      expect(await getImportProgress(db, uploaded.id)).toMatchObject({ rowsDone: 1, created: 1, updated: 0 });
      expect(await importSlice(db, uploaded.id)).toEqual({ done: true, rowsDone: 1 });
    });

    it('lets one of two attempts at once commit a chunk, and the other write nothing', async () => {
      // Rounds of two attempts at once (a chunk of one bad row: nothing but the position and the problem to write).
      for (let round = 0; round < 10; round++) {
        const uploaded = await upload('email\nnot-an-email\n');
        await prepareImport(db, admin, uploaded.id, { mapping: [{ to: 'email' }] });
        const chunk = { importId: uploaded.id, from: 0, to: 1, rows: [], problems: [{ line: 2, kind: 'invalid' as const, reason: 'not an email' }] };
        const both = await Promise.allSettled([commitImportChunk(db, chunk), commitImportChunk(db, chunk)]);
        expect(both.map((r) => r.status).sort(), `round ${round}`).toEqual(['fulfilled', 'rejected']);
        expect(both.find((r) => r.status === 'rejected')).toMatchObject({ reason: expect.any(ImportPositionMoved) });
        expect(await getImportProgress(db, uploaded.id)).toMatchObject({ rowsDone: 1, invalid: 1 });
      }
    });

    it('reports bad emails and unreadable quotes by line, and imports a row with an extra value without it', async () => {
      const csv =
        'email,name\r\nok@example.test,Ok\r\nnot-an-email,X\r\nthree@example.test,a,b\r\nbro"ken@example.test,X\r\nlast@example.test,Last\r\n';
      const uploaded = await upload(csv);
      await prepareImport(db, admin, uploaded.id, { mapping: [{ to: 'email' }, { to: 'name' }] });
      const done = await importSlice(db, uploaded.id);
      expect(done.done).toBe(true);
      const problems = await listImportProblems(db, uploaded.id, { offset: 0, limit: 10 });
      expect(problems.map((p) => p.line)).toEqual([3, 4, 5]);
      expect(problems[0]?.reason).toBe('"not-an-email" is not an email address (write it like ada@example.com)');
      expect(problems[1]).toEqual({ line: 4, kind: 'warning', reason: 'has 3 values but the header has 2 columns: the 1 extra skipped' });
      expect((await getContact(db, (await findContactByEmail(db, 'three@example.test'))!.id))?.name).toBe('a');
      expect(problems[2]?.reason).toMatch(/^the CSV cannot be read here: Invalid Opening Quote/);
      expect(await findContactByEmail(db, 'last@example.test')).toBeDefined();
    });

    it('refuses a bad mapping with the field to fix, before anything is written', async () => {
      const uploaded = await upload('email,plan\na@example.test,pro\n');
      const refused = (mapping: unknown) => prepareImport(db, admin, uploaded.id, { mapping }).catch((err: unknown) => err);
      expect(await refused([{ to: 'name' }, { to: 'skip' }])).toMatchObject({ status: 422, details: { field: 'mapping' } });
      expect(await refused([{ to: 'email' }])).toMatchObject({ status: 422, details: { field: 'mapping' } });
      expect(await refused([{ to: 'email' }, { to: 'attribute', name: 'seats', type: 'text' }])).toMatchObject({
        status: 422,
        details: { field: 'mapping.1.type' },
      });
      expect(await refused([{ to: 'email' }, { to: 'attribute', name: 'Bad Name' }])).toMatchObject({
        status: 422,
        details: { field: 'mapping.1.name' },
      });
      expect((await getImportProgress(db, uploaded.id))?.status).toBe('uploaded');
      // A file of 201 attribute columns: over what a contact may hold.
      const wide = await upload(`email,${Array.from({ length: 201 }, (_, i) => `c${i}`).join(',')}\na@example.test${',1'.repeat(201)}\n`);
      const wideMapping = [{ to: 'email' }, ...Array.from({ length: 201 }, (_, i) => ({ to: 'attribute', name: `wide_${i}` }))];
      expect(await prepareImport(db, admin, wide.id, { mapping: wideMapping }).catch((err: unknown) => err)).toMatchObject({
        status: 422,
        code: 'too_many_attributes',
        message: expect.stringMatching(/at most 200.*skip some columns/),
      });
      const empty = await upload('').catch((err: unknown) => err);
      expect(empty).toBeInstanceOf(UserError);
      expect(empty).toMatchObject({ status: 422, code: 'empty_file' });
    });

    it("shows an agent only their own imports: another's answers 404, as if it did not exist", async () => {
      const agent = { id: 'agent-1', role: 'agent' as const };
      const theirs = await uploadImport(db, dir, agent, 'mine.csv', Readable.from([Buffer.from('email\nmine@example.test\n')]));
      const adminsOwn = await upload('email\nadmin@example.test\n');
      expect((await visibleImport(db, agent, theirs.id)).fileName).toBe('mine.csv');
      expect((await visibleImport(db, admin, theirs.id)).fileName).toBe('mine.csv');
      await expect(visibleImport(db, agent, adminsOwn.id)).rejects.toMatchObject({ status: 404, code: 'import_not_found' });
      await expect(prepareImport(db, agent, adminsOwn.id, { mapping: [{ to: 'email' }] })).rejects.toMatchObject({ status: 404 });
    });

    it('imports every row of the corpus-style file that has a valid email, warning by line about the values it left out', async () => {
      const csv = [
        'Email,First Name,last_name,Signed up,Seats,Notes', // 1
        'ada@corpus.test,Ada,Lovelace,2025-01-02,3,first', // 2
        'bob@corpus.test,Bob,Stone,2025-02-03,4,two,EXTRA', // 3: an extra field
        'cy@corpus.test,Cy,Young,2025-13-45,5,bad date', // 4: a bad date
        'dee@corpus.test,Dee,Ray,2025-03-04,6,"a note\non two lines"', // 5–6: a quoted line break
        'not-an-email,Eve,Moss,2025-03-05,7,x', // 7: refused
        'fay@corpus.test,Fay,Lu,2025-03-06,lots,"crlf\r\ninside"', // 8–9: a bad number, a quoted CRLF
        '', // 10
        'gus@corpus.test,Gus,,2025-03-07,8,"last"', // 11
      ].join('\r\n');
      const uploaded = await upload(`${csv}\r\n`);
      expect(uploaded.suggested).toEqual([
        { to: 'email' },
        { to: 'name' },
        { to: 'name' },
        { to: 'attribute', name: 'signed_up', type: 'date' },
        { to: 'attribute', name: 'seats', type: 'number' },
        { to: 'attribute', name: 'notes', type: 'text' },
      ]);
      await prepareImport(db, admin, uploaded.id, { mapping: uploaded.suggested, newList: 'Corpus people' });
      expect(await importSlice(db, uploaded.id)).toEqual({ done: true, rowsDone: 7 });
      expect(await listImportProblems(db, uploaded.id, { offset: 0, limit: 10 })).toEqual([
        { line: 3, kind: 'warning', reason: 'has 7 values but the header has 6 columns: the 1 extra skipped' },
        {
          line: 4,
          kind: 'warning',
          reason: 'signed_up "2025-13-45" skipped: signed_up is a date attribute; write it as YYYY-MM-DD, e.g. 2025-03-31',
        },
        { line: 7, kind: 'invalid', reason: '"not-an-email" is not an email address (write it like ada@example.com)' },
        { line: 8, kind: 'warning', reason: 'seats "lots" skipped: seats is a number attribute; write a number like 42 or 3.5' },
      ]);
      const progress = await getImportProgress(db, uploaded.id);
      expect(progress).toMatchObject({ created: 6, invalid: 1, warnings: 3, duplicates: 0 });
      const contact = async (email: string) => (await getContact(db, (await findContactByEmail(db, email))!.id))!;
      expect(await contact('ada@corpus.test')).toMatchObject({
        name: 'Ada Lovelace',
        attributes: { signed_up: '2025-01-02', seats: 3, notes: 'first' },
      });
      expect((await contact('cy@corpus.test')).attributes).toEqual({ seats: 5, notes: 'bad date' });
      expect((await contact('dee@corpus.test')).attributes.notes).toBe('a note\non two lines');
      expect(await contact('gus@corpus.test')).toMatchObject({ name: 'Gus', attributes: { seats: 8 } });
      // The new list was made for the import, owned by who started it, and holds every imported contact.
      const list = await getList(db, progress!.listId!);
      expect(list).toMatchObject({ name: 'Corpus people', ownerId: admin.id, members: 6 });
      const again = await upload(csv);
      await expect(prepareImport(db, admin, again.id, { mapping: again.suggested, newList: 'corpus PEOPLE' })).rejects.toMatchObject({
        status: 422,
        code: 'duplicate_list',
        details: { field: 'newList' },
      });
      expect((await getImportProgress(db, again.id))?.status).toBe('uploaded');
    });

    it('maps First Name, Last Name or Name to the name, and detects types from most of the sampled cells', () => {
      const none = new Map<string, 'text'>();
      expect(suggestMapping(['email', 'FIRST_NAME', 'Last  Name', 'Plan'], none).map((t) => t.to)).toEqual(['email', 'name', 'name', 'attribute']);
      // A full name column is the name; the parts are then attributes.
      expect(suggestMapping(['Name', 'First name', 'e-mail'], none)).toEqual([
        { to: 'name' },
        { to: 'attribute', name: 'first_name', type: 'text' },
        { to: 'email' },
      ]);
      const sampler = columnTypeSampler(5);
      for (const row of [
        ['1', 'true', '2025-01-01', '007', '1'],
        ['2.5', 'false', '2025-02-01', '012', 'x'],
        ['-3', '', '2025-03-01', '3', '2'],
        ['4', 'true', 'soon', '4', 'y'],
        ['', 'false', '2025-05-01', '5', '3'],
      ])
        sampler.add(row);
      // Four in five dates is a date column; zip-like codes with a leading zero stay text; half numbers is text.
      expect(sampler.types()).toEqual(['number', 'boolean', 'date', 'text', 'text']);
    });

    it('suggests email and name by header and known attribute types', () => {
      expect(suggestMapping(['E-mail', 'Name', 'Plan', '!!'], new Map([['plan', 'text']]))).toEqual([
        { to: 'email' },
        { to: 'name' },
        { to: 'attribute', name: 'plan', type: 'text' },
        { to: 'skip' },
      ]);
    });
  });

  describe('the export', () => {
    it('streams every contact (or a list) as CSV that imports back to the same contacts', async () => {
      const chunks: string[] = [];
      for await (const chunk of await exportContactsCsv(db, {})) chunks.push(String(chunk));
      const csv = chunks.join('');
      const lines = csv.trimEnd().split('\n');
      expect(lines[0]).toBe('email,name,status,created_at,kept,notes,seats,signed_up');
      // One record a contact (a quoted cell may hold a line break, so records are counted, not lines).
      expect(parse(csv)).toHaveLength((await countContacts(db)) + 1);
      expect(lines).toContain(
        'Person5@example.test,"Person 5, Jr",unsubscribed,' +
          (await getContact(db, (await findContactByEmail(db, 'person5@example.test'))!.id))!.createdAt +
          ',yes,note 5,5,2025-01-06',
      );

      const list = await insertList(db, 'Export me');
      await db
        .insertInto('listMembers')
        .values({ listId: list, contactId: (await findContactByEmail(db, 'person9@example.test'))!.id, addedAt: 'now' })
        .execute();
      const listed: string[] = [];
      for await (const chunk of await exportContactsCsv(db, { listId: list })) listed.push(String(chunk));
      expect(
        listed
          .join('')
          .trimEnd()
          .split('\n')
          .map((l) => l.split(',')[0]),
      ).toEqual(['email', 'person9@example.test']);

      // Round trip: a fresh install imports the export and ends with the same contacts and attributes.
      const other = await tempInstallOn(dialect);
      try {
        const uploaded = await uploadImport(other.db, other.dir, admin, 'export.csv', Readable.from([Buffer.from(csv)]));
        const mapping = uploaded.columns.map((c) =>
          c === 'email'
            ? { to: 'email' }
            : c === 'name'
              ? { to: 'name' }
              : c === 'status' || c === 'created_at'
                ? { to: 'skip' }
                : { to: 'attribute', name: c, type: c === 'seats' ? 'number' : c === 'signed_up' ? 'date' : 'text' },
        );
        await prepareImport(other.db, admin, uploaded.id, { mapping });
        await importSlice(other.db, uploaded.id);
        const progress = await getImportProgress(other.db, uploaded.id);
        // The fresh install's seeded contacts are in the export too: those rows update them.
        expect(progress).toMatchObject({ invalid: 0, duplicates: 0, rowsDone: await countContacts(db) });
        expect((progress?.created ?? 0) + (progress?.updated ?? 0)).toBe(await countContacts(db));
        expect(await countContacts(other.db)).toBe(await countContacts(db));
        const a = (await getContact(other.db, (await findContactByEmail(other.db, 'person7@example.test'))!.id))!;
        const b = (await getContact(db, (await findContactByEmail(db, 'person7@example.test'))!.id))!;
        expect({ name: a.name, attributes: a.attributes }).toEqual({ name: b.name, attributes: b.attributes });
      } finally {
        await other.db.destroy();
      }
    });
  });

  it('writes a cell a spreadsheet would run as a formula with a leading quote, and imports it back as it was', async () => {
    const own = await tempInstallOn(dialect);
    const other = await tempInstallOn(dialect);
    try {
      await defineAttributes(own.db, [{ name: 'note', type: 'text' }]);
      const formulas = ['=HYPERLINK("http://evil.test","x")', '+1', '-2+3', '@SUM(A1)', "'=already quoted", "'plain quote"];
      for (const [i, name] of formulas.entries()) await insertContact(own.db, { email: `f${i}@example.test`, name, attributes: { note: name } });
      const chunks: string[] = [];
      for await (const chunk of await exportContactsCsv(own.db, {})) chunks.push(String(chunk));
      const csv = chunks.join('');
      expect(csv).toContain(`f0@example.test,"'=HYPERLINK(""http://evil.test"",""x"")"`);
      for (const line of csv.split('\n').slice(1).filter(Boolean)) expect(line.split(',')[1], line).not.toMatch(/^"?[=+\-@\t\r]/);
      expect(csv).toContain("f4@example.test,''=already quoted");
      expect(csv).toContain("f5@example.test,'plain quote");
      // A tab or carriage return first is a formula to some spreadsheets too.
      expect([neutraliseCell('\tx'), neutraliseCell('\r=1'), neutraliseCell('a=1')]).toEqual(["'\tx", "'\r=1", 'a=1']);

      const uploaded = await uploadImport(other.db, other.dir, admin, 'export.csv', Readable.from([Buffer.from(csv)]));
      const mapping = uploaded.columns.map((c) =>
        c === 'email' ? { to: 'email' } : c === 'name' ? { to: 'name' } : c === 'note' ? { to: 'attribute', name: 'note' } : { to: 'skip' },
      );
      await prepareImport(other.db, admin, uploaded.id, { mapping });
      await importSlice(other.db, uploaded.id);
      expect(await listImportProblems(other.db, uploaded.id, { offset: 0, limit: 20 })).toEqual([]);
      for (const [i, name] of formulas.entries()) {
        const back = (await getContact(other.db, (await findContactByEmail(other.db, `f${i}@example.test`))!.id))!;
        expect({ name: back.name, note: back.attributes.note }).toEqual({ name: name.trim(), note: name.trim() });
      }
    } finally {
      await own.db.destroy();
      await other.db.destroy();
    }
  });
});
