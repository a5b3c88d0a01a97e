/**
 * The report of a flow whose journeys an API event or a list's new member starts (event_entries): per
 * version and day the journeys started, messages accepted and failed, and goals reached; per version, each
 * Send step's outcomes and the steps where contacts converted. A journey's delivery rows carry its entry id
 * as their run id, so each count joins event_entries by flow (event_entries_key) to the log by run.
 */
import type { Db } from '.';
import { sql } from '.';

export interface JourneyDay {
  version: number;
  /** The day the journeys started (UTC, YYYY-MM-DD). */
  day: string;
  started: number;
  sent: number;
  failed: number;
  converted: number;
}

const day = (column: string) => sql<string>`substr(${sql.ref(column)}, 1, 10)`;

/** Each version and day with journeys, newest first. */
export async function journeyDays(db: Db, flowId: string): Promise<JourneyDay[]> {
  const entered = day('eventEntries.enteredAt');
  const started = await db
    .selectFrom('eventEntries')
    .select(['version', entered.as('day'), (eb) => eb.fn.countAll<number>().as('n')])
    .where('flowId', '=', flowId)
    .groupBy(['version', entered])
    .execute();
  const outcomes = await db
    .selectFrom('eventEntries')
    .innerJoin('deliveryAttempts', 'deliveryAttempts.runId', 'eventEntries.id')
    .select(['eventEntries.version', entered.as('day'), 'deliveryAttempts.outcome', (eb) => eb.fn.countAll<number>().as('n')])
    .where('eventEntries.flowId', '=', flowId)
    .where('deliveryAttempts.outcome', 'in', ['sent', 'failed'])
    .groupBy(['eventEntries.version', entered, 'deliveryAttempts.outcome'])
    .execute();
  const converted = await db
    .selectFrom('eventEntries')
    .innerJoin('journeyConversions', 'journeyConversions.runId', 'eventEntries.id')
    .select(['eventEntries.version', entered.as('day'), (eb) => eb.fn.countAll<number>().as('n')])
    .where('eventEntries.flowId', '=', flowId)
    .groupBy(['eventEntries.version', entered])
    .execute();
  const days = new Map<string, JourneyDay>();
  const at = (version: number, d: string) => {
    const key = `${version}|${d}`;
    const found = days.get(key) ?? { version: Number(version), day: d, started: 0, sent: 0, failed: 0, converted: 0 };
    days.set(key, found);
    return found;
  };
  for (const r of started) at(r.version, r.day).started += Number(r.n);
  for (const r of outcomes) at(r.version, r.day)[r.outcome === 'sent' ? 'sent' : 'failed'] += Number(r.n);
  for (const r of converted) at(r.version, r.day).converted += Number(r.n);
  return [...days.values()].sort((a, b) => b.day.localeCompare(a.day) || b.version - a.version);
}

/** One version's counts per step: delivery outcomes by Send step, and 'converted' where goals were reached. */
export async function journeyStepCounts(db: Db, flowId: string, version: number): Promise<{ nodeId: string; what: string; n: number }[]> {
  const outcomes = await db
    .selectFrom('eventEntries')
    .innerJoin('deliveryAttempts', 'deliveryAttempts.runId', 'eventEntries.id')
    .select(['deliveryAttempts.nodeId', 'deliveryAttempts.outcome', (eb) => eb.fn.countAll<number>().as('n')])
    .where('eventEntries.flowId', '=', flowId)
    .where('eventEntries.version', '=', version)
    .groupBy(['deliveryAttempts.nodeId', 'deliveryAttempts.outcome'])
    .execute();
  const converted = await db
    .selectFrom('journeyConversions')
    .select(['nodeId', (eb) => eb.fn.countAll<number>().as('n')])
    .where('flowId', '=', flowId)
    .where('version', '=', version)
    .groupBy('nodeId')
    .execute();
  return [
    ...outcomes.map((r) => ({ nodeId: r.nodeId, what: r.outcome as string, n: Number(r.n) })),
    ...converted.map((r) => ({ nodeId: r.nodeId, what: 'converted', n: Number(r.n) })),
  ];
}

/** The journeys each of these flows started, and when the last one did. */
export async function journeyTotals(db: Db, flowIds: string[]): Promise<Map<string, { journeys: number; lastAt: string }>> {
  if (flowIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('eventEntries')
    .select(['flowId', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.max('enteredAt').as('lastAt')])
    .where('flowId', 'in', flowIds)
    .groupBy('flowId')
    .execute();
  return new Map(rows.map((r) => [r.flowId, { journeys: Number(r.n), lastAt: String(r.lastAt) }]));
}
