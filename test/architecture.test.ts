/**
 * The layers of docs/architecture.md, enforced by reading every import with the TypeScript parser:
 * domain/ is pure, workflows/ is deterministic, SQL lives only in server/db/, web/ never reaches
 * activities/, activities/index.ts registers every activity, no source file grows past 400 lines, and
 * web/ reads what a user may or may not see through server/ (which asks server/access.ts), and
 * workflows are started once through startOnce (server/temporal/start-once.ts).
 * Each rule is a function of a file's path and text, checked against a bad example first.
 */
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const at = (...parts: string[]) => path.join(root, ...parts);

/** Every folder of product code; test/ is not one of them. */
const SOURCE_DIRS = ['domain', 'server', 'workflows', 'activities', 'worker', 'web', 'scripts', 'bench'];
/** Generated or data folders inside them. */
const SKIPPED_DIRS = new Set(['node_modules', '.next', 'results', 'histories']);
const MAX_LINES = 400;

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
/** The web app's import aliases (tsconfig.json "paths"). */
const ALIASES: [prefix: string, dir: string][] = [
  ['@/', 'web'],
  ['@server/', 'server'],
  ['@domain/', 'domain'],
];
/** Packages that talk to a database: only server/db/ may load them. */
const DATABASE_PACKAGES = new Set(['kysely', 'better-sqlite3', 'pg']);
/**
 * The server/db/ modules holding what one user may see and another may not (flows, runs and their
 * recipients and delivery log, imports, direct sends, the sandbox mailbox, event entries): web/ reads
 * them through server/ functions that ask server/access.ts, never directly (types are fine).
 */
const OWNED_DATA = ['flows', 'runs', 'recipients', 'deliveries', 'imports', 'ownership', 'sandbox', 'event-entries', 'segments', 'lists'];
/** What the workflow sandbox may run besides workflows/ and domain/. */
const WORKFLOW_PACKAGES = new Set(['@temporalio/workflow', '@temporalio/common', 'zod']);

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return SKIPPED_DIRS.has(e.name) ? [] : sourceFiles(p);
    return /\.(m?ts|tsx)$/.test(e.name) ? [p] : [];
  });
}

interface Import {
  spec: string;
  /** `import type`, `export type … from`, or `typeof import('…')`: erased before the code runs. */
  typeOnly: boolean;
  line: number;
  /** The names it imports (`default` and `*` included), for the rules that care which. */
  names: string[];
}

/** Every import of a file: declarations, re-exports, `import x = require()`, dynamic `import()` and `require()`, and import types. */
function importsOf(file: string, text: string): Import[] {
  const kind = file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const found: Import[] = [];
  const add = (node: ts.Node, spec: ts.Node | undefined, typeOnly: boolean, names: string[] = []) => {
    if (!spec || !ts.isStringLiteralLike(spec)) return;
    found.push({ spec: spec.text, typeOnly, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1, names });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const names = [
        ...(clause?.name ? ['default'] : []),
        ...(clause?.namedBindings && ts.isNamespaceImport(clause.namedBindings) ? ['*'] : []),
        ...(clause?.namedBindings && ts.isNamedImports(clause.namedBindings)
          ? clause.namedBindings.elements.map((e) => (e.propertyName ?? e.name).text)
          : []),
      ];
      add(node, node.moduleSpecifier, clause?.isTypeOnly === true, names);
    } else if (ts.isExportDeclaration(node)) {
      add(node, node.moduleSpecifier, node.isTypeOnly);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node, node.argument.literal, true);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) {
        add(node, node.arguments[0], false);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The path an import points at (without extension), or undefined for a package. */
function target(file: string, spec: string): string | undefined {
  if (spec.startsWith('.')) return path.resolve(path.dirname(file), spec);
  const alias = ALIASES.find(([prefix]) => spec.startsWith(prefix));
  return alias ? path.join(root, alias[1], spec.slice(alias[0].length)) : undefined;
}

function packageName(spec: string): string {
  const parts = spec.split('/');
  return (spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]) ?? spec;
}

/** Whether a path is the folder root/<dir> or inside it. */
function inside(p: string, dir: string): boolean {
  const base = at(dir);
  return p === base || p.startsWith(base + path.sep);
}

