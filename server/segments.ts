/** Segments: saving a named contact filter after checking it against the attributes contacts have, and counting it. */
import { checkFilter, type ContactFilter } from '../domain/contact-filter';
import { type Db, isUniqueViolation } from './db';
import { listAttributeDefinitions } from './db/contacts';
import { countMatching } from './db/contact-filter';
import { findSegmentByName, getSegment, insertSegment, type Segment, updateSegment } from './db/segments';
import { UserError } from './errors';

export interface SegmentInput {
  name: string;
  filter: ContactFilter;
}

/** How many contacts a filter matches, and how many of them a run would mail (the subscribed). */
export interface SegmentCount {
  contacts: number;
  subscribed: number;
}

/**
 * What the schema cannot see: each rule names an attribute contacts have and an operator that fits its
 * type. A 422 whose details name the first bad field (e.g. `filter.rules.1.op`) and list every problem.
 */
export async function assertFilterFits(db: Db, filter: ContactFilter, prefix = 'filter'): Promise<void> {
  const types = Object.fromEntries((await listAttributeDefinitions(db)).map((d) => [d.name, d.type]));
  const problems = checkFilter(filter, types).map((p) => ({ field: prefix ? `${prefix}.${p.field}` : p.field, message: p.message }));
  const first = problems[0];
  if (first) {
    throw new UserError(422, 'invalid_filter', `${first.field}: ${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, {
      field: first.field,
      problems,
    });
  }
}

/** The live count: checked like a saved segment, then counted by the database in one pass. */
export async function countFilter(db: Db, filter: ContactFilter): Promise<SegmentCount> {
  await assertFilterFits(db, filter);
  return countMatching(db, filter);
}

async function assertNameFree(db: Db, name: string, exceptId?: string) {
  if (await findSegmentByName(db, name, exceptId)) {
    throw new UserError(409, 'duplicate_segment', `a segment named "${name}" already exists; choose another name`, { field: 'name' });
  }
}

export async function createSegment(db: Db, actor: { id: string }, input: SegmentInput): Promise<Segment> {
  await assertFilterFits(db, input.filter);
  await assertNameFree(db, input.name);
  let id: string;
  try {
    id = await insertSegment(db, { ...input, createdBy: actor.id });
  } catch (err) {
    if (isUniqueViolation(err)) await assertNameFree(db, input.name);
    throw err;
  }
  return segmentOr404(db, id);
}

export async function saveSegment(db: Db, id: string, input: SegmentInput): Promise<Segment> {
  await segmentOr404(db, id);
  await assertFilterFits(db, input.filter);
  await assertNameFree(db, input.name, id);
  try {
    await updateSegment(db, id, input);
  } catch (err) {
    if (isUniqueViolation(err)) await assertNameFree(db, input.name, id);
    throw err;
  }
  return segmentOr404(db, id);
}

export async function segmentOr404(db: Db, id: string, field?: string): Promise<Segment> {
  const segment = await getSegment(db, id);
  if (!segment) {
    throw new UserError(404, 'segment_not_found', `segment "${id}" does not exist; choose one on the Segments page`, field ? { field } : undefined);
  }
  return segment;
}
