/**
 * The import job's activities. `importContactsSlice` reads the file from the position the last
 * committed chunk recorded and commits chunk after chunk (contacts, problems and the new position in
 * one transaction each), heartbeating after each: a worker killed mid-import loses at most the chunk
 * it had not committed, and the retry on another worker resumes at the recorded position.
 */
import { rm } from 'node:fs/promises';
import { Context } from '@temporalio/activity';
import { importSlice, type SliceResult } from '../server/contact-import';
import { finishImport, getImportJob } from '../server/db/imports';
import { UserError } from '../server/errors';
import { startListEntries } from '../server/list-entries';
import type { ActivityDeps } from '.';

/** How long one activity call imports before handing back to the workflow (which calls it again). */
const SLICE_MS = 60_000;

export function createImportActivities(deps: Pick<ActivityDeps, 'db' | 'temporal' | 'taskQueue'>) {
  return {
    async importContactsSlice(importId: string): Promise<SliceResult> {
      const context = Context.current();
      context.heartbeat(0);
      try {
        const slice = await importSlice(deps.db, importId, { budgetMs: SLICE_MS, onChunk: (rowsDone) => context.heartbeat(rowsDone) });
        // The slice's new list members enter the flows that start on joining the list; the worker starts any left over.
        await startListEntries(deps, { onProgress: () => context.heartbeat(slice.rowsDone) }).catch((err: unknown) =>
          context.log.warn('could not start the journeys of contacts who joined a list; the worker will', { error: String(err) }),
        );
        return slice;
      } catch (err) {
        // A file that is gone or cannot be read as CSV cannot come back by retrying: the import fails with a reason a person can read.
        const gone = err instanceof Error && 'code' in err && err.code === 'ENOENT';
        if (gone || err instanceof UserError) {
          const error = gone ? 'the uploaded file is missing from the data folder; upload it again' : (err as UserError).message;
          await finishImport(deps.db, importId, { status: 'failed', error });
          return { done: true, rowsDone: (await getImportJob(deps.db, importId))?.rowsDone ?? 0 };
        }
        throw err;
      }
    },

    /** Marks the import done and removes its file (the contacts are in the database now). */
    async finishContactImport(importId: string): Promise<void> {
      const job = await getImportJob(deps.db, importId);
      if (job?.status === 'running') await finishImport(deps.db, importId, { status: 'done' });
      if (job) await rm(job.filePath, { force: true });
    },
  };
}