/** Whether an import's target (no extension) is this file (x.ts, or x/index.ts). */
function isModule(targetPath: string, file: string): boolean {
  const bare = file.replace(/\.(m?ts|tsx)$/, '');
  return targetPath === bare || path.join(targetPath, 'index') === bare || targetPath.replace(/\.(m?[jt]s|tsx)$/, '') === bare;
}

const where = (file: string, i: Import) => `${path.relative(root, file)}:${i.line} imports "${i.spec}"`;

// ---- the rules ---------------------------------------------------------------------------------

/** (a) domain/ is shared by the browser, the server and the workflow bundle: zod and its own files only, types included. */
function domainProblems(file: string, text: string): string[] {
  return importsOf(file, text).flatMap((i) => {
    const to = target(file, i.spec);
    if (to !== undefined) return inside(to, 'domain') ? [] : [`${where(file, i)}: domain/ may import only domain/ files`];
    if (builtins.has(i.spec)) return [`${where(file, i)}: a Node built-in; domain/ runs in the browser and the workflow sandbox too`];
    return packageName(i.spec) === 'zod' ? [] : [`${where(file, i)}: domain/ may import no package but zod`];
  });
}

/** (b) workflows/ is deterministic: at run time only the workflow API, zod, workflows/ and domain/ (anything else as `import type`). */
function workflowProblems(file: string, text: string): string[] {
  return importsOf(file, text).flatMap((i) => {
    if (i.typeOnly) return [];
    const to = target(file, i.spec);
    if (to !== undefined) {
      return inside(to, 'workflows') || inside(to, 'domain') ? [] : [`${where(file, i)}: leaves workflows/ and domain/ (use import type)`];
    }
    if (builtins.has(i.spec)) return [`${where(file, i)}: a Node built-in in workflow code`];
    return WORKFLOW_PACKAGES.has(packageName(i.spec)) ? [] : [`${where(file, i)}: not allowed in workflow code (use import type)`];
  });
}

/** (c) web/ calls server/ and domain/; activities/ is the worker's alone. */
function webProblems(file: string, text: string): string[] {
  return importsOf(file, text).flatMap((i) => {
    const to = target(file, i.spec);
    return to !== undefined && inside(to, 'activities') ? [`${where(file, i)}: web/ must not import activities/ (use server/)`] : [];
  });
}

/** (d) SQL lives in server/db/ only: no database package and no `sql` template from server/db elsewhere (types are fine). */
function sqlProblems(file: string, text: string): string[] {
  return importsOf(file, text).flatMap((i) => {
    if (i.typeOnly) return [];
    if (DATABASE_PACKAGES.has(packageName(i.spec))) return [`${where(file, i)}: database access belongs in server/db/`];
    const to = target(file, i.spec);
    if (to !== undefined && inside(to, path.join('server', 'db')) && i.names.includes('sql')) {
      return [`${where(file, i)}: the sql template belongs in server/db/; add a query there`];
    }
    return [];
  });
}

/** (e) activities/index.ts imports every activity module, and the worker registers createActivities(deps). */
function registrationProblems(activityFiles: string[], indexFile: string, indexText: string, workerFile: string, workerText: string): string[] {
  const problems: string[] = [];
  const registered = importsOf(indexFile, indexText).flatMap((i) => (i.typeOnly ? [] : [target(indexFile, i.spec)]));
  for (const file of activityFiles) {
    if (!registered.some((to) => to !== undefined && isModule(to, file))) {
      problems.push(
        `${path.relative(root, file)} is not imported by activities/index.ts: every file in activities/ is an activity the worker registers`,
      );
    }
  }
  const imported = importsOf(workerFile, workerText).some((i) => {
    const to = target(workerFile, i.spec);
    return !i.typeOnly && to !== undefined && isModule(to, indexFile) && i.names.includes('createActivities');
  });
  const source = ts.createSourceFile(workerFile, workerText, ts.ScriptTarget.Latest, true);
  let called = false;
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'createActivities') called = true;
    ts.forEachChild(node, visit);
  };
  visit(source);
  if (!imported || !called) {
    problems.push(`${path.relative(root, workerFile)} must import createActivities from activities/ and register createActivities(deps)`);
  }
  return problems;
}

