/**
 * What an upload may take from the server, checked before a byte of it is written: a few uploads
 * waiting per user, room left on the disk for the send ledger, and uploads never started removed a day
 * later. The sweep runs before each upload and when the worker starts: only uploads add files, so
 * sweeping before each one bounds the folder without a timer of its own.
 */
import { readdir, rm, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { MAX_IMPORT_BYTES } from '../domain/contact-import';
import { type Config, ConfigEnv } from './config';
import { importFilePath } from './contact-import';
import type { Db } from './db';
import { expireUploads, importStatuses, listPendingUploads } from './db/imports';
import { UserError } from './errors';

/** An upload not started within this long is removed. */
export const UPLOAD_LIFETIME_MS = 24 * 60 * 60 * 1000;
export const EXPIRED_UPLOAD = 'the file was not started within a day of its upload and was removed; upload it again';

export type UploadLimits = Pick<Config, 'DRIPLINE_PENDING_UPLOADS_PER_USER' | 'DRIPLINE_UPLOAD_MIN_FREE_MB'>;
/** The settings' defaults (server/config.ts), for callers without a config. */
export const DEFAULT_UPLOAD_LIMITS: UploadLimits = ConfigEnv.pick({
  DRIPLINE_PENDING_UPLOADS_PER_USER: true,
  DRIPLINE_UPLOAD_MIN_FREE_MB: true,
}).parse({});

const MB = 1024 * 1024;
const mb = (bytes: number) => `${(bytes / MB).toLocaleString('en-US', { maximumFractionDigits: 1 })} MB`;

/**
 * Ends uploads not started within a day (failed, with the reason) and removes every file of the
 * imports folder no import needs: those of expired, done and failed imports, and those a day old that
 * no import names (an upload whose process died before recording it). Returns how many it removed.
 */
export async function sweepUploads(db: Db, dataDir: string, at = Date.now()): Promise<number> {
  await expireUploads(db, new Date(at - UPLOAD_LIFETIME_MS).toISOString(), EXPIRED_UPLOAD);
  const names = await readdir(path.join(dataDir, 'imports')).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  const ids = names.filter((n) => n.endsWith('.csv')).map((n) => n.slice(0, -'.csv'.length));
  const statuses = await importStatuses(db, ids);
  let removed = 0;
  for (const id of ids) {
    const status = statuses.get(id);
    if (status === 'uploaded' || status === 'running') continue;
    const file = importFilePath(dataDir, id);
    // No import names it yet: an upload still being written, unless it is a day old.
    if (status === undefined) {
      const written = await stat(file).then(
        (s) => s.mtimeMs,
        () => at,
      );
      if (at - written < UPLOAD_LIFETIME_MS) continue;
    }
    await rm(file, { force: true });
    removed++;
  }
  return removed;
}

/** Refuses a user's upload when they already have the most uploads waiting to be started, naming those. */
export async function checkPendingUploads(db: Db, ownerId: string, limits: UploadLimits): Promise<void> {
  const waiting = await listPendingUploads(db, ownerId);
  const most = limits.DRIPLINE_PENDING_UPLOADS_PER_USER;
  if (waiting.length >= most)
    throw new UserError(
      429,
      'too_many_pending_uploads',
      `you have ${waiting.length} uploaded files not started yet (${waiting.map((w) => w.fileName).join(', ')}), and at most ${most} may wait; ` +
        'start or discard one of them first (an upload not started is removed a day after it was uploaded)',
      { waiting, limit: most },
    );
}

/**
 * Refuses (507) an upload of `bytes` (MAX_IMPORT_BYTES when not declared) that would leave less than
 * DRIPLINE_UPLOAD_MIN_FREE_MB free on the data folder's disk: the send ledger writes there, and a full
 * disk would fail its writes.
 */
export async function checkFreeDisk(dataDir: string, bytes: number | undefined, limits: UploadLimits): Promise<void> {
  const disk = await statfs(dataDir);
  const free = disk.bavail * disk.bsize;
  const incoming = bytes ?? MAX_IMPORT_BYTES;
  const keep = limits.DRIPLINE_UPLOAD_MIN_FREE_MB * MB;
  if (free - incoming < keep)
    throw new UserError(
      507,
      'insufficient_storage',
      `the server's disk has ${mb(free)} free, and this upload of ${mb(incoming)} would leave less than the ${mb(keep)} kept free ` +
        'for sending (DRIPLINE_UPLOAD_MIN_FREE_MB); ask an admin to free space on the server, or upload a smaller file',
      { free, limit: keep },
    );
}
