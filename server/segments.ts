/**
 * Segments: saving a named contact filter after checking it against the attributes contacts have, and
 * counting it. Only who may change a segment (its owner, admins: server/access.ts) saves or deletes it.
 */
import { checkFilter, type ContactFilter } from '../domain/contact-filter';
import { type Db, isUniqueViolation } from './db';
import { listAttributeDefinitions } from './db/contacts';
import { countMatching } from './db/contact-filter';
import { flowsTesting } from './db/audience-use';
import { getFlow } from './db/flows';
import { segmentFlows } from './db/segment-entries';
import { deleteSegment, findSegmentByName, insertSegment, type Segment, updateSegment } from './db/segments';
import { UserError } from './errors';
import { visibleSegment } from './access';
import type { Actor } from './profiles';

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

export async function createSegment(db: Db, actor: Actor, input: SegmentInput): Promise<Segment> {
  await assertFilterFits(db, input.filter);
  await assertNameFree(db, input.name);
  let id: string;
  try {
    id = await insertSegment(db, { ...input, createdBy: actor.id });
  } catch (err) {
    if (isUniqueViolation(err)) await assertNameFree(db, input.name);
    throw err;
  }
  return visibleSegment(db, actor, id);
}

/**
 * Renames it or rewrites its rules. A flow testing it sees the new rules at once, by design (a segment
 * is a live definition); only its owner and admins may change it, so nobody else's edit can turn a
 * published flow's test into "Otherwise".
 */
export async function saveSegment(db: Db, actor: Actor, id: string, input: SegmentInput): Promise<Segment> {
  await visibleSegment(db, actor, id);
  await assertFilterFits(db, input.filter);
  await assertNameFree(db, input.name, id);
  try {
    await updateSegment(db, id, input);
  } catch (err) {
    if (isUniqueViolation(err)) await assertNameFree(db, input.name, id);
    throw err;
  }
  return visibleSegment(db, actor, id);
}

/** A 409 naming the flows that test a segment or list, when any does: deleting it would send their contacts down "Otherwise". */
export function inUse(what: string, flows: { id: string; name: string }[]): UserError | undefined {
  if (flows.length === 0) return undefined;
  const names = flows.map((f) => `"${f.name}"`).join(', ');
  return new UserError(
    409,
    'in_use',
    `${what} is tested by ${flows.length === 1 ? 'the flow' : 'the flows'} ${names} (published or running); remove it from their Condition steps and publish, or let their runs finish, first`,
    { flows },
  );
}

/** Deletes it, unless a published flow or a run in flight tests it (409 naming them). Runs started for it keep their recipients. */
export async function deleteSegmentAs(db: Db, actor: Actor, id: string): Promise<void> {
  const segment = await visibleSegment(db, actor, id);
  const refused = inUse(`segment "${segment.name}"`, await flowsTesting(db, { segmentId: id }));
  if (refused) throw refused;
  // A published flow that starts on entering it, or has entering it as its goal.
  const entering = (await segmentFlows(db)).filter((f) => f.segmentId === id || f.goalSegment === id);
  if (entering.length > 0) {
    const flows = await Promise.all(entering.map(async (f) => ({ id: f.flowId, name: (await getFlow(db, f.flowId))?.name ?? f.flowId })));
    throw new UserError(
      409,
      'in_use',
      `segment "${segment.name}" starts or ends the journeys of ${flows.map((f) => `"${f.name}"`).join(', ')}; change their Trigger and publish, or archive them, first`,
      { flows },
    );
  }
  await deleteSegment(db, id);
}
