/**
 * Which flows a segment or a list is in use by: the current published version of a flow (archived ones
 * too: their journeys may still run), an older version whose journeys may still run (a contact entered
 * it more recently than its longest journey lasts), and the plans of runs in flight (running or paused)
 * whose Condition steps test it. Plans are JSON text: the database finds the candidates by the id's key and value, and
 * each is then parsed and checked step by step, so a look-alike string cannot count.
 */
import { testedBy } from '../../domain/flow/nodes/condition';
import type { Plan } from '../../domain/flow/plan';
import { sql, type Db } from '.';

export type TestedAudience = { segmentId: string } | { listId: string };

function tests(planJson: string | null, what: TestedAudience): boolean {
  if (!planJson) return false;
  let plan: Plan;
  try {
    plan = JSON.parse(planJson) as Plan;
  } catch {
    return false;
  }
  return Object.values(plan.steps ?? {}).some((step) => {
    if (step.type !== 'condition') return false;
    const tested = testedBy(step);
    return 'segmentId' in what ? tested.segmentIds.includes(what.segmentId) : tested.listIds.includes(what.listId);
  });
}

const MONTH_MS = 31 * 24 * 3600_000;
/**
 * At most how long a journey on this plan lasts: every Delay at its longest, and a month for every other
 * step (a send window waits at most a week, a send is retried for at most 30 days). Over-counts branches.
 */
export function longestJourneyMs(planJson: string | null): number {
  try {
    const plan = JSON.parse(planJson ?? '{}') as Plan;
    return Object.values(plan.steps ?? {}).reduce((sum, step) => sum + (step.type === 'delay' ? step.maxMs : MONTH_MS), 0);
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** The flows (id and name, by name) whose current published version, journeys that may still run, or runs in flight test this segment or list. */
export async function flowsTesting(db: Db, what: TestedAudience): Promise<{ id: string; name: string }[]> {
  const [key, value] = 'segmentId' in what ? ['segmentId', what.segmentId] : ['listId', what.listId];
  const pattern = `%${JSON.stringify(key)}:${JSON.stringify(value)}%`;
  const published = await db
    .selectFrom('flowVersions')
    .innerJoin('flows', 'flows.id', 'flowVersions.flowId')
    .select(['flows.id', 'flows.name', 'flowVersions.plan'])
    .where('flows.deletedAt', 'is', null)
    .where('flowVersions.version', '=', (eb) =>
      eb
        .selectFrom('flowVersions as newest')
        .select((n) => n.fn.max('newest.version').as('v'))
        .whereRef('newest.flowId', '=', 'flows.id'),
    )
    .where('flowVersions.plan', 'like', pattern)
    .execute();
  const running = await db
    .selectFrom('runs')
    .innerJoin('flows', 'flows.id', 'runs.flowId')
    .select(['flows.id', 'flows.name', 'runs.plan'])
    .where('runs.status', 'in', ['scheduled', 'running', 'paused'])
    .where(sql<string>`coalesce(runs.plan, '')`, 'like', pattern)
    .execute();
  // Older versions' journeys: the last entry into each version that tests it, and its plan's longest journey.
  const entered = await db
    .selectFrom('eventEntries')
    .innerJoin('flowVersions', (j) =>
      j.onRef('flowVersions.flowId', '=', 'eventEntries.flowId').onRef('flowVersions.version', '=', 'eventEntries.version'),
    )
    .innerJoin('flows', 'flows.id', 'eventEntries.flowId')
    .select(['flows.id', 'flows.name', 'flowVersions.plan'])
    .select((eb) => eb.fn.max('eventEntries.enteredAt').as('lastEntered'))
    .where('flows.deletedAt', 'is', null)
    .where('flowVersions.plan', 'like', pattern)
    .groupBy(['flows.id', 'flows.name', 'flowVersions.plan'])
    .execute();
  const mayRun = entered.filter((row) => Date.parse(String(row.lastEntered)) + longestJourneyMs(row.plan) > Date.now());
  const flows = new Map<string, string>();
  for (const row of [...published, ...running, ...mayRun]) if (tests(row.plan, what)) flows.set(row.id, row.name);
  return [...flows].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name));
}
