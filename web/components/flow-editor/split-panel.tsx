'use client';
/** The A/B split's fields: 2 to 5 branches, each with a name and a percentage (adding up to 100). Errors show at their field. */
import { useReactFlow } from '@xyflow/react';
import { useId } from 'react';
import type { FlowError } from '@domain/flow/compile';
import type { SplitData } from '@domain/flow/nodes/split';
import { FieldError } from '@/components/flow-editor/field-error';
import { CharacterCount } from '@/components/character-count';
import type { EditorEdge, EditorNode } from '@/components/flow-editor/types';

type Branch = SplitData['branches'][number];

export function SplitFields(props: { nodeId: string; data: SplitData; errors: FlowError[]; onChange: (d: SplitData) => void }) {
  const { nodeId, data, errors, onChange } = props;
  const id = useId();
  const reactFlow = useReactFlow<EditorNode, EditorEdge>();
  const setBranch = (i: number, branch: Branch) => onChange({ ...data, branches: data.branches.map((b, j) => (j === i ? branch : b)) });
  const addBranch = () => {
    const taken = new Set(data.branches.map((b) => b.id));
    const letter = 'abcdefghij'.split('').find((l) => !taken.has(l)) ?? `b${data.branches.length + 1}`;
    onChange({ ...data, branches: [...data.branches, { id: letter, label: letter.toUpperCase(), percent: 0 }] });
  };
  const removeBranch = (i: number) => {
    const gone = data.branches[i];
    onChange({ ...data, branches: data.branches.filter((_, j) => j !== i) });
    // Its connection goes with it: an edge from a handle that no longer exists would be invisible.
    if (gone) reactFlow.setEdges((eds) => eds.filter((e) => !(e.source === nodeId && e.sourceHandle === gone.id)));
  };
  const total = data.branches.reduce((sum, b) => sum + (Number.isFinite(b.percent) ? b.percent : 0), 0);
  return (
    <>
      <p className="hint">Each contact is drawn into one branch by these shares; the same contact always gets the same draw in a run.</p>
      {data.branches.map((branch, i) => (
        <fieldset key={branch.id} className="field branch" data-testid={`split-branch-${i}`}>
          <legend>Branch {i + 1}</legend>
          <div className="field-row">
            <div className="field">
              <label htmlFor={`${id}-label-${i}`}>Name</label>
              <input
                id={`${id}-label-${i}`}
                className="nodrag"
                type="text"
                maxLength={60}
                value={branch.label}
                onChange={(e) => setBranch(i, { ...branch, label: e.currentTarget.value })}
                data-testid={`split-label-${i}`}
              />
              <CharacterCount value={branch.label} max={60} />
            </div>
            <div className="field">
              <label htmlFor={`${id}-percent-${i}`}>Percent</label>
              <input
                id={`${id}-percent-${i}`}
                className="nodrag"
                type="number"
                min={0}
                max={100}
                step={1}
                value={Number.isFinite(branch.percent) ? branch.percent : ''}
                onChange={(e) => setBranch(i, { ...branch, percent: e.currentTarget.valueAsNumber })}
                data-testid={`split-percent-${i}`}
              />
            </div>
          </div>
          <FieldError errors={errors} field={`data.branches.${i}`} />
          <button type="button" className="button small danger" disabled={data.branches.length <= 2} onClick={() => removeBranch(i)}>
            Remove branch
          </button>
        </fieldset>
      ))}
      <p className={total === 100 ? 'hint' : 'field-error'} data-testid="split-total">
        Total: {total}%
      </p>
      <FieldError errors={errors} field="data.branches" exact={['']} />
      <button type="button" className="button small" onClick={addBranch} disabled={data.branches.length >= 5} data-testid="add-split-branch">
        Add branch
      </button>
    </>
  );
}
