/** CSV imports: the job's row, its problems, and the chunk transaction that upserts contacts and records the position. */
import type { Selectable } from 'kysely';
import type { ContactAttributes } from '../../domain/contact';
import type { ImportMapping, ImportProblem, ImportProgress, ImportStatus } from '../../domain/contact-import';
import { type Db, lockingOnPostgres, newId, now, sql, type Tables } from '.';
import { listFlows, recordListEntries } from './list-entries';
import { noteContactChanges } from './segment-entries';

type ImportRow = Selectable<Tables['imports']>;

export interface ImportJob {
  id: string;
  ownerId: string;
  filePath: string;
  status: ImportStatus;
  mapping: ImportMapping | null;
  listId: string | null;
  rowsDone: number;
}

export async function insertImport(
  db: Db,
  row: { ownerId: string; fileName: string; filePath: string; columns: string[]; totalRows: number; id?: string },
): Promise<string> {
  const id = row.id ?? newId('imp');
  await db
    .insertInto('imports')
    .values({
      id,
      ownerId: row.ownerId,
      fileName: row.fileName,
      filePath: row.filePath,
      status: 'uploaded',
      columns: JSON.stringify(row.columns),
      totalRows: row.totalRows,
      createdAt: now(),
    })
    .execute();
  return id;
}

function toProgress(row: ImportRow, counts: { invalid: number; duplicates: number; warnings: number }): ImportProgress & { ownerId: string } {
  return {
    id: row.id,
    ownerId: row.ownerId,
    fileName: row.fileName,
    status: row.status,
    columns: JSON.parse(row.columns) as string[],
    totalRows: row.totalRows,
    rowsDone: row.rowsDone,
    created: row.created,
    updated: row.updated,
    listId: row.listId,
    error: row.error,
    createdAt: row.createdAt,
    finishedAt: row.finishedAt,
    ...counts,
  };
}

export async function getImportProgress(db: Db, id: string): Promise<(ImportProgress & { ownerId: string }) | undefined> {
  const row = await db.selectFrom('imports').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  const counts = await db
    .selectFrom('importProblems')
    .select(['kind', (eb) => eb.fn.countAll<number>().as('n')])
    .where('importId', '=', id)
    .groupBy('kind')
    .execute();
  const count = (kind: string) => Number(counts.find((c) => c.kind === kind)?.n ?? 0);
  return toProgress(row, { invalid: count('invalid'), duplicates: count('duplicate'), warnings: count('warning') });
}

/** What the job needs to (re)start: the file, the mapping and the position recorded by the last committed chunk. */
export async function getImportJob(db: Db, id: string): Promise<ImportJob | undefined> {
  const row = await db
    .selectFrom('imports')
    .select(['id', 'ownerId', 'filePath', 'status', 'mapping', 'listId', 'rowsDone'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row && { ...row, mapping: row.mapping === null ? null : (JSON.parse(row.mapping) as ImportMapping) };
}

/** Moves an uploaded import to running with its mapping; false when it had already left `uploaded` (started twice). */
export async function markImportRunning(db: Db, id: string, mapping: ImportMapping, listId: string | null): Promise<boolean> {
  const r = await db
    .updateTable('imports')
    .set({ status: 'running', mapping: JSON.stringify(mapping), listId })
    .where('id', '=', id)
    .where('status', '=', 'uploaded')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function finishImport(db: Db, id: string, outcome: { status: 'done' } | { status: 'failed'; error: string }): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('imports')
      .set({ status: outcome.status, error: outcome.status === 'failed' ? outcome.error : null, finishedAt: now() })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .execute();
    // The dedupe keys are only needed while the file is read.
    await trx.deleteFrom('importEmails').where('importId', '=', id).execute();
  });
}

export async function listImportProblems(db: Db, id: string, page: { offset: number; limit: number }): Promise<ImportProblem[]> {
  return db
    .selectFrom('importProblems')
    .select(['line', 'kind', 'reason'])
    .where('importId', '=', id)
    .orderBy('line')
    .offset(page.offset)
    .limit(page.limit)
    .execute();
}

/** A row of the file that passed its checks: email as written, name '' when the file has none; `warnings`: the values it was imported without, and why. */
export interface ImportRowValues {
  line: number;
  email: string;
  name: string;
  attributes: ContactAttributes;
  warnings?: string[];
}

/** Thrown when the recorded position is not the one this chunk started from: another attempt got there first. */
export class ImportPositionMoved extends Error {
  override name = 'ImportPositionMoved';
}

/**
 * One chunk, in one transaction: drops lines whose email an earlier line took (a `duplicate` problem;
 * a kept line's warnings become a `warning` problem),
 * upserts the rest by email, case-insensitively (an existing contact keeps its id and subscription; a
 * name in the file replaces its name, the file's attributes are merged over its own), adds them to the
 * import's list, records the chunk's problems, and moves the position from `from` to `to`. A crash before
 * the commit leaves nothing behind, and the chunk is read again from `from`; a second attempt that
 * finds the position already moved throws ImportPositionMoved and writes nothing.
 */
