import type { FlowGraph } from './schema';

/** The flow a new install starts with: Trigger → Delay (random 1–3 s) → Send Email → Exit. */
export function sampleFlow(profileId: string): FlowGraph {
  return {
    schemaVersion: 1,
    nodes: [
      { id: 'trigger', type: 'trigger', position: { x: 0, y: 0 }, data: { source: 'audience' } },
      { id: 'wait', type: 'delay', position: { x: 0, y: 140 }, data: { mode: 'random', min: 1, max: 3, unit: 'seconds' } },
      {
        id: 'welcome',
        type: 'sendEmail',
        position: { x: 0, y: 280 },
        data: { profileId, subject: 'Welcome to Dripline, {{name}}', text: 'Hello {{name}},\n\nthanks for joining.\n' },
      },
      { id: 'done', type: 'exit', position: { x: 0, y: 420 }, data: {} },
    ],
    edges: [
      { id: 'e-trigger-wait', source: 'trigger', target: 'wait' },
      { id: 'e-wait-welcome', source: 'wait', target: 'welcome' },
      { id: 'e-welcome-done', source: 'welcome', target: 'done' },
    ],
  };
}
