/** What the getting-started checklist reads: whether each first step was taken, from the data itself. */
import type { Db } from '.';

/** Whether an SMTP profile other than the built-in one exists, not deleted (someone set up their own server). */
export async function hasProfileBesides(db: Db, builtInId: string): Promise<boolean> {
  return (
    (await db.selectFrom('smtpProfiles').select('id').where('id', '!=', builtInId).where('deletedAt', 'is', null).limit(1).executeTakeFirst()) !==
    undefined
  );
}

/** Whether a contact other than these (the samples a fresh install comes with) exists. */
export async function hasContactBesides(db: Db, sampleIds: readonly string[]): Promise<boolean> {
  let q = db.selectFrom('contacts').select('id');
  if (sampleIds.length > 0) q = q.where('id', 'not in', sampleIds);
  return (await q.limit(1).executeTakeFirst()) !== undefined;
}

/**
 * Whether someone drew a flow: one other than the sample, or the sample changed since it was seeded
 * (saving it moves `updatedAt`). With `ownedBy`, only that user's flows count.
 */
export async function hasDrawnFlow(db: Db, sampleId: string, options: { ownedBy?: string } = {}): Promise<boolean> {
  let q = db
    .selectFrom('flows')
    .select('id')
    .where('deletedAt', 'is', null)
    .where((eb) => eb.or([eb('id', '!=', sampleId), eb('updatedAt', '!=', eb.ref('createdAt'))]));
  if (options.ownedBy !== undefined) q = q.where('ownerId', '=', options.ownedBy);
  return (await q.limit(1).executeTakeFirst()) !== undefined;
}
