/**
 * A CSV import from upload to durable job: the upload is streamed to a file and previewed; starting it
 * checks the mapping, types the new attributes and starts `contactImportWorkflow` (id `import:<id>`,
 * so a second start is a no-op). Admins see every import; an agent sees their own.
 */
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Client } from '@temporalio/client';
import type { AttributeType } from '../domain/contact';
import { type ColumnTarget, ImportMapping, type ImportProblem, type ImportProgress, suggestMapping } from '../domain/contact-import';
import { importWorkflowId } from '../workflows/contracts';
import type { Config } from './config';
import { checkMappingTypes, importFilePath, readPreview, saveUpload } from './contact-import';
import { newId, type Db } from './db';
import { defineAttributes, listAttributeDefinitions } from './db/contacts';
import { deleteUpload, getImportJob, getImportProgress, insertImport, listImportProblems, markImportRunning } from './db/imports';
import { getList } from './db/lists';
import { createList } from './lists';
import { mayUseAudience } from './access';
import { UserError } from './errors';
import { checkFreeDisk, checkPendingUploads, DEFAULT_UPLOAD_LIMITS, sweepUploads, type UploadLimits } from './import-uploads';
import type { Actor } from './profiles';
import { startOnce } from './temporal/start-once';

export interface UploadedImport {
  id: string;
  columns: string[];
  /** The first rows of the file, as written. */
  preview: string[][];
  totalRows: number;
  suggested: ColumnTarget[];
  /** Each column's type as read from the file's first rows (the suggestion uses it unless the attribute already has a type). */
  detected: AttributeType[];
}

/**
 * Streams the body to `<data>/imports/<id>.csv`, reads its header and first rows, and records the
 * import; first sweeps expired uploads, then refuses one over the user's waiting uploads or the disk's
 * room (`bytes`: the size the request declares).
 */
export async function uploadImport(
  db: Db,
  dataDir: string,
  actor: Actor,
  fileName: string,
  body: ReadableStream<Uint8Array> | Readable,
  options: { limits?: UploadLimits; bytes?: number } = {},
): Promise<UploadedImport> {
  const limits = options.limits ?? DEFAULT_UPLOAD_LIMITS;
  await sweepUploads(db, dataDir);
  await checkPendingUploads(db, actor.id, limits);
  await checkFreeDisk(dataDir, options.bytes, limits);
  const id = newId('imp');
  const file = importFilePath(dataDir, id);
  await saveUpload(body, file);
  try {
    const { columns, rows, totalRows, types } = await readPreview(file);
    await insertImport(db, { id, ownerId: actor.id, fileName: fileName.slice(0, 200) || 'upload.csv', filePath: file, columns, totalRows });
    const known = new Map((await listAttributeDefinitions(db)).map((d) => [d.name, d.type]));
    return { id, columns, preview: rows, totalRows, suggested: suggestMapping(columns, known, types), detected: types };
  } catch (err) {
    await rm(file, { force: true });
    throw err;
  }
}

export const importNotFound = (id: string) => new UserError(404, 'import_not_found', `import "${id}" does not exist`);

/** The import, if this user may see it (admins: all; agents: their own); else a 404. */
export async function visibleImport(db: Db, actor: Actor, id: string): Promise<ImportProgress & { ownerId: string }> {
  const found = await getImportProgress(db, id);
  if (!found || (actor.role !== 'admin' && found.ownerId !== actor.id)) throw importNotFound(id);
  return found;
}

/** Discards an upload not started yet (its row and its file); a started one is a 409. */
export async function discardUpload(db: Db, actor: Actor, id: string): Promise<void> {
  const current = await visibleImport(db, actor, id);
  const job = await getImportJob(db, id);
  if (current.status !== 'uploaded' || !job || !(await deleteUpload(db, id)))
    throw new UserError(409, 'import_started', `import "${id}" has been started; only an upload not started yet can be discarded`);
  await rm(job.filePath, { force: true });
}

/** The import as its page and `GET /api/imports/:id` show it, if this user may see it: its progress and its first refused rows, by line. */
export async function importReport(db: Db, actor: Actor, id: string): Promise<{ import: ImportProgress; problems: ImportProblem[] }> {
  const { ownerId: _owner, ...progress } = await visibleImport(db, actor, id);
  return { import: progress, problems: await listImportProblems(db, id, { offset: 0, limit: 200 }) };
}

/** What starting an import takes: one target per column, and the list the contacts join: an existing one (`listId`) or one made for them (`newList`, its name). */
export interface ImportStart {
  mapping: unknown;
  listId?: string | null | undefined;
  newList?: string | null | undefined;
}

/**
 * Checks the mapping (and the optional list the contacts join), each problem naming its field; then
 * types the new attributes, creates the new list if one is asked for, and marks the import running.
 * A running import is left as it is.
 */
export async function prepareImport(db: Db, actor: Actor, id: string, request: ImportStart): Promise<void> {
  const current = await visibleImport(db, actor, id);
  if (current.status === 'running') return;
  if (current.status !== 'uploaded')
    throw new UserError(
      409,
      'import_finished',
      `import "${id}" has already ${current.status === 'done' ? 'finished' : 'failed'}; upload the file again`,
    );
  const parsed = ImportMapping.safeParse(request.mapping);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = ['mapping', ...(issue?.path ?? []).map(String)].join('.');
    throw new UserError(422, 'invalid_mapping', `${field}: ${issue?.message ?? 'the mapping is not valid'}`, { field, issues: parsed.error.issues });
  }
  const types = await checkMappingTypes(db, current.columns, parsed.data);
  let listId = request.listId ?? null;
  const newList = request.newList?.trim() || null;
  if (listId && newList) throw new UserError(422, 'invalid_list', 'choose an existing list or name a new one, not both', { field: 'newList' });
  const list = listId ? await getList(db, listId) : undefined;
  if (listId && !(list && mayUseAudience(actor, list)))
    throw new UserError(422, 'list_not_found', `list "${listId}" does not exist; pick another`, { field: 'listId' });
  if (newList) listId = (await createListFor(db, actor, newList)).id;
  await defineAttributes(
    db,
    [...types].map(([name, type]) => ({ name, type })),
  );
  const mapping = parsed.data.map((t) => (t.to === 'attribute' ? { ...t, type: types.get(t.name) } : t));
  await markImportRunning(db, id, mapping, listId);
}

/** The import's new list; a name already taken is refused on the import's field (`newList`). */
async function createListFor(db: Db, actor: Actor, name: string) {
  try {
    return await createList(db, actor, name);
  } catch (err) {
    if (err instanceof UserError && err.code === 'duplicate_list')
      throw new UserError(422, 'duplicate_list', `a list named "${name}" already exists; pick it under "Add to a list", or choose another name`, {
        field: 'newList',
      });
    throw err;
  }
}

/** Prepares the import, then starts its job: `contactImportWorkflow` under `import:<id>`, once. */
export async function startImport(
  db: Db,
  temporal: Client,
  config: Pick<Config, 'TEMPORAL_TASK_QUEUE'>,
  actor: Actor,
  id: string,
  request: ImportStart,
): Promise<{ import: ImportProgress; problems: ImportProblem[] }> {
  await prepareImport(db, actor, id, request);
  await startOnce(temporal, 'contactImportWorkflow', { taskQueue: config.TEMPORAL_TASK_QUEUE, workflowId: importWorkflowId(id), args: [id] });
  return importReport(db, actor, id);
}
