'use client';
/**
 * The Condition's fields: its branches (add, remove, rename), each branch's test (rules on attributes,
 * a list, a segment, or an earlier send's outcome) and the Otherwise branch's name. Errors show at their field.
 */
import { useNodes, useReactFlow } from '@xyflow/react';
import { useContext, useEffect, useId, useMemo, useState } from 'react';
import type { FlowError } from '@domain/flow/compile';
import { type AttributeType, type AttributeValue, coerceAttribute } from '@domain/contact';
import { FILTER_OPERATORS, type FilterOperator, type FilterRule } from '@domain/contact-filter';
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
import { FieldError } from '@/components/flow-editor/field-error';
import { EditorContext } from '@/components/flow-editor/nodes';
import type { EditorEdge, EditorNode } from '@/components/flow-editor/types';

type Branch = ConditionData['branches'][number];

const NUMBER_OPS: readonly FilterOperator[] = ['gt', 'gte', 'lt', 'lte'];
const LIST_OPS: readonly FilterOperator[] = ['in', 'notIn'];
const NO_VALUE_OPS: readonly FilterOperator[] = ['exists', 'notExists'];

/** A rule with its operator changed, keeping what value still fits. */
function withOp(rule: FilterRule, op: FilterOperator): FilterRule {
  const old = 'value' in rule ? rule.value : '';
  const text = Array.isArray(old) ? old.join(', ') : String(old ?? '');
  if (NO_VALUE_OPS.includes(op)) return { field: rule.field, op } as FilterRule;
  if (NUMBER_OPS.includes(op)) return { field: rule.field, op, value: Number.parseFloat(text) } as FilterRule;
  if (LIST_OPS.includes(op)) return { field: rule.field, op, value: text ? text.split(',').map((s) => s.trim()) : [] } as FilterRule;
  return { field: rule.field, op, value: text } as FilterRule;
}

/** What was typed, as the attribute's type when it has one (the number 30, not the text "30"). */
function typedAs(field: string, type: AttributeType | undefined, typed: string): AttributeValue {
  if (!type || type === 'text') return typed;
  const r = coerceAttribute(field, type, typed);
  return r.ok ? r.value : typed;
}

/** The rule's value from what was typed: numbers for number comparisons, comma-separated values for "is one of". */
function withValue(rule: FilterRule, typed: string, type: AttributeType | undefined): FilterRule {
  if (NUMBER_OPS.includes(rule.op)) return { ...rule, value: Number.parseFloat(typed) } as FilterRule;
  if (LIST_OPS.includes(rule.op)) return { ...rule, value: typed.split(',').map((s) => typedAs(rule.field, type, s.trim())) } as FilterRule;
  if (rule.op === 'equals' || rule.op === 'notEquals') return { ...rule, value: typedAs(rule.field, type, typed) } as FilterRule;
  return { ...rule, value: typed } as FilterRule;
}

const shown = (rule: FilterRule) => {
  if (!('value' in rule)) return '';
  if (Array.isArray(rule.value)) return rule.value.join(', ');
  return typeof rule.value === 'number' && !Number.isFinite(rule.value) ? '' : String(rule.value);
};

function RuleRows(props: {
  rules: FilterRule[];
  field: string;
  errors: FlowError[];
  testId: string;
  types: Record<string, AttributeType>;
  onChange: (rules: FilterRule[]) => void;
}) {
  const { rules, onChange, types } = props;
  const listId = useId();
  const set = (i: number, rule: FilterRule) => onChange(rules.map((r, j) => (j === i ? rule : r)));
  return (
    <>
      {rules.map((rule, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rules have no id; their place is their identity
        <div key={i} className="rule-row" data-testid={`${props.testId}-rule-${i}`}>
          <input
            className="nodrag"
            type="text"
            aria-label="Attribute"
            placeholder="attribute, e.g. plan"
            list={listId}
            value={rule.field}
            onChange={(e) => set(i, { ...rule, field: e.currentTarget.value })}
          />
          <select
            className="nodrag"
            aria-label="Operator"
            value={rule.op}
            onChange={(e) => set(i, withOp(rule, e.currentTarget.value as FilterOperator))}
          >
            {Object.entries(FILTER_OPERATORS).map(([op, label]) => (
              <option key={op} value={op}>
                {label}
              </option>
            ))}
          </select>
          {!NO_VALUE_OPS.includes(rule.op) && (
            <input
              className="nodrag"
              aria-label="Value"
              type={NUMBER_OPS.includes(rule.op) ? 'number' : 'text'}
              placeholder={LIST_OPS.includes(rule.op) ? 'a, b, c' : rule.op === 'before' || rule.op === 'after' ? 'YYYY-MM-DD' : 'value'}
              value={shown(rule)}
              onChange={(e) => set(i, withValue(rule, e.currentTarget.value, types[rule.field]))}
            />
          )}
          <button
            type="button"
            className="button small"
            aria-label="Remove rule"
            disabled={rules.length === 1}
            onClick={() => onChange(rules.filter((_, j) => j !== i))}
          >
            ×
          </button>
          <FieldError errors={props.errors} field={`${props.field}.${i}`} />
        </div>
      ))}
      <datalist id={listId}>
        {['email', 'name', ...Object.keys(types)].map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
      <button type="button" className="button small" onClick={() => onChange([...rules, { field: '', op: 'equals', value: '' }])}>
        Add rule
      </button>
    </>
  );
}

const TEST_KINDS: Record<ConditionTest['kind'], string> = {
  attributes: 'Contact attributes',
  inList: 'List membership',
  inSegment: 'Segment membership',
  sendOutcome: 'An earlier send',
};

function defaultTest(kind: ConditionTest['kind'], sendIds: string[]): ConditionTest {
  // A rule that already holds (the email is set), so a new branch's only problem is its connection.
  if (kind === 'attributes') return { kind, filter: { match: 'all', rules: [{ field: 'email', op: 'exists' }] } };
  if (kind === 'inList') return { kind, listId: '' };
  if (kind === 'inSegment') return { kind, segmentId: '' };
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
  // What compile cannot know: the attributes contacts have (publishing checks the same).
  const live: FlowError[] =
    test.kind === 'attributes' ? checkRules(test.filter, types).map((p) => ({ field: `${field}.filter.${p.field}`, message: p.message })) : [];
  const errors = [...props.errors, ...live];
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
        <>
          <select
            className="nodrag"
            aria-label="Match"
            value={test.filter.match}
            onChange={(e) => onChange({ ...test, filter: { ...test.filter, match: e.currentTarget.value === 'any' ? 'any' : 'all' } })}
          >
            <option value="all">All rules hold</option>
            <option value="any">Any rule holds</option>
          </select>
          <RuleRows
            rules={test.filter.rules}
            field={`${field}.filter.rules`}
            errors={errors}
            testId={props.testId}
            types={types}
            onChange={(rules) => onChange({ ...test, filter: { ...test.filter, rules } })}
          />
        </>
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
      <FieldError
        errors={errors}
        field={field}
        exact={['', '.kind', '.listId', '.segmentId', '.sendNodeId', '.outcome', '.filter', '.filter.match', '.filter.rules']}
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
        <FieldError errors={errors} field="data.otherwiseLabel" />
      </div>
    </>
  );
}
