/**
 * Pools of profiles: a Send step may send through several SMTP profiles, each with a weight. Each
 * recipient's member is drawn by weighted rendezvous hashing of their contact id: the same recipient
 * always gets the same member while the same members are usable, each member gets about its weight's
 * share, and when a member pauses (refused login or certificate, the reputation guard) only its own
 * recipients move, spread over the others by their weights. Pure: the batch sender, the single sender
 * and the tests share it.
 */
import { z } from 'zod';

export const MAX_POOL_MEMBERS = 10;
export const MAX_WEIGHT = 100;

export const PoolMember = z.object({
  profileId: z.string().min(1, 'choose a profile for each member of the pool'),
  weight: z
    .number({ error: 'weight must be a whole number from 1 to 100' })
    .int('weight must be a whole number from 1 to 100')
    .min(1, 'weight must be at least 1')
    .max(MAX_WEIGHT, `weight must be at most ${MAX_WEIGHT}`),
});
export type PoolMember = z.infer<typeof PoolMember>;

export const Pool = z
  .array(PoolMember)
  .min(2, 'a pool needs at least two profiles; remove the pool to send through one')
  .max(MAX_POOL_MEMBERS, `a pool holds at most ${MAX_POOL_MEMBERS} profiles`)
  .refine((members) => new Set(members.map((m) => m.profileId)).size === members.length, 'each profile may be in the pool once');

/** FNV-1a over the string, mixed, as a number in (0, 1): the same on every machine, the browser and the workflow sandbox. */
function unitHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // A final avalanche (murmur3's), so that ids differing in one character land far apart.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return ((h >>> 0) + 0.5) / 4294967296;
}

/**
 * The member that sends to this contact: of the members not in `unusable`, the one with the lowest
 * -ln(u)/weight, u drawn from the contact and the profile. Undefined when every member is unusable.
 */
export function poolMember(contactId: string, members: readonly PoolMember[], unusable: ReadonlySet<string> = new Set()): string | undefined {
  let best: { profileId: string; score: number } | undefined;
  for (const m of members) {
    if (unusable.has(m.profileId) || m.weight <= 0) continue;
    const score = -Math.log(unitHash(`${m.profileId}\u0000${contactId}`)) / m.weight;
    if (!best || score < best.score) best = { profileId: m.profileId, score };
  }
  return best?.profileId;
}

/** Every profile a Send step may send through: its pool's members, or its one profile. */
export function stepProfileIds(step: { profileId: string; pool?: readonly PoolMember[] }): string[] {
  return step.pool && step.pool.length > 0 ? step.pool.map((m) => m.profileId) : [step.profileId];
}
