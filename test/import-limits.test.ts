/**
 * What a CSV upload may take from the server, on a real SQLite database and real files: a hostile file
 * (a header of 100,001 columns, 4 MB of commas, a 70 KB row) is refused with a 422 that names the limit
 * and the fix, at the preview and again in the import job; a user's waiting uploads are bounded; an
 * upload that would fill the disk is refused; and uploads never started are swept a day later.
 */
import fs from 'node:fs';
import { statfs } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_IMPORT_COLUMNS } from '../domain/contact-import';
import { importFilePath, importSlice } from '../server/contact-import';
import type { Db } from '../server/db';
import { getImportProgress, insertImport, markImportRunning } from '../server/db/imports';
import { checkFreeDisk, EXPIRED_UPLOAD, sweepUploads, UPLOAD_LIFETIME_MS } from '../server/import-uploads';
import { discardUpload, prepareImport, uploadImport } from '../server/imports';
import { tempInstall } from './helpers';

let db: Db;
let dir: string;
beforeAll(async () => {
  ({ db, dir } = await tempInstall());
});
afterAll(async () => db?.destroy());

const busy = { id: 'busy', role: 'agent' as const };
const limits = { DRIPLINE_PENDING_UPLOADS_PER_USER: 5, DRIPLINE_UPLOAD_MIN_FREE_MB: 0 };
const body = (csv: string) => Readable.from([Buffer.from(csv)]);
const upload = (owner: string, csv: string, over: Partial<typeof limits> = {}) =>
  uploadImport(db, dir, { id: owner, role: 'agent' }, 'people.csv', body(csv), { limits: { ...limits, ...over }, bytes: csv.length });
const uploadedFiles = () => (fs.existsSync(path.join(dir, 'imports')) ? fs.readdirSync(path.join(dir, 'imports')) : []);

