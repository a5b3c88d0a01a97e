/**
 * A CSV import's shape, shared by the import page, the API and the import job: how each column of the
 * file maps to a contact (email, name, an attribute, or nothing), and what the job reports. Pure: zod only.
 */
import { z } from 'zod';
import { AttributeName, AttributeTypeSchema, type AttributeType, coerceAttribute } from './contact';
import { CONTROL_CHARACTERS } from './text';

/** uploaded: waiting for its mapping; running: the job is importing; done; failed (the file is gone or unreadable). */
/** The largest CSV file an import takes, far above 100,000 rows of a few columns (the web front refuses a larger upload before reading it). */
export const MAX_IMPORT_BYTES = 256 * 1024 * 1024;
/** The most columns a file may have: far above any contact table, far below a header of commas that would fill the parser's memory. */
export const MAX_IMPORT_COLUMNS = 500;
/** The most characters one row (the header included) may hold, its cells together: 64 KB. */
export const MAX_IMPORT_ROW_CHARS = 64 * 1024;

export type ImportStatus = 'uploaded' | 'running' | 'done' | 'failed';
/**
 * invalid: the row was refused (no valid email, or unreadable; its reason says why); duplicate: an earlier line
 * of the file has the same email; warning: the row was imported without the values its reason names.
 */
export type ImportProblemKind = 'invalid' | 'duplicate' | 'warning';

/** The name of a list the import makes for its contacts (`newList`), checked as the Lists page checks one. */
export const NewListName = z
  .string()
  .trim()
  .max(120, 'newList: a list name is at most 120 characters')
  .refine((s) => !CONTROL_CHARACTERS.test(s), 'newList must not contain line breaks or control characters');

/** What one column of the file becomes. */
export const ColumnTarget = z.discriminatedUnion('to', [
  z.object({ to: z.literal('email') }),
  z.object({ to: z.literal('name') }),
  z.object({ to: z.literal('skip') }),
  z.object({ to: z.literal('attribute'), name: AttributeName, type: AttributeTypeSchema.optional() }),
]);
export type ColumnTarget = z.infer<typeof ColumnTarget>;

/** One target per column of the file, in the file's order; exactly one column is the email; several name columns (first, last) are joined with a space, in the file's order. */
export const ImportMapping = z
  .array(ColumnTarget)
  .min(1, 'map at least the email column')
  .max(MAX_IMPORT_COLUMNS, `a file has at most ${MAX_IMPORT_COLUMNS} columns; give one target for each`)
  .superRefine((targets, ctx) => {
    const emails = targets.filter((t) => t.to === 'email').length;
    if (emails !== 1)
      ctx.addIssue({ code: 'custom', message: emails === 0 ? 'choose the column that holds the email' : 'only one column can be the email' });
    const seen = new Set<string>();
    targets.forEach((t, i) => {
      if (t.to !== 'attribute') return;
      if (seen.has(t.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `two columns map to the attribute ${t.name}` });
      seen.add(t.name);
    });
  });
export type ImportMapping = z.infer<typeof ImportMapping>;

/** An attribute name from a column header: `Signed up` → `signed_up`; '' when nothing usable is left. */
export function attributeNameFor(header: string): string {
  const name = header
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 64);
  if (name === '') return '';
  return /^[a-z_]/.test(name) ? name : `_${name}`.slice(0, 64);
}

/** A header as the name rules read it: lower case, without spaces, underscores and dashes (`First_Name` → `firstname`). */
const headerKey = (header: string) => header.toLowerCase().replace(/[\s_-]+/g, '');
const FULL_NAME = new Set(['name', 'fullname', 'contactname']);
const NAME_PART = new Set(['firstname', 'givenname', 'lastname', 'surname', 'familyname']);

/**
 * The mapping the import page proposes: the email by its header; the name from a "Name" / "Full name" column, else
 * from the "First name" and "Last name" columns together (any case, spaces or underscores); every other column as an
 * attribute of the type it already has, else of the type detected from the file's first rows (`detected`, by column), else text.
 */
