/**
 * The step registries are exhaustive: a step type added to the plan's `Step` union without its
 * campaign handler (server/cohort/steps) and its journey handler (workflows/journey-steps) does not
 * type-check. The TypeScript compiler checks the real registries against a `Step` with one more
 * member, given in memory in place of domain/flow/nodes/index.ts (so no fixture file is on disk).
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { root } from './helpers';

const NODES_INDEX = path.join(root, 'domain', 'flow', 'nodes', 'index.ts');
const REGISTRIES = {
  campaign: path.join(root, 'server', 'cohort', 'steps', 'index.ts'),
  journey: path.join(root, 'workflows', 'journey-steps', 'index.ts'),
};
const UNION = 'export type Step = (';
const parsed = new Map<string, ts.SourceFile>();

/** domain/flow/nodes/index.ts with a "push" step type added to the `Step` union. */
function withPushStep(text: string): string {
  if (!text.includes(UNION)) throw new Error(`${NODES_INDEX} no longer declares "${UNION}…": update this test`);
  return text.replace(UNION, `${UNION}{ type: 'push'; title: string; next: string } | `);
}

/** The compiler's messages about each registry file, type-checked with the project's options. */
function registryDiagnostics(rewriteSteps?: (text: string) => string): Record<keyof typeof REGISTRIES, string[]> {
  const config = ts.getParsedCommandLineOfConfigFile(
    path.join(root, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!config) throw new Error('tsconfig.json could not be read');
  const options = { ...config.options, incremental: false, noEmit: true };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, language, ...rest) => {
    if (rewriteSteps && path.resolve(fileName) === NODES_INDEX) {
      return ts.createSourceFile(fileName, rewriteSteps(fs.readFileSync(NODES_INDEX, 'utf8')), language);
    }
    // Every other file is the same in both checks: parsed once.
    let file = parsed.get(fileName);
    if (!file) {
      file = getSourceFile(fileName, language, ...rest);
      if (file) parsed.set(fileName, file);
    }
    return file;
  };
  const program = ts.createProgram(Object.values(REGISTRIES), options, host);
  const messages = (file: string) =>
    ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  return { campaign: messages(REGISTRIES.campaign), journey: messages(REGISTRIES.journey) };
}

describe('step registries', () => {
  it('type-check with a handler for every step type, in both layers', () => {
    expect(registryDiagnostics()).toEqual({ campaign: [], journey: [] });
  });

  it('refuse a step type without its campaign handler and its journey handler, naming the missing type', () => {
    const found = registryDiagnostics(withPushStep);
    expect(found.campaign).toEqual([expect.stringMatching(/Property 'push' is missing in type .* but required in type 'CohortSteps'/s)]);
    expect(found.journey).toEqual([expect.stringMatching(/Property 'push' is missing in type .* but required in type 'JourneySteps'/s)]);
  });
});
