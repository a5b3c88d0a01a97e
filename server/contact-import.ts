/**
 * CSV import, streamed end to end: the upload goes to a file under the data folder (never a buffer),
 * `csv-parse` reads it record by record, and the job upserts contacts in chunked transactions that
 * also record its position, so a restarted job resumes at the last committed chunk (see
 * `commitImportChunk`). A 100,000-row file is never whole in memory.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, pipeline as pipeStreams, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, type Options, parse } from 'csv-parse';
import { type AttributeType, type ContactAttributes, coerceAttribute, TIMEZONE_ATTRIBUTE } from '../domain/contact';
import {
  columnTypeSampler,
  type ImportMapping,
  type ImportProblem,
  MAX_IMPORT_BYTES,
  MAX_IMPORT_ROW_CHARS,
  restoreCell,
  TYPE_SAMPLE_ROWS,
} from '../domain/contact-import';
import { emailAddress, headerSafe } from '../domain/text';
import { columnGuard } from './csv-guard';
import { MAX_ATTRIBUTE_NAMES, MAX_ATTRIBUTES_PER_CONTACT } from './contacts';
import type { Db } from './db';
import { listAttributeDefinitions } from './db/contacts';
import { commitImportChunk, getImportJob, type ImportRowValues } from './db/imports';
import { UserError } from './errors';
import { metrics } from './metrics';

/**
 * Rows per transaction: large enough to amortise the commit, small enough to hold SQLite's lock
 * briefly, and small enough that a chunk's rows die young in V8. Measured in the worker (bench import
 * part): at 1,000 the rows waiting for their commit reached the old generation (~0.64 KB a row until a
 * full GC; peak RSS 366, 397, 543 MB at 10k, 100k, 300k rows); at 250, ~0.25 KB a row (386, 379, 454 MB)
 * at the same speed.
 */
export const IMPORT_CHUNK_ROWS = 250;
export const PREVIEW_ROWS = 5;

/** The most characters of a cell the upload's preview shows (the whole header is kept: the mapping names it). */
const PREVIEW_CELL_CHARS = 200;

/**
 * How every read of an import file parses it, bounded: the file goes through columnGuard first (a row
 * wider than MAX_IMPORT_COLUMNS), and a row longer than MAX_IMPORT_ROW_CHARS stops the parser where it
 * is met. Either refuses the whole file (a 422 at upload; a failed import in the job) naming the line,
 * the limit and the fix, so a header of millions of commas costs no more than a normal row.
 */
const parserOptions = {
  bom: true,
  relax_column_count: true,
  skip_empty_lines: true,
  skip_records_with_error: true,
  max_record_size: MAX_IMPORT_ROW_CHARS,
};

/** A record csv-parse would skip for its size is not skipped: the file is refused (a skipped header would make the next line the header). */
function refuseOversized(err: CsvError | undefined): undefined {
  if (err?.code !== 'CSV_MAX_RECORD_SIZE') return undefined;
  throw new UserError(
    422,
    'row_too_large',
    `line ${err.lines} is longer than ${MAX_IMPORT_ROW_CHARS / 1024} KB; at most ${MAX_IMPORT_ROW_CHARS / 1024} KB a row are accepted: remove unused columns or shorten the long cells`,
    { field: 'file' },
  );
}

/** A data record and the line it starts on (csv-parse's `info` object for each record is larger than the record). */
type ParsedRecord = { record: string[]; line: number };
/**
 * Bytes read from the file at a time. csv-parse turns a whole read into records at once, and they wait
 * in the stream while a chunk commits: 64 KB (the default) is ~1,400 records held across the commit,
 * long enough to reach V8's old generation, so an import's garbage would pile up until a full GC.
 */
const READ_BYTES = 16 * 1024;

/** Where an import's file lives: `<data folder>/imports/<id>.csv`. */
export function importFilePath(dataDir: string, importId: string): string {
  return path.join(dataDir, 'imports', `${importId}.csv`);
}