describe('a hostile CSV', () => {
  const hostile = {
    'a header of 100,001 columns': `${'c,'.repeat(100_000)}c\nann@example.test\n`,
    '4 MB of commas': `${','.repeat(4 * 1024 * 1024)}\n`,
    'a row of 70 KB': `email,name\nann@example.test,${'x'.repeat(70 * 1024)}\n`,
    'a row of 600 values': `email,name\n${'a,'.repeat(599)}a\n`,
  };

  it('is refused at upload with a 422 naming the limit, the line and the fix, and leaves no file', async () => {
    const before = uploadedFiles().length;
    const refusal = async (csv: string) => upload('hostile', csv).catch((err: unknown) => err);
    expect(await refusal(hostile['a header of 100,001 columns'])).toMatchObject({
      status: 422,
      code: 'too_many_columns',
      message: 'the header has more than 500 columns; at most 500 are accepted: remove unused columns',
    });
    expect(await refusal(hostile['4 MB of commas'])).toMatchObject({ status: 422, code: 'too_many_columns' });
    expect(await refusal(hostile['a row of 70 KB'])).toMatchObject({
      status: 422,
      code: 'row_too_large',
      message: 'line 2 is longer than 64 KB; at most 64 KB a row are accepted: remove unused columns or shorten the long cells',
    });
    expect(await refusal(hostile['a row of 600 values'])).toMatchObject({
      status: 422,
      code: 'too_many_columns',
      message: 'line 2 has more than 500 columns; at most 500 are accepted: remove unused columns',
    });
    expect(uploadedFiles().length).toBe(before);
  });

  it('takes a header of exactly 500 columns, and shows at most 200 characters of a cell in the preview', async () => {
    const header = Array.from({ length: MAX_IMPORT_COLUMNS }, (_, i) => (i === 0 ? 'email' : `c${i}`)).join(',');
    const row = ['ann@example.test', 'y'.repeat(5000), ...Array(MAX_IMPORT_COLUMNS - 2).fill('')].join(',');
    const uploaded = await upload('wide-but-fine', `${header}\n${row}\n`);
    expect(uploaded.columns).toHaveLength(500);
    expect(uploaded.preview[0]?.[1]).toBe('y'.repeat(200));
    expect(uploaded.totalRows).toBe(1);
  });

  it('counts columns as the parser does: commas and line breaks inside quotes are not columns, and CR, LF and CRLF each end a line', async () => {
    const quoted = await upload('quotes', `email,note\nann@example.test,"${','.repeat(1_000)}"\n`);
    expect(quoted.preview[0]?.[1]).toBe(','.repeat(200));
    // 600 rows of 2 columns, lines ended by CR alone: 600 commas in all, never 500 on one line.
    const cr = await upload('quotes', `email,name\r${Array.from({ length: 600 }, (_, i) => `p${i}@example.test,P`).join('\r')}\r`);
    expect(cr.totalRows).toBe(600);
    // Line 4 is the wide one: the quoted cell on line 2 runs to line 3.
    const wide = `email,note\r\nann@example.test,"two\r\nlines"\r\n${'a,'.repeat(600)}\r\n`;
    await expect(upload('quotes', wide)).rejects.toMatchObject({ message: expect.stringMatching(/^line 4 has more than 500 columns/) });
    // Blank lines before the header are not the header.
    await expect(upload('quotes', `\n\n${'a,'.repeat(600)}\n`)).rejects.toMatchObject({ message: expect.stringMatching(/^the header has/) });
  });

  it('fails its import job with the same reason when it reaches the worker without a preview', async () => {
    // Written straight to the folder and recorded as running, as if the file had changed after its preview.
    const id = await insertImport(db, {
      ownerId: 'hostile',
      fileName: 'x.csv',
      filePath: importFilePath(dir, 'imp_hostile'),
      columns: ['email'],
      totalRows: 1,
    });
    fs.mkdirSync(path.join(dir, 'imports'), { recursive: true });
    fs.writeFileSync(importFilePath(dir, 'imp_hostile'), hostile['4 MB of commas']);
    await markImportRunning(db, id, [{ to: 'email' }], null);
    await expect(importSlice(db, id)).rejects.toMatchObject({ status: 422, code: 'too_many_columns' });
    fs.writeFileSync(importFilePath(dir, 'imp_hostile'), hostile['a row of 70 KB']);
    await expect(importSlice(db, id)).rejects.toMatchObject({ status: 422, code: 'row_too_large' });
    fs.rmSync(importFilePath(dir, 'imp_hostile'));
  });
});

