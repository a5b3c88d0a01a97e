/** Journeys that reached their flow's goal ("converted"), counted per flow version and step. */
import type { Db } from '.';

export interface Conversion {
  /** The journey's runId (an event entry's id): one conversion per journey. */
  runId: string;
  flowId: string;
  version: number;
  /** The step the contact was in when the goal event came. */
  nodeId: string;
  contactId: string;
  convertedAt: string;
}

/** Records a journey's conversion; recorded again (an activity retried after a crash) it is kept once. */
export async function recordConversion(db: Db, conversion: Conversion): Promise<void> {
  await db
    .insertInto('journeyConversions')
    .values(conversion)
    .onConflict((oc) => oc.column('runId').doNothing())
    .execute();
}

/** How many journeys of the flow converted, per version and step, in version then step order. */
export async function conversionsByStep(db: Db, flowId: string): Promise<{ version: number; nodeId: string; converted: number }[]> {
  const rows = await db
    .selectFrom('journeyConversions')
    .select(['version', 'nodeId', (eb) => eb.fn.countAll<number | string | bigint>().as('converted')])
    .where('flowId', '=', flowId)
    .groupBy(['version', 'nodeId'])
    .orderBy('version')
    .orderBy('nodeId')
    .execute();
  return rows.map((r) => ({ version: r.version, nodeId: r.nodeId, converted: Number(r.converted) }));
}