/** Streams a request body to the file, refusing (and removing) one over MAX_IMPORT_BYTES. */
export async function saveUpload(body: ReadableStream<Uint8Array> | Readable, file: string, maxBytes = MAX_IMPORT_BYTES): Promise<number> {
  await mkdir(path.dirname(file), { recursive: true });
  let bytes = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > maxBytes)
        done(
          new UserError(422, 'file_too_large', `the file is larger than ${Math.round(maxBytes / 1024 / 1024)} MB; split it into smaller files`, {
            field: 'file',
          }),
        );
      else done(null, chunk);
    },
  });
  const source = body instanceof Readable ? body : Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>);
  try {
    await pipeline(source, limit, createWriteStream(file));
  } catch (err) {
    await rm(file, { force: true });
    throw err;
  }
  if (bytes === 0) {
    await rm(file, { force: true });
    throw new UserError(422, 'empty_file', 'the file is empty; upload a CSV file whose first line names the columns', { field: 'file' });
  }
  return bytes;
}

/**
 * The header, the first rows, each column's type detected from the first TYPE_SAMPLE_ROWS rows, and how many data rows
 * the file has: one streamed pass. Each record is seen as it is parsed and dropped there (`on_record` keeps none), so
 * counting a 100,000-row file queues no record objects in the stream and leaves the web app little garbage.
 */
export async function readPreview(file: string): Promise<{ columns: string[]; rows: string[][]; totalRows: number; types: AttributeType[] }> {
  let columns: string[] | undefined;
  let sampler: ReturnType<typeof columnTypeSampler> | undefined;
  const rows: string[][] = [];
  let totalRows = 0;
  const parser = parse({
    ...parserOptions,
    on_skip: refuseOversized,
    on_record: (record: string[]) => {
      if (!columns) {
        columns = record.map((c) => c.trim());
        sampler = columnTypeSampler(columns.length);
      } else {
        totalRows++;
        if (totalRows <= TYPE_SAMPLE_ROWS) sampler?.add(record);
        if (rows.length < PREVIEW_ROWS) rows.push(record.map((cell) => cell.slice(0, PREVIEW_CELL_CHARS)));
      }
      return null;
    },
  });
  try {
    // A pipeline, so that a refused file's read stream is closed at once, not left open.
    await pipeline(createReadStream(file), columnGuard(), parser.resume());
  } catch (err) {
    throw unreadable(err);
  }
  if (!columns || columns.every((c) => c === ''))
    throw new UserError(422, 'no_header', 'the file has no header line; its first line must name the columns (e.g. email,name)', { field: 'file' });
  return { columns, rows, totalRows, types: sampler?.types() ?? [] };
}

/** A CSV error the parser cannot skip past: a 422 that says where, not a crash. */
export function unreadable(err: unknown): unknown {
  if (!(err instanceof CsvError)) return err;
  return new UserError(422, 'unreadable_csv', `the file cannot be read as CSV: ${err.message}`, { field: 'file' });
}

const Email = emailAddress('email', 'ada@example.com');
const Name = headerSafe('name', 200).trim();

/**
 * Checks one record against the mapping: the row to upsert, or the reason it is refused. Only a missing or invalid
 * email refuses a row; a value that does not fit (a bad date, an extra value) is left out, with a warning naming it.
 */
