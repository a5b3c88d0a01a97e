/**
 * Static lists: created by a user (their owner), changed and deleted only by who may (the owner,
 * admins: server/access.ts). A list a published flow or a run in flight tests is not deleted.
 */
import { type Db, isUniqueViolation } from './db';
import { flowsTesting } from './db/audience-use';
import { getFlow } from './db/flows';
import { listFlows } from './db/list-entries';
import { addToList, type ContactList, deleteList, findListByName, insertList, removeFromList } from './db/lists';
import { UserError } from './errors';
import { visibleList } from './access';
import type { Actor } from './profiles';
import { inUse } from './segments';
import { type ListEntryStarter, startListEntries } from './list-entries';
import { log } from './log';

export async function createList(db: Db, actor: Actor, name: string): Promise<ContactList> {
  const taken = () => new UserError(409, 'duplicate_list', `a list named "${name}" already exists; choose another name`, { field: 'name' });
  if (await findListByName(db, name)) throw taken();
  let id: string;
  try {
    id = await insertList(db, name, actor.id);
  } catch (err) {
    if (isUniqueViolation(err)) throw taken();
    throw err;
  }
  return visibleList(db, actor, id);
}

/** At most this many journeys are started before a request that added members answers; the worker starts the rest within seconds. */
const STARTS_IN_REQUEST = 500;

/**
 * Adds and removes contacts by hand (unknown ids are ignored); answers the list with its counts. The
 * new members' journeys in flows that start on joining the list are started before it answers, when
 * `temporal` is given and reachable, up to STARTS_IN_REQUEST (the worker starts the others in a few seconds).
 */
export async function changeListMembers(
  db: Db,
  actor: Actor,
  id: string,
  change: { add: string[]; remove: string[] },
  temporal?: () => Promise<Omit<ListEntryStarter, 'db'>>,
): Promise<ContactList> {
  await visibleList(db, actor, id);
  await addToList(db, id, change.add);
  await removeFromList(db, id, change.remove);
  if (temporal && change.add.length > 0) {
    await temporal()
      .then((t) => startListEntries({ db, ...t }, { atMost: STARTS_IN_REQUEST }))
      .catch((err: unknown) => log.warn({ err }, 'could not start the journeys of contacts who joined a list; the worker will'));
  }
  return visibleList(db, actor, id);
}

/** Deletes it with its memberships, unless a published flow or a run in flight tests it, or a published flow starts on joining it (409 naming them). */
export async function deleteListAs(db: Db, actor: Actor, id: string): Promise<void> {
  const list = await visibleList(db, actor, id);
  const refused = inUse(`list "${list.name}"`, await flowsTesting(db, { listId: id }));
  if (refused) throw refused;
  // A published flow whose Trigger is joining the list would never start again, silently.
  const triggered = await Promise.all(
    (await listFlows(db, id)).map(async (f) => ({ id: f.flowId, name: (await getFlow(db, f.flowId))?.name ?? f.flowId })),
  );
  if (triggered.length > 0) {
    const names = triggered.map((f) => `"${f.name}"`).join(', ');
    throw new UserError(
      409,
      'in_use',
      `list "${list.name}" starts ${triggered.length === 1 ? 'the flow' : 'the flows'} ${names} when contacts join it; change their Trigger and publish, or archive them, first`,
      { flows: triggered },
    );
  }
  await deleteList(db, id);
}
