/**
 * A byte-level guard in front of csv-parse: it refuses a row with more than MAX_IMPORT_COLUMNS columns
 * as its bytes stream past, before the parser has built it. csv-parse's own `max_record_size` counts
 * only the cells' characters, so a line of commas (empty cells) passes it however long it is, and the
 * parser holds one array entry per comma: 4 MB of commas took Node's heap down. A `cast` callback
 * could count columns too, but it costs the parser an object per cell (many times slower on a large import).
 *
 * It follows RFC 4180 quoting as csv-parse does (a quote toggles quoting, `""` toggles twice), so
 * commas and line breaks inside quoted cells are not counted. After a stray quote in an unquoted
 * cell (a row csv-parse skips anyway) the two may disagree until the next quote.
 */
import { Transform } from 'node:stream';
import { MAX_IMPORT_COLUMNS } from '../domain/contact-import';
import { UserError } from './errors';

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

export function tooManyColumns(header: boolean, line: number): UserError {
  return new UserError(
    422,
    'too_many_columns',
    `${header ? 'the header has' : `line ${line} has`} more than ${MAX_IMPORT_COLUMNS} columns; at most ${MAX_IMPORT_COLUMNS} are accepted: remove unused columns`,
    { field: 'file' },
  );
}

/** Passes the file's bytes through unchanged, or fails with tooManyColumns at the first row too wide. */
export function columnGuard(): Transform {
  let quoted = false;
  let commas = 0;
  /** Lines as csv-parse numbers them (CRLF, LF and CR each end one), and whether a row has been seen yet. */
  let line = 1;
  let seenRow = false;
  let blank = true;
  let previous = -1;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk[i]!;
        const afterCr = previous === CR;
        previous = byte;
        if (byte === LF || byte === CR) {
          if (byte === LF && afterCr) continue;
          line++;
          if (!quoted) {
            // An empty line is skipped by the parser: it is no row, and not the header.
            if (!blank) seenRow = true;
            commas = 0;
            blank = true;
          }
          continue;
        }
        blank = false;
        if (byte === QUOTE) quoted = !quoted;
        else if (byte === COMMA && !quoted && ++commas >= MAX_IMPORT_COLUMNS) return done(tooManyColumns(!seenRow, line));
      }
      done(null, chunk);
    },
  });
}
