import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readConfig, type Config } from '../activities/config';
import { insertFlowVersion, insertRun, openDatabase, saveFlowDraft, type Db } from '../activities/db';
import { journeyWorkflowId } from '../activities/runs';
import { seed } from '../activities/seed';
import { compile } from '../workflows/flow/compile';
import type { FlowGraph } from '../workflows/flow/schema';
import type { Plan } from '../workflows/flow/plan';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const workflowsPath = path.join(root, 'workflows', 'index.ts');

/** A tool from scripts/ensure-tools.sh (installed into the cache on first use). */
export function toolPath(tool: 'temporal' | 'test-server'): string {
  return execFileSync('bash', [path.join(root, 'scripts', 'ensure-tools.sh'), tool], { encoding: 'utf8' }).trim();
}

/** A fresh data folder with a migrated, seeded database. */
export async function tempInstall(env: Record<string, string> = {}): Promise<{ config: Config; db: Db; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dripline-test-'));
  const config = readConfig({ DRIPLINE_DATA_DIR: dir, ...env });
  const db = await openDatabase(config.databaseFile);
  await seed(db, config);
  return { config, db, dir };
}

/** Publishes a graph as a new flow and records a run for the given contacts; returns the plan. */
export async function publishAndRecordRun(
  db: Db,
  flowId: string,
  graph: FlowGraph,
  runId: string,
  contactIds: string[],
): Promise<Plan> {
  await saveFlowDraft(db, { id: flowId, name: flowId, graph });
  const compiled = compile(graph, { flowId, version: 1 });
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  const version = await insertFlowVersion(db, flowId, compiled.graph, (v) => ({ ...compiled.plan, version: v }));
  await insertRun(db, {
    id: runId,
    flowId,
    version,
    contacts: contactIds.map((contactId) => ({ contactId, workflowId: journeyWorkflowId(flowId, version, contactId, runId) })),
  });
  return { ...compiled.plan, version };
}

export function graphWithDelay(delay: FlowGraph['nodes'][number]['data'], profileId = 'sandbox'): FlowGraph {
  return {
    schemaVersion: 1,
    nodes: [
      { id: 'start', type: 'trigger', position: { x: 0, y: 0 }, data: { source: 'audience' } },
      { id: 'wait', type: 'delay', position: { x: 0, y: 100 }, data: delay as never },
      { id: 'send', type: 'sendEmail', position: { x: 0, y: 200 }, data: { profileId, subject: 'Hi {{name}}', text: 'Hello {{name}}' } },
      { id: 'end', type: 'exit', position: { x: 0, y: 300 }, data: {} },
    ],
    edges: [
      { id: 'e1', source: 'start', target: 'wait' },
      { id: 'e2', source: 'wait', target: 'send' },
      { id: 'e3', source: 'send', target: 'end' },
    ],
  };
}