/** (f) A file past 400 lines holds more than one thing: split it. */
function lengthProblems(file: string, text: string): string[] {
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  return lines > MAX_LINES ? [`${path.relative(root, file)} has ${lines} lines (at most ${MAX_LINES}): split it`] : [];
}

/** (g) Pages and routes read flows, runs and other owned data through server/ (access.ts decides who sees what), not server/db/. */
function accessProblems(file: string, text: string): string[] {
  return importsOf(file, text).flatMap((i) => {
    const to = i.typeOnly ? undefined : target(file, i.spec);
    const owned = to !== undefined && OWNED_DATA.some((m) => isModule(to, at('server', 'db', `${m}.ts`)));
    return owned ? [`${where(file, i)}: web/ reads who-may-see data through a server/ function that asks server/access.ts`] : [];
  });
}

/** (h) "Start, and treat already started as success" lives in one place: startOnce. */
function startOnceProblems(file: string, text: string): string[] {
  if (file === at('server', 'temporal', 'start-once.ts')) return [];
  return importsOf(file, text).flatMap((i) =>
    i.names.includes('WorkflowExecutionAlreadyStartedError')
      ? [`${where(file, i)}: start workflows with startOnce (server/temporal/start-once.ts)`]
      : [],
  );
}

// ---- the checks --------------------------------------------------------------------------------

const read = (file: string) => fs.readFileSync(file, 'utf8');
const check = (dirs: string[], rule: (file: string, text: string) => string[], skip: (file: string) => boolean = () => false) =>
  dirs
    .flatMap((d) => sourceFiles(at(d)))
    .filter((f) => !skip(f))
    .flatMap((f) => rule(f, read(f)));

