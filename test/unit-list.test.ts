/**
 * `npm run test:unit` stays quick and true to its name: every file vitest.config.ts's UNIT_TESTS lists exists,
 * and none of them starts a Temporal server, a browser or the product (through the helpers that do).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './helpers';
import { UNIT_TESTS } from '../vitest.config';

/** The test helpers that start something a unit test must not wait for. */
const SLOW_HELPERS = /from '\.\/(campaign-env|temporal-dev)'|from '\.\.?\/e2e\/product'|from '\.\/product'|playwright-core|TestWorkflowEnvironment/;

describe('the unit test list', () => {
  it('names test files that exist', () => {
    for (const file of UNIT_TESTS) expect(fs.existsSync(path.join(root, file)), file).toBe(true);
    expect(UNIT_TESTS).toContain('test/unit-list.test.ts');
  });

  it('holds no test that starts Temporal, a browser or the product', () => {
    expect(SLOW_HELPERS.test("import { campaignEnv } from './campaign-env';")).toBe(true);
    for (const file of UNIT_TESTS.filter((f) => f !== 'test/unit-list.test.ts'))
      expect(fs.readFileSync(path.join(root, file), 'utf8'), file).not.toMatch(SLOW_HELPERS);
  });
});