export async function commitImportChunk(
  db: Db,
  chunk: { importId: string; from: number; to: number; rows: ImportRowValues[]; problems: ImportProblem[] },
): Promise<{ created: number; updated: number; duplicates: number }> {
  const flows = await listFlows(db);
  return db.transaction().execute(async (trx) => {
    const job = await lockingOnPostgres(
      trx,
      trx.selectFrom('imports').select(['rowsDone', 'listId']).where('id', '=', chunk.importId),
    ).executeTakeFirstOrThrow();
    if (job.rowsDone !== chunk.from) throw new ImportPositionMoved(`import ${chunk.importId} is at row ${job.rowsDone}, not ${chunk.from}`);
    const problems = [...chunk.problems];
    let kept: ImportRowValues[] = [];
    if (chunk.rows.length > 0) {
      const keyed = chunk.rows.map((r) => ({ ...r, key: r.email.toLowerCase() }));
      await trx
        .insertInto('importEmails')
        .values(keyed.map((r) => ({ importId: chunk.importId, emailKey: r.key, line: r.line })))
        .onConflict((oc) => oc.columns(['importId', 'emailKey']).doNothing())
        .execute();
      const owners = await trx
        .selectFrom('importEmails')
        .select(['emailKey', 'line'])
        .where('importId', '=', chunk.importId)
        .where(
          'emailKey',
          'in',
          keyed.map((r) => r.key),
        )
        .execute();
      const ownerLine = new Map(owners.map((o) => [o.emailKey, o.line]));
      for (const r of keyed) {
        const first = ownerLine.get(r.key);
        if (first === r.line) {
          kept.push(r);
          // A duplicate's warnings are not reported: the line was not imported at all.
          if (r.warnings?.length) problems.push({ line: r.line, kind: 'warning', reason: r.warnings.join('; ') });
        } else
          problems.push({
            line: r.line,
            kind: 'duplicate',
            reason: `${r.email} is already on line ${first} (emails match whatever their case); this line was skipped`,
          });
      }
    }
    const duplicates = chunk.rows.length - kept.length;
    const existing = new Map<string, { id: string; attributes: string }>();
    if (kept.length > 0) {
      const rows = await trx
        .selectFrom('contacts')
        .select(['id', 'attributes', sql<string>`lower(email)`.as('key')])
        .where(
          sql<string>`lower(email)`,
          'in',
          kept.map((r) => r.email.toLowerCase()),
        )
        .execute();
      for (const r of rows) existing.set(r.key, r);
    }
    const at = now();
    const fresh = kept.filter((r) => !existing.has(r.email.toLowerCase()));
    const ids: string[] = [];
    if (fresh.length > 0) {
      const values = fresh.map((r) => ({ id: newId('ct'), email: r.email, name: r.name, createdAt: at, attributes: JSON.stringify(r.attributes) }));
      await trx.insertInto('contacts').values(values).execute();
      ids.push(...values.map((v) => v.id));
    }
    kept = kept.filter((r) => existing.has(r.email.toLowerCase()));
    for (const r of kept) {
      const contact = existing.get(r.email.toLowerCase())!;
      let current: ContactAttributes = {};
      try {
        current = JSON.parse(contact.attributes) as ContactAttributes;
      } catch {
        // an unreadable attribute object is replaced by the file's
      }
      let q = trx.updateTable('contacts').set({ attributes: JSON.stringify({ ...current, ...r.attributes }) });
      if (r.name !== '') q = q.set({ name: r.name });
      await q.where('id', '=', contact.id).execute();
      ids.push(contact.id);
    }
    await noteContactChanges(trx, ids);
    if (job.listId && ids.length > 0) {
      await trx
        .insertInto('listMembers')
        .values(ids.map((contactId) => ({ listId: job.listId!, contactId, addedAt: at })))
        .onConflict((oc) => oc.columns(['listId', 'contactId']).doNothing())
        .execute();
      const listId = job.listId;
      await recordListEntries(
        trx,
        listId,
        ids,
        at,
        flows.filter((f) => f.listId === listId),
      );
    }
    if (problems.length > 0) {
      await trx
        .insertInto('importProblems')
        .values(problems.map((p) => ({ importId: chunk.importId, line: p.line, kind: p.kind, reason: p.reason.slice(0, 500) })))
        .onConflict((oc) => oc.columns(['importId', 'line']).doNothing())
        .execute();
    }
    await trx
      .updateTable('imports')
      .set((eb) => ({
        rowsDone: chunk.to,
        created: eb('created', '+', fresh.length),
        updated: eb('updated', '+', kept.length),
      }))
      .where('id', '=', chunk.importId)
      .execute();
    return { created: fresh.length, updated: kept.length, duplicates };
  });
}

/** This user's uploads not started yet, oldest first. */
export async function listPendingUploads(db: Db, ownerId: string): Promise<{ id: string; fileName: string; createdAt: string }[]> {
  return db
    .selectFrom('imports')
    .select(['id', 'fileName', 'createdAt'])
    .where('ownerId', '=', ownerId)
    .where('status', '=', 'uploaded')
    .orderBy('createdAt')
    .execute();
}

/** Deletes an import not started yet; false when there is none (started meanwhile, or gone). */
export async function deleteUpload(db: Db, id: string): Promise<boolean> {
  const r = await db.deleteFrom('imports').where('id', '=', id).where('status', '=', 'uploaded').executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Uploads never started and uploaded before `before` (an ISO time) end as failed, with the reason; their files are the caller's. */
export async function expireUploads(db: Db, before: string, reason: string): Promise<number> {
  const r = await db
    .updateTable('imports')
    .set({ status: 'failed', error: reason, finishedAt: now() })
    .where('status', '=', 'uploaded')
    .where('createdAt', '<', before)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** The status of each of these imports that exists. */
export async function importStatuses(db: Db, ids: string[]): Promise<Map<string, ImportStatus>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('imports').select(['id', 'status']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r.status]));
}
