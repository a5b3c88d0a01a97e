/** Publishing a flow with a Condition: every list and segment it tests must exist, named at the branch's field. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowGraph } from '../domain/flow/schema';
import type { Db } from '../server/db';
import { defineAttributes } from '../server/db/contacts';
import { saveFlowDraft } from '../server/db/flows';
import { insertList } from '../server/db/lists';
import { insertSegment } from '../server/db/segments';
import { UserError } from '../server/errors';
import { publishFlow } from '../server/flows';
import { conditionFlow } from './condition-flows';
import { databases, tempInstallOn } from './databases';

let db: Db;
describe.each(databases)('on %s', (dialect) => {
  beforeAll(async () => {
    ({ db } = await tempInstallOn(dialect));
  });
  afterAll(async () => db?.destroy());

  const admin = { id: 'admin-test', role: 'admin' as const };
  const withList = (listId: string) =>
    conditionFlow({
      profileId: 'sandbox',
      branches: [{ id: 'beta', label: 'Beta', test: { kind: 'inList', listId }, subject: 'Hi beta' }],
    }) as FlowGraph;

  describe('publishing a Condition', () => {
    it('refuses a list that does not exist, at the branch’s field, and publishes once it does', async () => {
      await saveFlowDraft(db, { id: 'lists', name: 'Lists', graph: withList('list_gone') });
      const refused = await publishFlow(db, 'lists', admin).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(UserError);
      expect(refused).toMatchObject({
        status: 422,
        code: 'unknown_list',
        details: [
          { nodeId: 'split', field: 'data.branches.0.test.listId', message: "Branch 'Beta' tests a list that does not exist; choose a list" },
        ],
      });
      const listId = await insertList(db, 'Beta');
      await saveFlowDraft(db, { id: 'lists', name: 'Lists', graph: withList(listId) });
      await expect(publishFlow(db, 'lists', admin)).resolves.toMatchObject({ version: 1 });
    });

    it('refuses a segment that does not exist, at the branch’s field, and publishes once it does', async () => {
      const withSegment = (segmentId: string) =>
        conditionFlow({
          profileId: 'sandbox',
          branches: [{ id: 'gold', label: 'Gold', test: { kind: 'inSegment', segmentId }, subject: 'Hi gold' }],
        }) as FlowGraph;
      await saveFlowDraft(db, { id: 'segments', name: 'Segments', graph: withSegment('seg_gone') });
      await expect(publishFlow(db, 'segments', admin)).rejects.toMatchObject({
        status: 422,
        code: 'unknown_segment',
        details: [
          {
            nodeId: 'split',
            field: 'data.branches.0.test.segmentId',
            message: "Branch 'Gold' tests a segment that does not exist; choose a segment",
          },
        ],
      });
      const segmentId = await insertSegment(db, {
        name: 'Gold',
        filter: { match: 'all', rules: [{ field: 'email', op: 'exists' }] },
        createdBy: admin.id,
      });
      await saveFlowDraft(db, { id: 'segments', name: 'Segments', graph: withSegment(segmentId) });
      await expect(publishFlow(db, 'segments', admin)).resolves.toMatchObject({ version: 1 });
    });

    it('refuses a rule on an attribute no contact has, or with a value of the wrong type, at the rule’s field', async () => {
      const byAge = (value: string | number) =>
        conditionFlow({
          profileId: 'sandbox',
          branches: [
            { id: 'adults', label: 'Adults', test: { kind: 'attributes', filter: { match: 'all', rules: [{ field: 'age', op: 'equals', value }] } } },
          ],
        }) as FlowGraph;
      await saveFlowDraft(db, { id: 'ages', name: 'Ages', graph: byAge('30') });
      await expect(publishFlow(db, 'ages', admin)).rejects.toMatchObject({
        code: 'invalid_rule',
        details: [
          {
            nodeId: 'split',
            field: 'data.branches.0.test.filter.rules.0.field',
            message: "Branch 'Adults': no contact has an attribute named age; choose one they have",
          },
        ],
      });
      await defineAttributes(db, [{ name: 'age', type: 'number' }]);
      await expect(publishFlow(db, 'ages', admin)).rejects.toMatchObject({
        code: 'invalid_rule',
        details: [
          { field: 'data.branches.0.test.filter.rules.0.value', message: "Branch 'Adults': age is a number attribute; enter the value as a number" },
        ],
      });
      await saveFlowDraft(db, { id: 'ages', name: 'Ages', graph: byAge(30) });
      await expect(publishFlow(db, 'ages', admin)).resolves.toMatchObject({ version: 1 });
    });

    it('publishes a rule on an attribute no contact has yet where contacts enter by an API event, with a warning at the rule', async () => {
      const graph = conditionFlow({
        profileId: 'sandbox',
        branches: [
          { id: 'pro', label: 'Pro', test: { kind: 'attributes', filter: { match: 'all', rules: [{ field: 'plan', op: 'equals', value: 'pro' }] } } },
        ],
      }) as FlowGraph;
      const trigger = graph.nodes.find((n) => n.type === 'trigger');
      if (trigger?.type !== 'trigger') throw new Error('conditionFlow has no trigger');
      trigger.data = { ...trigger.data, source: 'event', event: 'signed_up' };
      await saveFlowDraft(db, { id: 'plans', name: 'Plans', graph });
      const published = await publishFlow(db, 'plans', admin);
      expect(published.version).toBe(1);
      expect(published.warnings).toContainEqual({
        nodeId: 'split',
        field: 'data.branches.0.test.filter.rules.0.field',
        message: "Branch 'Pro': no contact has an attribute named plan yet; contacts whose event does not bring it take another branch",
        severity: 'warning',
      });
    });
  });
});
