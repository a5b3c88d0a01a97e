import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';
import { bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { root, workflowsPath } from './helpers';

const workflowsDir = path.join(root, 'workflows');
const domainDir = path.join(root, 'domain');
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
// Deterministic packages that may run inside the workflow sandbox.
const allowedPackages = new Set(['@temporalio/workflow', '@temporalio/common', 'zod']);

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : /\.tsx?$/.test(e.name) ? [p] : [];
  });
}

/** Every import in workflow code that could break determinism: Node built-ins, other packages, code outside workflows/. */
function forbiddenImports(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const problems: string[] = [];
  source.forEachChild((node) => {
    if (!(ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) || !node.moduleSpecifier) return;
    const spec = (node.moduleSpecifier as ts.StringLiteral).text;
    const typeOnly = ts.isImportDeclaration(node) ? node.importClause?.isTypeOnly === true : node.isTypeOnly;
    if (typeOnly) return;
    const where = `${path.relative(root, file)}: import of "${spec}"`;
    if (builtins.has(spec)) problems.push(`${where} is a Node built-in`);
    else if (spec.startsWith('.')) {
      const target = path.resolve(path.dirname(file), spec);
      const inside = [workflowsDir, domainDir].some((dir) => target.startsWith(dir + path.sep));
      if (!inside) problems.push(`${where} leaves workflows/ and domain/ (use import type)`);
    } else {
      const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
      if (!allowedPackages.has(pkg)) problems.push(`${where} is not allowed in workflow code (use import type)`);
    }
  });
  return problems;
}

describe('workflow code', () => {
  it('imports no Node built-ins, no non-type @temporalio/* but the workflow API, nothing outside workflows/', () => {
    const problems = sourceFiles(workflowsDir).flatMap((f) => forbiddenImports(f, fs.readFileSync(f, 'utf8')));
    expect(problems).toEqual([]);
  });

  it('the import check catches what it should', () => {
    const f = path.join(workflowsDir, 'x.ts');
    expect(forbiddenImports(f, `import fs from 'node:fs';`)).toHaveLength(1);
    expect(forbiddenImports(f, `import { Client } from '@temporalio/client';`)).toHaveLength(1);
    expect(forbiddenImports(f, `import { createActivities } from '../activities';`)).toHaveLength(1);
    expect(forbiddenImports(f, `import type { createActivities } from '../activities/send';`)).toHaveLength(0);
    expect(forbiddenImports(f, `import { sleep } from '@temporalio/workflow';`)).toHaveLength(0);
  });

  it("bundles with Temporal's bundler", async () => {
    const bundle = await bundleWorkflowCode({ workflowsPath, logger: undefined });
    expect(bundle.code).toContain('journeyWorkflow');
  });
});
