/** What the start page's review states before a run starts: the version's senders for this person, and its path's timing. */
import { stepProfileIds } from '../../domain/flow/pool';
import type { Db } from '../db';
import { throttleState } from '../db/throttle';
import type { Plan } from '../../domain/flow/plan';
import { type PathTiming, planTiming, profileLimits, type SendLimit } from '../../domain/run-forecast';
import { limitsOf, type SendLimits } from '../../domain/send-limits';
import { UserError } from '../errors';
import { type Actor, resolveSender } from '../profiles';

export interface PlannedSender {
  /** The sender as the version names it ("Agent's default" becomes the actor's default profile). */
  name: string;
  /** Messages a second (learned from the server or its own limit); null: no limit known. */
  ratePerSecond: number | null;
  limits: SendLimit[];
  /** Its own limits as it counts them (its zone's days, its warm-up), for the forecast. */
  own?: { limits: SendLimits; sentToday: number };
  /** Why starting the run with it would be refused (not theirs, no default profile), or null. */
  problem: string | null;
}

export interface RunReview {
  senders: PlannedSender[];
  path: PathTiming;
}

/** The senders a version would send with if this actor started it now, each with its pace and limits, and the plan's timing. */
export async function runReview(db: Db, actor: Actor, plan: Plan): Promise<RunReview> {
  const ids = [...new Set(Object.values(plan.steps).flatMap((s) => (s.type === 'sendEmail' ? stepProfileIds(s) : [])))];
  const senders: PlannedSender[] = [];
  for (const id of ids) {
    try {
      const profile = await resolveSender(db, actor, id);
      const pace = await throttleState(db, profile);
      senders.push({
        name: profile.name,
        ratePerSecond: pace.effectiveRate ?? profile.ratePerSecond,
        limits: profileLimits(profile),
        own: { limits: { ...limitsOf(profile), ratePerSecond: pace.effectiveRate }, sentToday: pace.sentToday },
        problem: null,
      });
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      senders.push({ name: id, ratePerSecond: null, limits: [], problem: err.message });
    }
  }
  return { senders, path: planTiming(plan) };
}
