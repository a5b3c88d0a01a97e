/** Segments: named, saved contact filters. A run's audience can be one, evaluated when it starts. */
import { ContactFilter } from '../../domain/contact-filter';
import { newId, now, sql, type Db } from '.';

export interface Segment {
  id: string;
  name: string;
  filter: ContactFilter;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  /** Who may see and change it besides admins; null: from before owners (admins only, until setup adopts it). */
  ownerId: string | null;
}

type SegmentRow = Omit<Segment, 'filter'> & { filter: string };

/** Rows become segments here: the filter was checked when it was saved, and is parsed again (a row that no longer parses reads as undefined). */
function toSegment(row: SegmentRow): Segment | undefined {
  let parsed: ReturnType<typeof ContactFilter.safeParse>;
  try {
    parsed = ContactFilter.safeParse(JSON.parse(row.filter));
  } catch {
    return undefined;
  }
  return parsed.success ? { ...row, filter: parsed.data } : undefined;
}

/** Every segment, or with `ownedBy` that user's, by name. */
export async function listSegments(db: Db, options: { ownedBy?: string } = {}): Promise<Segment[]> {
  let q = db.selectFrom('segments').selectAll();
  if (options.ownedBy !== undefined) q = q.where('ownerId', '=', options.ownedBy);
  const rows = await q.orderBy(sql`lower(name)`).execute();
  return rows.flatMap((r) => toSegment(r) ?? []);
}

export async function getSegment(db: Db, id: string): Promise<Segment | undefined> {
  const row = await db.selectFrom('segments').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toSegment(row);
}

/** Another segment with this name (case-insensitively), if any. */
export async function findSegmentByName(db: Db, name: string, exceptId?: string): Promise<{ id: string } | undefined> {
  let q = db.selectFrom('segments').select('id').where(sql<string>`lower(name)`, '=', name.toLowerCase());
  if (exceptId) q = q.where('id', '<>', exceptId);
  return q.executeTakeFirst();
}

export async function insertSegment(db: Db, segment: { name: string; filter: ContactFilter; createdBy: string }): Promise<string> {
  const id = newId('seg');
  const at = now();
  await db
    .insertInto('segments')
    .values({
      id,
      name: segment.name,
      filter: JSON.stringify(segment.filter),
      createdBy: segment.createdBy,
      ownerId: segment.createdBy,
      createdAt: at,
      updatedAt: at,
    })
    .execute();
  return id;
}

/** Returns false when there is no such segment. */
export async function updateSegment(db: Db, id: string, change: { name: string; filter: ContactFilter }): Promise<boolean> {
  const r = await db
    .updateTable('segments')
    .set({ name: change.name, filter: JSON.stringify(change.filter), updatedAt: now() })
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Returns false when there is no such segment. Runs started for it keep their recipients. */
export async function deleteSegment(db: Db, id: string): Promise<boolean> {
  const r = await db.deleteFrom('segments').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
