/** The report of a flow's event-started journeys, per version and day and per step; and the flows that have some. */
import type { Db } from '../db';
import { getFlowVersion } from '../db/flows';
import { journeyDays, journeyStepCounts, journeyTotals } from '../db/journey-report';
import { journeyStepReport } from '../../domain/run-report';
import { stepTitle } from '../../domain/flow/step-title';
import { visibleFlow, visibleFlows } from '../access';
import type { Actor } from '../profiles';

/** The versions a report draws on their canvas, newest first. */
const VERSIONS_DRAWN = 3;

/** 404 unless the actor may see the flow. */
export async function journeyReport(db: Db, actor: Actor, flowId: string) {
  const flow = await visibleFlow(db, actor, flowId);
  const days = await journeyDays(db, flowId);
  const versions = [...new Set(days.map((d) => d.version))].sort((a, b) => b - a).slice(0, VERSIONS_DRAWN);
  const drawn = [];
  for (const version of versions) {
    const found = await getFlowVersion(db, flowId, version);
    if (!found) continue;
    const counts = await journeyStepCounts(db, flowId, version);
    const started = days.filter((d) => d.version === version).reduce((n, d) => n + d.started, 0);
    const converted = counts.filter((c) => c.what === 'converted').map((c) => ({ step: stepTitle(found.plan.steps[c.nodeId], c.nodeId), n: c.n }));
    drawn.push({ version, graph: found.graph, steps: journeyStepReport(found.plan, counts, started), converted });
  }
  return { flow, days, versions: drawn };
}

/** The flows the actor may see whose journeys events or lists started, with how many and the last one's time. */
export async function journeyFlows(db: Db, actor: Actor) {
  const flows = await visibleFlows(db, actor);
  const totals = await journeyTotals(
    db,
    flows.map((f) => f.id),
  );
  return flows.flatMap((f) => {
    const t = totals.get(f.id);
    return t ? [{ id: f.id, name: f.name, ...t }] : [];
  });
}
