/**
 * The A/B split: its schema (2 to 5 branches, percentages adding up to 100, each error at its field),
 * the draw (proportions for 10,000 contacts within 4 standard deviations of each share; the same for the
 * same seed, node and contact, in any order), and the campaign handler over real SQLite and PostgreSQL
 * databases: recipients advanced in two goes (as after a crash) land where one go puts them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../domain/flow/compile';
import { journeySeed, splitBranch, splitDraw, type SplitStep } from '../domain/flow/nodes/split';
import type { Plan } from '../domain/flow/plan';
import { split } from '../server/cohort/steps/split';
import type { Db } from '../server/db';
import { insertContacts } from '../server/db/contacts';
import { insertRecipients } from '../server/db/recipients';
import { insertRun, listRunRecipients } from '../server/db/runs';
import { databases, tempInstallOn } from './databases';
import { publishForTest } from './helpers';
import { HALVES, splitFlow } from './split-flows';

const meta = { flowId: 'f', version: 1 };
const errorsOf = (branches: unknown[]) => {
  const r = compile(splitFlow('sandbox', branches as never), meta);
  return r.ok ? [] : r.errors;
};

describe('the A/B split’s schema', () => {
  it('compiles branches that add up to 100 into a plan step with each branch’s next node', () => {
    const r = compile(splitFlow('sandbox', HALVES), meta);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.plan.steps.ab).toEqual({
      type: 'split',
      branches: [
        { id: 'a', label: 'A', percent: 50, next: 'send-a' },
        { id: 'b', label: 'B', percent: 50, next: 'send-b' },
      ],
    });
  });

  it('names the field and the fix: a total other than 100, too few or too many branches, a share that is not a whole percentage', () => {
    expect(
      errorsOf([
        { ...HALVES[0], percent: 60 },
        { ...HALVES[1], percent: 30 },
      ]),
    ).toEqual([{ nodeId: 'ab', field: 'data.branches', message: "the branches' percentages add up to 90; make them add up to 100" }]);
    expect(errorsOf([{ id: 'a', label: 'A', percent: 100 }])).toContainEqual({
      nodeId: 'ab',
      field: 'data.branches',
      message: 'an A/B split needs at least 2 branches; add one',
    });
    const six = Array.from({ length: 6 }, (_, i) => ({ id: `v${i}`, label: `V${i}`, percent: i === 0 ? 50 : 10 }));
    expect(errorsOf(six)).toContainEqual({ nodeId: 'ab', field: 'data.branches', message: 'an A/B split has at most 5 branches; remove one' });
    expect(
      errorsOf([
        { ...HALVES[0], percent: 49.5 },
        { ...HALVES[1], percent: 50.5 },
      ]),
    ).toContainEqual({
      nodeId: 'ab',
      field: 'data.branches.0.percent',
      message: 'enter a whole percentage, e.g. 50',
    });
    expect(errorsOf([HALVES[0], { ...HALVES[1], label: 'a' }])).toContainEqual({
      nodeId: 'ab',
      field: 'data.branches.1.label',
      message: 'two branches are named "a"; give each its own name',
    });
  });
});

const threeWay: SplitStep = {
  type: 'split',
  branches: [
    { id: 'a', label: 'A', percent: 50, next: 'na' },
    { id: 'b', label: 'B', percent: 30, next: 'nb' },
    { id: 'c', label: 'C', percent: 20, next: 'nc' },
  ],
};
const N = 10_000;
const contactIds = Array.from({ length: N }, (_, i) => `ct_${String(i).padStart(6, '0')}`);

/** Each branch's count must lie within 4 standard deviations (binomial: sqrt(n·p·(1−p))) of n·p. */
function expectShares(counts: Record<string, number>) {
  for (const b of threeWay.branches) {
    const p = b.percent / 100;
    expect(Math.abs((counts[b.id] ?? 0) - N * p), `branch ${b.id}`).toBeLessThanOrEqual(4 * Math.sqrt(N * p * (1 - p)));
  }
}
function countBy(ids: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const id of ids) counts[id] = (counts[id] ?? 0) + 1;
  return counts;
}

