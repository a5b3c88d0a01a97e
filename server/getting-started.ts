/**
 * The getting-started checklist of a fresh install: each first step is done when the data says so
 * (nothing is stored to tick it), as the actor sees the install.
 */
import { SANDBOX_PROFILE_ID } from '../domain/senders';
import { visibleRuns } from './access';
import type { Db, SandboxDb } from './db';
import { hasContactBesides, hasDrawnFlow, hasProfileBesides } from './db/getting-started';
import { countSandboxMessages } from './db/sandbox';
import type { Actor } from './profiles';
import { SAMPLE_CONTACT_IDS, SAMPLE_FLOW_ID } from './seed';

export interface GettingStarted {
  /** An SMTP profile of their own, or a message sent through the sandbox. */
  sending: boolean;
  /** A contact besides the samples (added or imported). */
  contacts: boolean;
  /** A flow besides the sample, or the sample changed. */
  flow: boolean;
  /** A run started (published first: a run needs a published version). */
  run: boolean;
}

export async function gettingStarted(db: Db, sandboxDb: SandboxDb, actor: Actor): Promise<GettingStarted> {
  const [ownProfile, sandboxMail, contacts, flow, runs] = await Promise.all([
    hasProfileBesides(db, SANDBOX_PROFILE_ID),
    countSandboxMessages(sandboxDb).then((m) => m.count > 0),
    hasContactBesides(db, SAMPLE_CONTACT_IDS),
    hasDrawnFlow(db, SAMPLE_FLOW_ID, actor.role === 'admin' ? {} : { ownedBy: actor.id }),
    visibleRuns(db, actor),
  ]);
  return { sending: ownProfile || sandboxMail, contacts, flow, run: runs.length > 0 };
}

export const allDone = (steps: GettingStarted): boolean => Object.values(steps).every(Boolean);