describe('architecture', () => {
  it('(a) domain/ imports only zod and domain/', () => {
    expect(check(['domain'], domainProblems)).toEqual([]);
  });

  it('(a) catches a domain/ file that reaches out', () => {
    const f = at('domain', 'flow', 'x.ts');
    expect(domainProblems(f, `import fs from 'node:fs';`)).toHaveLength(1);
    expect(domainProblems(f, `import { Kysely } from 'kysely';`)).toHaveLength(1);
    expect(domainProblems(f, `import type { Db } from '../../server/db';`)).toHaveLength(1);
    expect(domainProblems(f, `import { z } from 'zod';\nimport { headerSafe } from '../text';\nexport type { Plan } from './plan';`)).toEqual([]);
  });

  it('(b) workflows/ imports at run time only the workflow API, zod, workflows/ and domain/', () => {
    expect(check(['workflows'], workflowProblems)).toEqual([]);
  });

  it('(b) catches non-deterministic imports in workflows/', () => {
    const f = at('workflows', 'x.ts');
    expect(workflowProblems(f, `import fs from 'node:fs';`)).toHaveLength(1);
    expect(workflowProblems(f, `import { Client } from '@temporalio/client';`)).toHaveLength(1);
    expect(workflowProblems(f, `import { createActivities } from '../activities';`)).toHaveLength(1);
    expect(workflowProblems(f, `const m = await import('../server/db');`)).toHaveLength(1);
    expect(workflowProblems(f, `import type { Activities } from '../activities';`)).toEqual([]);
    expect(workflowProblems(f, `import { sleep } from '@temporalio/workflow';\nimport { compile } from '../domain/flow/compile';`)).toEqual([]);
  });

  it('(c) web/ never imports activities/', () => {
    expect(check(['web'], webProblems)).toEqual([]);
  });

  it('(c) catches web/ reaching activities/ by a relative path or an alias', () => {
    const f = at('web', 'app', 'x', 'page.tsx');
    expect(webProblems(f, `import { createActivities } from '../../../activities';`)).toHaveLength(1);
    expect(webProblems(f, `import type { SendEmailInput } from '@/../activities/send-email';`)).toHaveLength(1);
    expect(webProblems(f, `import { startRun } from '@server/runs/start';\nimport { getDb } from '@/lib/server';`)).toEqual([]);
  });

  it('(d) no SQL outside server/db/', () => {
    const db = at('server', 'db');
    expect(check(SOURCE_DIRS, sqlProblems, (f) => f.startsWith(db + path.sep))).toEqual([]);
  });

  it('(d) catches database access outside server/db/', () => {
    const f = at('server', 'x.ts');
    expect(sqlProblems(f, `import { Kysely } from 'kysely';`)).toHaveLength(1);
    expect(sqlProblems(f, `import SQLite from 'better-sqlite3';`)).toHaveLength(1);
    expect(sqlProblems(f, `import { sql, type Db } from './db';`)).toHaveLength(1);
    expect(sqlProblems(at('web', 'x.ts'), `import { sql } from '@server/db';`)).toHaveLength(1);
    expect(sqlProblems(f, `import type { Kysely } from 'kysely';\nimport { newId, type Db } from './db';`)).toEqual([]);
  });

  it('(e) activities/index.ts imports every activity, and the worker registers createActivities', () => {
    const index = at('activities', 'index.ts');
    const worker = at('worker', 'main.ts');
    const files = sourceFiles(at('activities')).filter((f) => f !== index);
    expect(registrationProblems(files, index, read(index), worker, read(worker))).toEqual([]);
  });

  it('(e) catches an unregistered activity and a worker that builds its own', () => {
    const index = at('activities', 'index.ts');
    const worker = at('worker', 'main.ts');
    const files = [at('activities', 'send-email.ts'), at('activities', 'send-batch.ts')];
    const indexText = `import { createSendEmail } from './send-email';\nimport type { X } from './send-batch';`;
    const workerText = `import { createActivities } from '../activities';\nWorker.create({ activities: createActivities(deps) });`;
    expect(registrationProblems(files, index, indexText, worker, workerText)).toHaveLength(1);
    expect(registrationProblems(files.slice(0, 1), index, indexText, worker, `import * as a from '../activities/send-email';`)).toHaveLength(1);
    expect(registrationProblems(files.slice(0, 1), index, indexText, worker, workerText)).toEqual([]);
  });

  it('(g) web/ reads flows, runs and other owned data through server/, not server/db/', () => {
    expect(check(['web'], accessProblems)).toEqual([]);
  });

  it('(g) catches a page or a route reading owned data from server/db/', () => {
    const page = at('web', 'app', 'runs', '[id]', 'page.tsx');
    expect(accessProblems(page, `import { getRun, runPlan } from '@server/db/runs';`)).toHaveLength(1);
    expect(accessProblems(page, `import { getFlow } from '../../../../server/db/flows';`)).toHaveLength(1);
    expect(
      accessProblems(at('web', 'app', 'api', 'imports', 'route.ts'), `const { listImportProblems } = await import('@server/db/imports');`),
    ).toHaveLength(1);
    expect(accessProblems(page, `import type { Run } from '@server/db/runs';\nimport { runPage } from '@server/runs/report';`)).toEqual([]);
    expect(accessProblems(page, `import { listLists } from '@server/db/lists';`)).toHaveLength(1);
    expect(accessProblems(page, `import { countMatching } from '@server/db/contact-filter';\nimport { visibleRun } from '@server/access';`)).toEqual(
      [],
    );
  });

  it('(h) only startOnce catches "already started"', () => {
    expect(check(SOURCE_DIRS, startOnceProblems)).toEqual([]);
  });

  it('(h) catches a copy of startOnce', () => {
    const f = at('server', 'x.ts');
    expect(startOnceProblems(f, `import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';`)).toHaveLength(1);
    expect(
      startOnceProblems(at('activities', 'x.ts'), `import { WorkflowExecutionAlreadyStartedError as Started } from '@temporalio/client';`),
    ).toHaveLength(1);
    expect(
      startOnceProblems(f, `import { WorkflowNotFoundError } from '@temporalio/client';\nimport { startOnce } from './temporal/start-once';`),
    ).toEqual([]);
    expect(
      startOnceProblems(at('server', 'temporal', 'start-once.ts'), `import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';`),
    ).toEqual([]);
  });

  it(`(f) no source file is over ${MAX_LINES} lines`, () => {
    expect(check(SOURCE_DIRS, lengthProblems)).toEqual([]);
  });

  it(`(f) catches a file over ${MAX_LINES} lines`, () => {
    const f = at('server', 'x.ts');
    expect(lengthProblems(f, 'const a = 1;\n'.repeat(MAX_LINES + 1))).toHaveLength(1);
    expect(lengthProblems(f, 'const a = 1;\n'.repeat(MAX_LINES))).toEqual([]);
  });
});