export function suggestMapping(
  columns: readonly string[],
  known: ReadonlyMap<string, AttributeType>,
  detected: readonly AttributeType[] = [],
): ColumnTarget[] {
  let email = columns.findIndex((c) => /^e-?mail( address)?$/i.test(c.trim()));
  if (email < 0) email = columns.findIndex((c) => /mail/i.test(c));
  const full = columns.findIndex((c, i) => i !== email && FULL_NAME.has(headerKey(c)));
  const isName = (c: string, i: number) => i !== email && (full >= 0 ? i === full : NAME_PART.has(headerKey(c)));
  return columns.map((column, i): ColumnTarget => {
    if (i === email) return { to: 'email' };
    if (isName(column, i)) return { to: 'name' };
    const attr = attributeNameFor(column);
    const parsed = AttributeName.safeParse(attr);
    if (!parsed.success) return { to: 'skip' };
    return { to: 'attribute', name: attr, type: known.get(attr) ?? detected[i] ?? 'text' };
  });
}

/** How many data rows the upload reads to detect the columns' types. */
export const TYPE_SAMPLE_ROWS = 200;
/** A number as a file writes one: 42, -3.5; not 007 or 02134 (codes whose leading zero a number would lose). */
const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?$/;
const fits: Record<Exclude<AttributeType, 'text'>, (cell: string) => boolean> = {
  number: (cell) => NUMBER.test(cell),
  boolean: (cell) => cell === 'true' || cell === 'false',
  date: (cell) => coerceAttribute('date', 'date', cell).ok,
};

const DETECTED = Object.keys(fits) as (keyof typeof fits)[];

/**
 * Each column's type from the file's first rows: number, boolean or date when at least four in five of the non-empty
 * cells sampled are one (as the import reads it: a typo in a date column still detects a date, and that row's import
 * warns about its cell), else text. Feed it a row at a time (`add`), then read `types`.
 */
export function columnTypeSampler(columns: number) {
  const fitting = Array.from({ length: columns }, () => DETECTED.map(() => 0));
  const seen = new Array<number>(columns).fill(0);
  return {
    add(record: readonly string[]) {
      for (let i = 0; i < columns; i++) {
        const cell = restoreCell((record[i] ?? '').trim());
        if (cell === '') continue;
        seen[i]!++;
        DETECTED.forEach((type, t) => {
          if (fits[type](cell)) fitting[i]![t]!++;
        });
      }
    },
    types(): AttributeType[] {
      return fitting.map((counts, i) => {
        const t = counts.findIndex((n) => n >= 1 && n * 5 >= seen[i]! * 4);
        return t < 0 ? 'text' : DETECTED[t]!;
      });
    },
  };
}

/** What GET /api/imports/[id] answers, and what the import page polls. */
export interface ImportProgress {
  id: string;
  fileName: string;
  status: ImportStatus;
  columns: string[];
  /** Data rows in the file (the header line is not one). */
  totalRows: number;
  rowsDone: number;
  created: number;
  updated: number;
  invalid: number;
  duplicates: number;
  /** Rows imported without some of their values (each problem of kind `warning` says which). */
  warnings: number;
  listId: string | null;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface ImportProblem {
  line: number;
  kind: ImportProblemKind;
  reason: string;
}

/**
 * A cell a spreadsheet would run as a formula (OWASP's CSV injection: it starts with =, +, -, @, a tab
 * or a carriage return), and one already quoted by an export: exports put a single quote before it.
 */
const FORMULA_START = /^'*[=+\-@\t\r]/;

/** An exported cell: a formula-looking value gets a leading single quote, so a spreadsheet shows it as text. */
export function neutraliseCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** An imported cell: the quote an export added is taken off again, so an export imports back to the same values. */
export function restoreCell(value: string): string {
  return value.startsWith("'") && FORMULA_START.test(value) ? value.slice(1) : value;
}
