/** Graphs with a Condition, shared by the compile, journey and campaign tests. */
import type { ConditionTest } from '../domain/flow/nodes/condition';
import { SCHEMA_VERSION } from '../domain/flow/schema';

const at = { x: 0, y: 0 };

export interface BranchSpec {
  id: string;
  label: string;
  test: ConditionTest;
  /** The subject of the email this branch sends (then Exit); no email when absent. */
  subject?: string;
}

/**
 * Trigger → [Send Email "first" →] Condition "split" → per branch: Send Email → Exit; Otherwise: its own
 * Send Email (when `otherwiseSubject`) → Exit.
 */
export function conditionFlow(opts: { profileId: string; first?: string; branches: BranchSpec[]; otherwiseSubject?: string }) {
  const nodes: unknown[] = [{ id: 'trigger', type: 'trigger', position: at, data: { source: 'audience' } }];
  const edges: { id: string; source: string; target: string; sourceHandle?: string }[] = [];
  const send = (id: string, subject: string) =>
    nodes.push({ id, type: 'sendEmail', position: at, data: { profileId: opts.profileId, subject, text: `Hi {{name}}, ${subject}` } });
  let before = 'trigger';
  if (opts.first) {
    send('first', opts.first);
    edges.push({ id: 'e-trigger', source: 'trigger', target: 'first' });
    before = 'first';
  }
  nodes.push({
    id: 'split',
    type: 'condition',
    position: at,
    data: { branches: opts.branches.map(({ id, label, test }) => ({ id, label, test })) },
  });
  edges.push({ id: `e-${before}`, source: before, target: 'split' });
  const arms = [...opts.branches.map((b) => ({ id: b.id, subject: b.subject })), { id: 'otherwise', subject: opts.otherwiseSubject }];
  for (const arm of arms) {
    const exit = `exit-${arm.id}`;
    nodes.push({ id: exit, type: 'exit', position: at, data: {} });
    if (arm.subject) {
      send(`send-${arm.id}`, arm.subject);
      edges.push({ id: `e-split-${arm.id}`, source: 'split', target: `send-${arm.id}`, sourceHandle: arm.id });
      edges.push({ id: `e-send-${arm.id}`, source: `send-${arm.id}`, target: exit });
    } else {
      edges.push({ id: `e-split-${arm.id}`, source: 'split', target: exit, sourceHandle: arm.id });
    }
  }
  return { schemaVersion: SCHEMA_VERSION, nodes, edges };
}
