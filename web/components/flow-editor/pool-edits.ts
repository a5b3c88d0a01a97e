/** The editor's edits of a Send Email node's pool of senders (pool-fields.tsx), pure. */
import type { SendEmailData } from '@domain/flow/nodes/send-email';
import type { PoolMember } from '@domain/flow/pool';
import { AGENT_DEFAULT } from '@domain/senders';
import type { SenderProfile } from './types';

/** The data with this pool, `profileId` its first member; a pool of one is no pool. */
export function withPool(data: SendEmailData, pool: PoolMember[]): SendEmailData {
  const { pool: _old, ...rest } = data;
  const first = pool[0]?.profileId ?? data.profileId;
  return pool.length > 1 ? { ...rest, profileId: first, pool } : { ...rest, profileId: first };
}

/** A profile the pool does not hold yet (the agent's default last), for a new member. */
export function nextProfile(pool: readonly PoolMember[], profiles: readonly SenderProfile[]): string {
  const taken = new Set(pool.map((m) => m.profileId));
  return profiles.find((p) => !taken.has(p.id))?.id ?? (taken.has(AGENT_DEFAULT) ? '' : AGENT_DEFAULT);
}

/** Turns the node's one sender into a pool of two, the second another profile. */
export function startPool(data: SendEmailData, profiles: readonly SenderProfile[]): SendEmailData {
  const first = { profileId: data.profileId, weight: 1 };
  return withPool(data, [first, { profileId: nextProfile([first], profiles), weight: 1 }]);
}