describe('what an upload may take', () => {
  it('lets a user have at most 5 uploads waiting: the 6th is a 429 naming them; starting or discarding one makes room', async () => {
    const waiting = [];
    for (let i = 0; i < 5; i++)
      waiting.push(await uploadImport(db, dir, busy, `list-${i}.csv`, body(`email\nann${i}@example.test\n`), { limits, bytes: 30 }));
    const refused = await upload('busy', 'email\nsix@example.test\n').catch((err: unknown) => err);
    expect(refused).toMatchObject({
      status: 429,
      code: 'too_many_pending_uploads',
      message:
        'you have 5 uploaded files not started yet (list-0.csv, list-1.csv, list-2.csv, list-3.csv, list-4.csv), and at most 5 may wait; ' +
        'start or discard one of them first (an upload not started is removed a day after it was uploaded)',
      details: { limit: 5, waiting: waiting.map((w) => expect.objectContaining({ id: w.id, fileName: expect.stringMatching(/^list-\d\.csv$/) })) },
    });
    // Someone else is not held back by it.
    expect((await upload('someone-else', 'email\nann@example.test\n')).totalRows).toBe(1);
    await prepareImport(db, busy, waiting[0]!.id, { mapping: [{ to: 'email' }] });
    const sixth = await upload('busy', 'email\nsix@example.test\n');
    await expect(upload('busy', 'email\nseven@example.test\n')).rejects.toMatchObject({ status: 429 });

    // Discarding: the row and the file go, and there is room again; a started one, or another's, cannot be discarded.
    await discardUpload(db, busy, sixth.id);
    expect(await getImportProgress(db, sixth.id)).toBeUndefined();
    expect(fs.existsSync(importFilePath(dir, sixth.id))).toBe(false);
    expect((await upload('busy', 'email\nseven@example.test\n')).totalRows).toBe(1);
    await expect(discardUpload(db, busy, waiting[0]!.id)).rejects.toMatchObject({ status: 409, code: 'import_started' });
    await expect(discardUpload(db, { id: 'someone-else', role: 'agent' }, waiting[1]!.id)).rejects.toMatchObject({ status: 404 });
  });

  it('refuses with a 507 an upload that would leave less free disk than DRIPLINE_UPLOAD_MIN_FREE_MB, before writing it', async () => {
    const disk = await statfs(dir);
    const freeMb = Math.floor((disk.bavail * disk.bsize) / 1024 / 1024);
    const before = uploadedFiles().length;
    const refused = await upload('disk', 'email\nann@example.test\n', { DRIPLINE_UPLOAD_MIN_FREE_MB: freeMb + 10 }).catch((err: unknown) => err);
    expect(refused).toMatchObject({ status: 507, code: 'insufficient_storage' });
    expect((refused as Error).message).toMatch(
      /^the server's disk has [\d,.]+ MB free, and this upload of 0 MB would leave less than the [\d,.]+ MB kept free for sending \(DRIPLINE_UPLOAD_MIN_FREE_MB\)/,
    );
    expect(uploadedFiles().length).toBe(before);
    // The size the request declares counts: the same margin refuses a declared 256 MB that a small file passes.
    await expect(checkFreeDisk(dir, 256 * 1024 * 1024, { ...limits, DRIPLINE_UPLOAD_MIN_FREE_MB: freeMb - 100 })).rejects.toMatchObject({
      status: 507,
    });
    await checkFreeDisk(dir, 1024, { ...limits, DRIPLINE_UPLOAD_MIN_FREE_MB: freeMb - 100 });
  });

  it('sweeps uploads not started within a day: failed with the reason and their file removed; running imports and fresh files kept', async () => {
    const stale = await upload('sweep', 'email\nold@example.test\n');
    const running = await upload('sweep', 'email\nrunning@example.test\n');
    await prepareImport(db, { id: 'sweep', role: 'agent' }, running.id, { mapping: [{ to: 'email' }] });
    // Files no import names: one a day old (its upload died before it was recorded), one being written now.
    const orphan = importFilePath(dir, 'imp_orphan');
    const fresh = importFilePath(dir, 'imp_fresh');
    fs.writeFileSync(orphan, 'email\n');
    fs.writeFileSync(fresh, 'email\n');
    const dayAgo = new Date(Date.now() - UPLOAD_LIFETIME_MS - 60_000);
    fs.utimesSync(orphan, dayAgo, dayAgo);

    expect(await sweepUploads(db, dir)).toBe(1);
    expect(fs.existsSync(orphan)).toBe(false);
    expect(fs.existsSync(fresh)).toBe(true);
    expect((await getImportProgress(db, stale.id))?.status).toBe('uploaded');

    const tomorrow = Date.now() + UPLOAD_LIFETIME_MS + 60_000;
    await sweepUploads(db, dir, tomorrow);
    expect(await getImportProgress(db, stale.id)).toMatchObject({ status: 'failed', error: EXPIRED_UPLOAD });
    expect(fs.existsSync(importFilePath(dir, stale.id))).toBe(false);
    expect((await getImportProgress(db, running.id))?.status).toBe('running');
    expect(fs.existsSync(importFilePath(dir, running.id))).toBe(true);
    // An expired upload no longer counts against its owner, and cannot be started.
    await expect(prepareImport(db, { id: 'sweep', role: 'agent' }, stale.id, { mapping: [{ to: 'email' }] })).rejects.toMatchObject({ status: 409 });
  });
});