export function checkRecord(
  record: string[],
  line: number,
  columns: number,
  mapping: ImportMapping,
  types: ReadonlyMap<string, AttributeType>,
): { ok: true; row: ImportRowValues } | { ok: false; problem: ImportProblem } {
  const bad = (reason: string) => ({ ok: false as const, problem: { line, kind: 'invalid' as const, reason } });
  const warnings: string[] = [];
  if (record.length > columns)
    warnings.push(`has ${record.length} values but the header has ${columns} columns: the ${record.length - columns} extra skipped`);
  else if (record.length < columns) warnings.push(`has ${record.length} values but the header has ${columns} columns: the missing ones left empty`);
  let email = '';
  const names: string[] = [];
  const attributes: ContactAttributes = {};
  mapping.forEach((target, i) => {
    const cell = restoreCell((record[i] ?? '').trim());
    if (target.to === 'email') email = cell;
    else if (target.to === 'name' && cell !== '') names.push(cell);
    else if (target.to === 'attribute' && cell !== '') {
      const type = types.get(target.name) ?? 'text';
      const checked = coerceAttribute(target.name, type, cell);
      if (checked.ok) attributes[target.name] = checked.value;
      else warnings.push(`${target.name} "${cell.slice(0, 40)}" skipped: ${checked.message}`);
    }
  });
  if (email === '') return bad('the email is empty');
  const parsed = Email.safeParse(email);
  if (!parsed.success) return bad(`"${email.slice(0, 80)}" is not an email address (write it like ada@example.com)`);
  let name = '';
  const checkedName = Name.safeParse(names.join(' '));
  if (checkedName.success) name = checkedName.data;
  else if (names.length > 0) warnings.push(`the name skipped: ${checkedName.error.issues[0]?.message ?? 'it is not valid'}`);
  return { ok: true, row: { line, email: parsed.data, name, attributes, ...(warnings.length > 0 && { warnings }) } };
}

/**
 * The line each record starts on, as an editor numbers them (CRLF, LF and CR each end one). csv-parse's own count
 * (`lines`) is where a record ends, and it counts a CRLF inside a quoted cell as two lines: so the start is its count
 * less the line breaks in the record's cells, less the extra CRLFs of the quoted cells before it.
 */
function recordLines() {
  let extra = 0; // CRLFs in quoted cells so far, each counted twice by csv-parse
  return {
    start(record: string[], endLine: number): number {
      let breaks = 0;
      let crlf = 0;
      for (const cell of record) {
        if (!/[\r\n]/.test(cell)) continue;
        breaks += cell.match(/[\r\n]/g)!.length;
        crlf += cell.match(/\r\n/g)?.length ?? 0;
      }
      const line = endLine - extra - breaks;
      extra += crlf;
      return line;
    },
    /** A line csv-parse names (an error's), in the same numbering. */
    at: (parserLine: number) => parserLine - extra,
  };
}

/** Whether attribute types conflict with those already defined: every problem, each naming its column. */
export async function checkMappingTypes(db: Db, columns: string[], mapping: ImportMapping): Promise<Map<string, AttributeType>> {
  if (mapping.length !== columns.length)
    throw new UserError(422, 'invalid_mapping', `the file has ${columns.length} columns; give one target for each`, { field: 'mapping' });
  const known = new Map((await listAttributeDefinitions(db)).map((d) => [d.name, d.type]));
  const problems: { field: string; message: string }[] = [];
  const types = new Map<string, AttributeType>();
  mapping.forEach((t, i) => {
    if (t.to !== 'attribute') return;
    const have = known.get(t.name);
    const want = t.type ?? have ?? 'text';
    if (have && have !== want)
      problems.push({ field: `mapping.${i}.type`, message: `column "${columns[i]}": ${t.name} is already a ${have} attribute; choose ${have}` });
    else if (t.name === TIMEZONE_ATTRIBUTE && want !== 'text')
      problems.push({ field: `mapping.${i}.type`, message: `column "${columns[i]}": ${t.name} holds an IANA time zone name, so its type is text` });
    types.set(t.name, want);
  });
  if (problems.length > 0)
    throw new UserError(422, 'invalid_mapping', problems.map((p) => p.message).join('; '), { field: problems[0]?.field, problems });
  // The caps the contact page and the events API keep (server/contacts.ts), checked here once for the whole file.
  if (types.size > MAX_ATTRIBUTES_PER_CONTACT) {
    throw new UserError(
      422,
      'too_many_attributes',
      `the mapping sets ${types.size} attributes; a contact may hold at most ${MAX_ATTRIBUTES_PER_CONTACT}: skip some columns`,
      { field: 'mapping', limit: MAX_ATTRIBUTES_PER_CONTACT },
    );
  }
  const fresh = [...types.keys()].filter((name) => !known.has(name)).length;
  if (known.size + fresh > MAX_ATTRIBUTE_NAMES) {
    throw new UserError(
      422,
      'too_many_attribute_names',
      `the workspace may define at most ${MAX_ATTRIBUTE_NAMES} attribute names; it has ${known.size} and this mapping adds ${fresh}: map columns to existing names or skip them`,
      { field: 'mapping', limit: MAX_ATTRIBUTE_NAMES },
    );
  }
  return types;
}

