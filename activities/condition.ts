/**
 * chooseBranch: a journey's Condition step for one contact. It reads the contact and its lists now and
 * returns the branch taken; the result is recorded in the journey's history, so a replay takes the
 * same branch whatever the contact has become since.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { type ConditionStep, chooseBranch as choose, type SendOutcome } from '../domain/flow/nodes/condition';
import { conditionFacts } from '../server/db/conditions';
import type { ActivityDeps } from '.';

export interface ChooseBranchInput {
  runId: string;
  contactId: string;
  step: Pick<ConditionStep, 'branches' | 'otherwise'>;
  /** The outcomes of this journey's sends so far, by node id (the journey knows them first-hand). */
  sends: Record<string, SendOutcome>;
}

export function createConditionActivities({ db }: Pick<ActivityDeps, 'db'>) {
  return {
    async chooseBranch(input: ChooseBranchInput): Promise<{ branch: string; next: string }> {
      const facts = (await conditionFacts(db, input.runId, [input.contactId], input.step, input.sends)).get(input.contactId);
      if (!facts)
        throw ApplicationFailure.nonRetryable(`contact "${input.contactId}" does not exist (deleted after the run started?)`, 'ContactMissing');
      return choose(input.step, facts);
    },
  };
}
