/**
 * Export and import of flows as files (`domain/flow/portable.ts`). An export is the draft or one
 * published version, of a flow the user may see. An import always creates a new draft owned by the
 * importer (a new id: it never overwrites), after every SMTP profile its Send nodes name is one this
 * user may use here, or has been mapped (`profileMap`) to one.
 */
import { namedProfiles, type PortableFlow, parsePortable, remapProfiles, toPortable } from '../domain/flow/portable';
import { FlowGraph } from '../domain/flow/schema';
import { nodeTitle } from '../domain/flow/step-title';
import { AGENT_DEFAULT } from '../domain/senders';
import { visibleFlow, saveDraftAs } from './access';
import { newId, type Db } from './db';
import { getFlowVersion } from './db/flows';
import { UserError } from './errors';
import { type Actor, profileFor } from './profiles';

/** The draft (or, with `version`, that published version) as a portable file. */
export async function exportFlowAs(db: Db, actor: Actor, flowId: string, version?: number): Promise<PortableFlow> {
  const flow = await visibleFlow(db, actor, flowId);
  if (version !== undefined) {
    const published = await getFlowVersion(db, flowId, version);
    if (!published) throw new UserError(404, 'version_not_found', `flow "${flowId}" has no published version ${version}`, { field: 'version' });
    return toPortable(flow.name, published.graph, new Date());
  }
  const draft = FlowGraph.safeParse(flow.graph);
  if (!draft.success) {
    throw new UserError(
      422,
      'invalid_flow',
      'the draft does not parse as a flow; fix it in the editor (or export a published version)',
      draft.error.issues,
    );
  }
  return toPortable(flow.name, draft.data, new Date());
}

/** A profile the file names that cannot be used here as it is: the importer must choose another. */
export interface UnmappedProfile {
  profileId: string;
  /** missing: no such profile here; forbidden: someone else's private profile. */
  reason: 'missing' | 'forbidden';
  /** The Send steps that name it, by their titles. */
  steps: string[];
}

/** Why a profile id cannot be used by the actor, or null when it can (agent's default always can). */
async function unusable(db: Db, actor: Actor, profileId: string): Promise<'missing' | 'forbidden' | null> {
  if (profileId === AGENT_DEFAULT) return null;
  try {
    await profileFor(db, actor, profileId);
    return null;
  } catch (err) {
    if (err instanceof UserError && (err.status === 404 || err.status === 403)) return err.status === 404 ? 'missing' : 'forbidden';
    throw err;
  }
}

/**
 * Creates a new draft from a file: 422 `invalid_file` with each bad field; 422 `profile_mapping_needed`
 * listing the profiles to map (details.unmapped) when any Send node names one this user cannot use
 * and `profileMap` does not replace it; 422 naming `profileMap.<id>` when a replacement is not usable.
 */
export async function importFlowAs(
  db: Db,
  actor: Actor,
  file: unknown,
  profileMap: Readonly<Record<string, string>> = {},
): Promise<{ id: string; name: string }> {
  const parsed = parsePortable(file);
  if (!parsed.ok) {
    const first = parsed.errors[0]?.message ?? 'the file is not a Dripline flow';
    throw new UserError(422, 'invalid_file', `this file cannot be imported: ${first}`, parsed.errors);
  }
  const { name, graph } = parsed.flow;
  const badTargets = [];
  for (const [from, to] of Object.entries(profileMap)) {
    const reason = await unusable(db, actor, to);
    if (reason) {
      const why = reason === 'missing' ? 'does not exist here' : 'is private to another user';
      badTargets.push({ field: `profileMap.${from}`, message: `SMTP profile "${to}" ${why}; choose one of your profiles for "${from}"` });
    }
  }
  if (badTargets.length > 0) throw new UserError(422, 'invalid_profile_map', badTargets[0]?.message ?? 'invalid profileMap', badTargets);

  const remapped = remapProfiles(graph, profileMap);
  const unmapped: UnmappedProfile[] = [];
  for (const profileId of namedProfiles(remapped)) {
    const reason = await unusable(db, actor, profileId);
    if (!reason) continue;
    const steps = remapped.nodes.filter((n) => n.type === 'sendEmail' && n.data.profileId === profileId).map((n) => nodeTitle(n));
    unmapped.push({ profileId, reason, steps });
  }
  if (unmapped.length > 0) {
    const ids = unmapped.map((u) => `"${u.profileId}"`).join(', ');
    throw new UserError(
      422,
      'profile_mapping_needed',
      `choose a sender of yours for SMTP profile ${ids}, which this flow names but you cannot use here`,
      {
        unmapped,
      },
    );
  }
  const id = newId('flow');
  await saveDraftAs(db, actor, { id, name, graph: remapped });
  return { id, name };
}
