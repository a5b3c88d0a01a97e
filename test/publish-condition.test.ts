/** Publishing a flow with a Condition: every list it tests must exist, named at the branch's field. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowGraph } from '../domain/flow/schema';
import type { Db } from '../server/db';
import { saveFlowDraft } from '../server/db/flows';
import { insertList } from '../server/db/lists';
import { UserError } from '../server/errors';
import { publishFlow } from '../server/flows';
import { conditionFlow } from './condition-flows';
import { tempInstall } from './helpers';

let db: Db;
beforeAll(async () => {
  ({ db } = await tempInstall());
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
      details: [{ nodeId: 'split', field: 'data.branches.0.test.listId', message: "Branch 'Beta' tests a list that does not exist; choose a list" }],
    });
    const listId = await insertList(db, 'Beta');
    await saveFlowDraft(db, { id: 'lists', name: 'Lists', graph: withList(listId) });
    await expect(publishFlow(db, 'lists', admin)).resolves.toEqual({ version: 1 });
  });
});
