'use client';
/**
 * The Condition's fields: its branches (add, remove, rename), each branch's test (rules on attributes,
 * a list, a segment, or an earlier send's outcome) and the Otherwise branch's name. Errors show at their field.
 */
import { useNodes, useReactFlow } from '@xyflow/react';
import { useContext, useEffect, useId, useMemo, useState } from 'react';
import type { FlowError } from '@domain/flow/compile';
import type { AttributeType } from '@domain/contact';
import type { ContactFilter, FilterRule } from '@domain/contact-filter';
import {
  checkRules,
  type ConditionData,
  type ConditionTest,
  OTHERWISE,
  SEND_OUTCOME_TEXT,
  SEND_OUTCOMES,
  type SendOutcome,
} from '@domain/flow/nodes/condition';
import { nodeTitle } from '@domain/flow/step-title';
import { callApi } from '@/lib/api-client';
import { CharacterCount } from '@/components/character-count';
import { FilterEditor } from '@/components/filter-editor/filter-editor';
import { issuesByField, ruleInput, rowsFor, rowsOf } from '@/components/filter-editor/filter-rules';
import { EngagedFields, defaultEngagedTest } from '@/components/flow-editor/engaged-fields';
import { FieldError } from '@/components/flow-editor/field-error';
import { EditorContext } from '@/components/flow-editor/nodes';
import type { EditorEdge, EditorNode } from '@/components/flow-editor/types';

type Branch = ConditionData['branches'][number];

/** A Condition's (or a Wait until's) rules in the shared filter editor; the flow holds them typed, the rows keep them as typed. */
export function AttributeRules(props: {
  filter: ContactFilter;
  field: string;
  errors: FlowError[];
  testId: string;
  types: Record<string, AttributeType>;
  onChange: (filter: ContactFilter) => void;
}) {
  const { filter, field, types } = props;
  const [typedRows, setTypedRows] = useState(() => rowsOf(filter.rules));
  // The flow's problems inside this filter, keyed as the editor's own ("rules.0.value", "match", "rules"), and those
  // of the rules as stored (a value imported as text "30" for a number attribute), as publishing will find them.
  const errors = issuesByField([
    ...props.errors
      .filter((e) => e.severity !== 'warning' && (e.field === `${field}.filter` || e.field?.startsWith(`${field}.filter.`)))
      .map((e) => ({ field: e.field?.slice(field.length + 1), message: e.message })),
    ...checkRules(filter, types),
  ]);
  return (
    <FilterEditor
      match={filter.match}
      rows={rowsFor(filter.rules, typedRows, types)}
      types={types}
      errors={errors}
      testIdPrefix={`${props.testId}-`}
      onChange={(match, rows) => {
        setTypedRows(rows);
        props.onChange({ match, rules: rows.map((r) => ruleInput(r, types)) as FilterRule[] });
      }}
    />
  );
}

const TEST_KINDS: Record<ConditionTest['kind'], string> = {
  attributes: 'Contact attributes',
  inList: 'List membership',
  inSegment: 'Segment membership',
  sendOutcome: 'An earlier send',
  engaged: 'Opened or clicked',
};

function defaultTest(kind: ConditionTest['kind'], sendIds: string[]): ConditionTest {
  // A rule that already holds (the email is set), so a new branch's only problem is its connection.
  if (kind === 'attributes') return { kind, filter: { match: 'all', rules: [{ field: 'email', op: 'exists' }] } };
  if (kind === 'inList') return { kind, listId: '' };
  if (kind === 'inSegment') return { kind, segmentId: '' };
  if (kind === 'engaged') return defaultEngagedTest(sendIds);
  return { kind, sendNodeId: sendIds[0] ?? '', outcome: 'failed' };
}

