'use client';
/**
 * A Condition's test on opens and clicks: "opened / clicked <Send Email> within N hours / days". It reads
 * what was recorded when the contact reaches the Condition (a Delay before it gives them the time), and
 * counts only for a flow that tracks opens and clicks (the flow's settings).
 */
import { ENGAGEMENTS, type Engagement, type ConditionTest, WITHIN_UNITS } from '@domain/flow/nodes/condition';
import { nodeTitle } from '@domain/flow/step-title';
import type { EditorNode } from '@/components/flow-editor/types';

type EngagedTest = Extract<ConditionTest, { kind: 'engaged' }>;

export const defaultEngagedTest = (sendIds: string[]): EngagedTest => ({
  kind: 'engaged',
  sendNodeId: sendIds[0] ?? '',
  action: 'clicked',
  within: 3,
  unit: 'days',
});

export function EngagedFields(props: { test: EngagedTest; sends: EditorNode[]; testId: string; onChange: (t: EngagedTest) => void }) {
  const { test, onChange } = props;
  return (
    <>
      <select
        className="nodrag"
        aria-label="Opened or clicked"
        value={test.action}
        data-testid={`${props.testId}-action`}
        onChange={(e) => onChange({ ...test, action: e.currentTarget.value as Engagement })}
      >
        {ENGAGEMENTS.map((a) => (
          <option key={a} value={a}>
            {a === 'opened' ? 'Opened' : 'Clicked a link in'}
          </option>
        ))}
      </select>
      <select
        className="nodrag"
        aria-label="Send Email"
        value={test.sendNodeId}
        data-testid={`${props.testId}-send`}
        onChange={(e) => onChange({ ...test, sendNodeId: e.currentTarget.value })}
      >
        <option value="">Choose a Send Email…</option>
        {props.sends.map((n) => (
          <option key={n.id} value={n.id}>
            {nodeTitle(n)}
          </option>
        ))}
      </select>
      <span>
        within{' '}
        <input
          className="nodrag"
          type="number"
          min={1}
          max={365}
          aria-label="Within"
          value={Number.isNaN(test.within) ? '' : test.within}
          onChange={(e) => onChange({ ...test, within: e.currentTarget.valueAsNumber })}
        />{' '}
        <select
          className="nodrag"
          aria-label="Unit"
          value={test.unit}
          onChange={(e) => onChange({ ...test, unit: e.currentTarget.value as EngagedTest['unit'] })}
        >
          {WITHIN_UNITS.map((u) => (
            <option key={u} value={u}>
              {u}
            </option>
          ))}
        </select>
      </span>
    </>
  );
}