describe('the A/B draw', () => {
  it('splits 10,000 contacts of a campaign run in proportion to the shares, whatever the seed', () => {
    for (const seed of [1, 0x9e3779b9, 123_456_789]) {
      expectShares(countBy(contactIds.map((c) => splitBranch(threeWay, splitDraw(seed, 'ab', c)).branch)));
    }
  });

  it('splits 10,000 journeys (each its own run id) in proportion too', () => {
    expectShares(countBy(contactIds.map((c, i) => splitBranch(threeWay, splitDraw(journeySeed(`event-${i}`), 'ab', c)).branch)));
  });

  it('draws the same for the same seed, node and contact, in any order; another seed or node draws differently', () => {
    const draw = (seed: number, node: string, ids: string[]) => new Map(ids.map((c) => [c, splitBranch(threeWay, splitDraw(seed, node, c)).branch]));
    const once = draw(7, 'ab', contactIds);
    expect(draw(7, 'ab', [...contactIds].reverse())).toEqual(once);
    const moved = (other: Map<string, string>) => contactIds.filter((c) => other.get(c) !== once.get(c)).length;
    expect(moved(draw(8, 'ab', contactIds))).toBeGreaterThan(N / 4);
    expect(moved(draw(7, 'cd', contactIds))).toBeGreaterThan(N / 4);
  });

  it('never takes a 0% branch, and a 100% branch takes everyone', () => {
    const step: SplitStep = {
      type: 'split',
      branches: [
        { id: 'off', label: 'Off', percent: 0, next: 'x' },
        { id: 'all', label: 'All', percent: 100, next: 'y' },
      ],
    };
    expect(new Set(contactIds.map((c) => splitBranch(step, splitDraw(3, 'ab', c)).branch))).toEqual(new Set(['all']));
  });
});

describe.each(databases)('the campaign’s A/B split on %s', (dialect) => {
  let db: Db;
  let plan: Plan;
  const CONTACTS = 600;
  const ids = contactIds.slice(0, CONTACTS);
  const seed = 42;
  const now = 1_000_000_000_000;

  beforeAll(async () => {
    db = (await tempInstallOn(dialect)).db;
    await insertContacts(
      db,
      ids.map((id) => ({ id, email: `${id}@example.test`, name: id })),
    );
    plan = await publishForTest(db, 'ab', splitFlow('sandbox', HALVES));
  });
  afterAll(async () => db?.destroy());

  /** A run whose recipients are all at the split, each group due at its time. */
  async function runAt(runId: string, due: [number, string[]][]) {
    const workflowId = `campaign:${runId}`;
    await insertRun(db, {
      id: runId,
      flowId: 'ab',
      version: plan.version,
      startedBy: null,
      idempotencyKey: null,
      audience: { kind: 'all' },
      workflowId,
      plan,
    });
    for (const [dueAt, group] of due) await insertRecipients(db, { runId, entry: 'ab', workflowId, dueAt }, group);
  }
  const nodes = async (runId: string) =>
    new Map((await listRunRecipients(db, runId, { offset: 0, limit: CONTACTS })).items.map((r) => [r.id, r.nodeId]));
  const at = (runId: string, nodeId: string) => ({ db, runId, nodeId, seed, nowMs: now });
  const step = () => plan.steps.ab as SplitStep;

  it('moves every due recipient to its drawn branch, and a run advanced in two goes (as after a crash) lands each where one go does', async () => {
    await runAt('run-once', [[now, ids]]);
    expect(await split.advance(at('run-once', 'ab'), step())).toBe(CONTACTS);
    const once = await nodes('run-once');
    expect([...once.entries()]).toEqual(ids.map((id) => [id, splitBranch(step(), splitDraw(seed, 'ab', id)).next]));
    const halves = countBy([...once.values()] as string[]);
    expect(Math.abs((halves['send-a'] ?? 0) - CONTACTS / 2)).toBeLessThanOrEqual(4 * Math.sqrt(CONTACTS / 4));

    // Every other recipient due later: the first go moves only those due, the second the rest.
    await runAt('run-twice', [
      [now, ids.filter((_, i) => i % 2 === 0)],
      [now + 60_000, ids.filter((_, i) => i % 2 === 1)],
    ]);
    expect(await split.advance(at('run-twice', 'ab'), step())).toBe(CONTACTS / 2);
    expect(await split.advance({ ...at('run-twice', 'ab'), nowMs: now + 60_000 }, step())).toBe(CONTACTS / 2);
    expect(await nodes('run-twice')).toEqual(once);
  });
});