function TestFields(props: {
  test: ConditionTest;
  field: string;
  errors: FlowError[];
  testId: string;
  lists: { id: string; name: string }[];
  segments: { id: string; name: string }[];
  sends: EditorNode[];
  onChange: (t: ConditionTest) => void;
}) {
  const { test, field, onChange } = props;
  const { attributes } = useContext(EditorContext);
  const types = useMemo(() => Object.fromEntries(attributes.map((a) => [a.name, a.type])), [attributes]);
  return (
    <>
      <select
        className="nodrag"
        aria-label="Test"
        value={test.kind}
        onChange={(e) =>
          onChange(
            defaultTest(
              e.currentTarget.value as ConditionTest['kind'],
              props.sends.map((n) => n.id),
            ),
          )
        }
        data-testid={`${props.testId}-kind`}
      >
        {Object.entries(TEST_KINDS).map(([kind, label]) => (
          <option key={kind} value={kind}>
            {label}
          </option>
        ))}
      </select>
      {test.kind === 'attributes' && (
        <AttributeRules
          filter={test.filter}
          field={field}
          errors={props.errors}
          testId={props.testId}
          types={types}
          onChange={(filter) => onChange({ ...test, filter })}
        />
      )}
      {test.kind === 'inList' && (
        <select className="nodrag" aria-label="List" value={test.listId} onChange={(e) => onChange({ ...test, listId: e.currentTarget.value })}>
          <option value="">Choose a list…</option>
          {test.listId && !props.lists.some((l) => l.id === test.listId) && <option value={test.listId}>Missing list “{test.listId}”</option>}
          {props.lists.map((l) => (
            <option key={l.id} value={l.id}>
              {l.name}
            </option>
          ))}
        </select>
      )}
      {test.kind === 'inSegment' && (
        <select
          className="nodrag"
          aria-label="Segment"
          value={test.segmentId}
          onChange={(e) => onChange({ ...test, segmentId: e.currentTarget.value })}
        >
          <option value="">Choose a segment…</option>
          {test.segmentId && !props.segments.some((s) => s.id === test.segmentId) && (
            <option value={test.segmentId}>Missing segment “{test.segmentId}”</option>
          )}
          {props.segments.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
      )}
      {test.kind === 'sendOutcome' && (
        <>
          <select
            className="nodrag"
            aria-label="Send Email"
            value={test.sendNodeId}
            onChange={(e) => onChange({ ...test, sendNodeId: e.currentTarget.value })}
          >
            <option value="">Choose a Send Email…</option>
            {props.sends.map((n) => (
              <option key={n.id} value={n.id}>
                {nodeTitle(n)}
              </option>
            ))}
          </select>
          <select
            className="nodrag"
            aria-label="Outcome"
            value={test.outcome}
            onChange={(e) => onChange({ ...test, outcome: e.currentTarget.value as SendOutcome })}
          >
            {SEND_OUTCOMES.map((o) => (
              <option key={o} value={o}>
                {SEND_OUTCOME_TEXT[o]}
              </option>
            ))}
          </select>
        </>
      )}
      {test.kind === 'engaged' && <EngagedFields test={test} sends={props.sends} testId={props.testId} onChange={onChange} />}
      <FieldError
        errors={props.errors}
        field={field}
        exact={['', '.kind', '.listId', '.segmentId', '.sendNodeId', '.outcome', '.action', '.within', '.unit']}
      />
    </>
  );
}

export function ConditionFields(props: { nodeId: string; data: ConditionData; errors: FlowError[]; onChange: (d: ConditionData) => void }) {
  const { nodeId, data, errors, onChange } = props;
  const id = useId();
  const reactFlow = useReactFlow<EditorNode, EditorEdge>();
  const sends = useNodes<EditorNode>().filter((n) => n.type === 'sendEmail');
  const [lists, setLists] = useState<{ id: string; name: string }[]>([]);
  const [segments, setSegments] = useState<{ id: string; name: string }[]>([]);
  useEffect(() => {
    void callApi<{ lists: { id: string; name: string }[] }>('GET', '/api/lists').then((r) => r.ok && setLists(r.data.lists));
    void callApi<{ segments: { id: string; name: string }[] }>('GET', '/api/segments').then((r) => r.ok && setSegments(r.data.segments));
  }, []);
  const setBranch = (i: number, branch: Branch) => onChange({ ...data, branches: data.branches.map((b, j) => (j === i ? branch : b)) });
  const addBranch = () => {
    const taken = new Set(data.branches.map((b) => b.id));
    let n = data.branches.length + 1;
    while (taken.has(`b${n}`)) n++;
    onChange({ ...data, branches: [...data.branches, { id: `b${n}`, label: `Branch ${n}`, test: defaultTest('attributes', []) }] });
  };
  const removeBranch = (i: number) => {
    const gone = data.branches[i];
    onChange({ ...data, branches: data.branches.filter((_, j) => j !== i) });
    // Its connection goes with it: an edge from a handle that no longer exists would be invisible.
    if (gone) reactFlow.setEdges((eds) => eds.filter((e) => !(e.source === nodeId && e.sourceHandle === gone.id)));
  };
  return (
    <>
      <p className="hint">Each contact takes the first branch whose test they pass, else {data.otherwiseLabel ?? 'Otherwise'}.</p>
      {data.branches.map((branch, i) => (
        <fieldset key={branch.id} className="field branch" data-testid={`branch-${i}`}>
          <legend>Branch {i + 1}</legend>
          <label htmlFor={`${id}-label-${i}`}>Name</label>
          <input
            id={`${id}-label-${i}`}
            className="nodrag"
            type="text"
            maxLength={60}
            value={branch.label}
            onChange={(e) => setBranch(i, { ...branch, label: e.currentTarget.value })}
            data-testid={`branch-label-${i}`}
          />
          <CharacterCount value={branch.label} max={60} />
          <FieldError errors={errors} field={`data.branches.${i}.label`} />
          <FieldError errors={errors} field={`data.branches.${i}.id`} />
          <TestFields
            test={branch.test}
            field={`data.branches.${i}.test`}
            errors={errors}
            testId={`branch-${i}`}
            lists={lists}
            segments={segments}
            sends={sends}
            onChange={(test) => setBranch(i, { ...branch, test })}
          />
          <button type="button" className="button small danger" disabled={data.branches.length === 1} onClick={() => removeBranch(i)}>
            Remove branch
          </button>
        </fieldset>
      ))}
      <FieldError errors={errors} field="data.branches" exact={['']} />
      <button type="button" className="button small" onClick={addBranch} data-testid="add-branch">
        Add branch
      </button>
      <div className="field">
        <label htmlFor={`${id}-otherwise`}>Default branch name</label>
        <input
          id={`${id}-otherwise`}
          className="nodrag"
          type="text"
          maxLength={60}
          placeholder="Otherwise"
          value={data.otherwiseLabel ?? ''}
          onChange={(e) => {
            const { otherwiseLabel: _, ...rest } = data;
            const label = e.currentTarget.value;
            onChange(label ? { ...rest, otherwiseLabel: label } : rest);
          }}
          data-testid={`branch-${OTHERWISE}-label`}
        />
        <CharacterCount value={data.otherwiseLabel ?? ''} max={60} />
        <FieldError errors={errors} field="data.otherwiseLabel" />
      </div>
    </>
  );
}