export interface SliceResult {
  done: boolean;
  rowsDone: number;
}

/**
 * Imports from the recorded position on, chunk by chunk, until the file ends or `budgetMs` has passed
 * (then it returns, and the workflow calls it again). `onChunk` runs after each committed chunk (the
 * activity heartbeats there). Records before the position are parsed and passed over, never written.
 */
export async function importSlice(
  db: Db,
  importId: string,
  options: { budgetMs?: number; chunkRows?: number; onChunk?: (rowsDone: number) => void } = {},
): Promise<SliceResult> {
  const job = await getImportJob(db, importId);
  if (!job) throw new Error(`import ${importId} does not exist`);
  if (job.status !== 'running' || !job.mapping) return { done: true, rowsDone: job.rowsDone };
  const mapping = job.mapping;
  const types = new Map((await listAttributeDefinitions(db)).map((d) => [d.name, d.type]));
  const chunkRows = options.chunkRows ?? IMPORT_CHUNK_ROWS;
  const deadline = Date.now() + (options.budgetMs ?? 60_000);
  let position = job.rowsDone;
  let seen = 0; // data records read so far, in file order (the header is not one)
  let columns = -1;
  let rows: ImportRowValues[] = [];
  let problems: ImportProblem[] = [];
  const commit = async (to: number) => {
    await commitImportChunk(db, { importId, from: position, to, rows, problems });
    // Counted once committed: a chunk read again after a crash was not committed before.
    metrics.importRows.inc({ outcome: 'imported' }, rows.length);
    metrics.importRows.inc({ outcome: 'problem' }, problems.length);
    position = to;
    rows = [];
    problems = [];
    options.onChunk?.(position);
  };
  // A record csv-parse cannot read (an unclosed quote, say) is skipped and reported by its line; it is
  // not a data record, so it never moves the position.
  const skipped: ImportProblem[] = [];
  const lines = recordLines();
  const parserSetup: Options<ParsedRecord, string[]> = {
    ...parserOptions,
    on_record: (record, context) => ({ record, line: lines.start(record, context.lines) }),
    on_skip: (err) => {
      refuseOversized(err);
      if (err) skipped.push({ line: lines.at(Number(err.lines)), kind: 'invalid', reason: `the CSV cannot be read here: ${err.message}` });
      return undefined;
    },
  };
  // csv-parse's overloads only take a record type other than string[] together with `columns`.
  // A pipeline: an error anywhere (the guard's too) destroys every stream with it, so the loop below
  // throws it; the callback has nothing to add (stopping at the budget ends the streams early on purpose).
  const parser = pipeStreams(
    createReadStream(job.filePath, { highWaterMark: READ_BYTES }),
    columnGuard(),
    parse(parserSetup as unknown as Options),
    () => {},
  );
  for await (const { record, line } of withCsvErrors(parser as AsyncIterable<ParsedRecord>)) {
    if (columns < 0) {
      columns = record.length;
      continue;
    }
    seen++;
    if (seen <= position) continue;
    if (skipped.length > 0) problems.push(...skipped.splice(0));
    const checked = checkRecord(record, line, columns, mapping, types);
    if (checked.ok) rows.push(checked.row);
    else problems.push(checked.problem);
    if (seen - position >= chunkRows) {
      await commit(seen);
      if (Date.now() > deadline) {
        parser.destroy();
        return { done: false, rowsDone: position };
      }
    }
  }
  problems.push(...skipped.splice(0));
  if (seen > position || problems.length > 0) await commit(Math.max(seen, position));
  return { done: true, rowsDone: position };
}

/** The parser's records, its unskippable errors turned into UserError (the job fails with the message instead of retrying). */
async function* withCsvErrors(records: AsyncIterable<ParsedRecord>): AsyncGenerator<ParsedRecord> {
  try {
    yield* records;
  } catch (err) {
    throw unreadable(err);
  }
}
