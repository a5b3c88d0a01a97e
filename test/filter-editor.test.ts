/**
 * The filter editor's pure logic (segments and a Condition's attribute test share it): the operators and
 * value input each type gets, what changing a field or an operator keeps, how typed rows become a
 * checked ContactFilter with each problem at its rule, and rows kept as typed for rules held by a flow.
 */
import { describe, expect, it } from 'vitest';
import { FILTER_OPERATORS, type FilterRule } from '../domain/contact-filter';
import {
  buildFilter,
  issuesByField,
  newRow,
  operatorsFor,
  type RuleRow,
  ruleError,
  ruleInput,
  rowsFor,
  rowsOf,
  typeOf,
  valueInput,
  withField,
  withOp,
} from '../web/components/filter-editor/filter-rules';

const types = { plan: 'text', seats: 'number', vip: 'boolean', renews: 'date' } as const;

describe('operators and inputs by type', () => {
  it('offers the operators that fit each type, and every operator for an attribute no contact has yet', () => {
    expect(operatorsFor(typeOf('seats', types))).toEqual(['equals', 'notEquals', 'gt', 'gte', 'lt', 'lte', 'in', 'notIn', 'exists', 'notExists']);
    expect(operatorsFor(typeOf('plan', types))).toContain('contains');
    expect(operatorsFor(typeOf('plan', types))).not.toContain('gt');
    expect(operatorsFor(typeOf('vip', types))).toEqual(['equals', 'notEquals', 'exists', 'notExists']);
    expect(operatorsFor(typeOf('renews', types))).toEqual(['equals', 'notEquals', 'before', 'after', 'exists', 'notExists']);
    // The contact's own fields are text.
    expect(typeOf('email', types)).toBe('text');
    expect(typeOf('name', types)).toBe('text');
    expect(typeOf('shoe_size', types)).toBeUndefined();
    expect(operatorsFor(undefined)).toEqual(Object.keys(FILTER_OPERATORS));
  });

  it('types the value input by the attribute, or by what the operator compares', () => {
    expect(valueInput('equals', 'number')).toBe('number');
    expect(valueInput('equals', 'boolean')).toBe('yesNo');
    expect(valueInput('after', 'date')).toBe('date');
    expect(valueInput('equals', 'text')).toBe('text');
    expect(valueInput('in', 'number')).toBe('list');
    expect(valueInput('exists', 'number')).toBe('none');
    expect(valueInput('gt', undefined)).toBe('number');
    expect(valueInput('before', undefined)).toBe('date');
    expect(valueInput('equals', undefined)).toBe('text');
  });
});

describe('editing a rule', () => {
  it('keeps the operator and value when the new field takes them, and resets what no longer fits', () => {
    const seats: RuleRow = { field: 'seats', op: 'gte', value: '3' };
    // Text has no "is at least": back to "is", and the number goes.
    expect(withField(seats, 'plan', types)).toEqual({ field: 'plan', op: 'equals', value: '' });
    // Another number could keep it all; an attribute of another type keeps the operator, not the value.
    expect(withField({ field: 'plan', op: 'equals', value: 'pro' }, 'email', types)).toEqual({ field: 'email', op: 'equals', value: 'pro' });
    expect(withField({ field: 'plan', op: 'equals', value: 'pro' }, 'vip', types)).toEqual({ field: 'vip', op: 'equals', value: '' });
    // An attribute no contact has takes any operator; typing its name keeps the rest.
    expect(withField(seats, '', types)).toEqual({ field: '', op: 'gte', value: '' });
    expect(withField({ field: 'shoe', op: 'gte', value: '40' }, 'shoe_', types)).toEqual({ field: 'shoe_', op: 'gte', value: '40' });
  });

  it('keeps the value when the new operator reads it in the same input', () => {
    expect(withOp({ field: 'seats', op: 'gt', value: '3' }, 'lte', types)).toEqual({ field: 'seats', op: 'lte', value: '3' });
    expect(withOp({ field: 'plan', op: 'equals', value: 'pro' }, 'contains', types)).toEqual({ field: 'plan', op: 'contains', value: 'pro' });
    expect(withOp({ field: 'plan', op: 'equals', value: 'pro' }, 'in', types)).toEqual({ field: 'plan', op: 'in', value: '' });
    expect(withOp({ field: 'plan', op: 'equals', value: 'pro' }, 'exists', types)).toEqual({ field: 'plan', op: 'exists', value: '' });
  });

  it('starts a new rule on the first attribute contacts have, else on the email', () => {
    expect(newRow(types)).toEqual({ field: 'plan', op: 'equals', value: '' });
    expect(newRow({})).toEqual({ field: 'email', op: 'equals', value: '' });
  });
});

describe('rows as a filter', () => {
  it('types each value by its attribute and round-trips a saved filter', () => {
    const built = buildFilter(
      'any',
      [
        { field: 'seats', op: 'in', value: '1, 2,5' },
        { field: 'vip', op: 'equals', value: 'false' },
        { field: 'plan', op: 'notIn', value: 'pro, team' },
        { field: 'renews', op: 'before', value: '2027-06-01' },
        { field: 'email', op: 'contains', value: 'Example' },
        { field: 'seats', op: 'gt', value: '2.5' },
      ],
      types,
    );
    expect(built).toEqual({
      ok: true,
      filter: {
        match: 'any',
        rules: [
          { field: 'seats', op: 'in', value: [1, 2, 5] },
          { field: 'vip', op: 'equals', value: false },
          { field: 'plan', op: 'notIn', value: ['pro', 'team'] },
          { field: 'renews', op: 'before', value: '2027-06-01' },
          { field: 'email', op: 'contains', value: 'example' },
          { field: 'seats', op: 'gt', value: 2.5 },
        ],
      },
    });
    if (built.ok) expect(buildFilter('any', rowsOf(built.filter.rules), types)).toEqual(built);
  });

  it("keys each problem by its rule's field, in the words of the attribute's type", () => {
    const built = buildFilter(
      'all',
      [
        { field: 'seats', op: 'equals', value: '' },
        { field: 'vip', op: 'equals', value: '' },
        { field: 'seats', op: 'in', value: '1, many' },
        { field: 'renews', op: 'after', value: '' },
        { field: 'plan', op: 'in', value: ' , ' },
      ],
      types,
    );
    expect(built).toEqual({
      ok: false,
      errors: {
        'rules.0.value': 'enter a number',
        'rules.1.value': 'choose yes or no',
        'rules.2.value': 'enter numbers separated by commas, e.g. 1, 2, 5',
        'rules.3.value': expect.stringMatching(/YYYY-MM-DD/),
        'rules.4.value': 'give at least one value',
      },
    });
    expect(buildFilter('all', [{ field: 'plan', op: 'gt', value: '3' }], types)).toEqual({
      ok: false,
      errors: { 'rules.0.op': expect.stringMatching(/plan is a text attribute/) },
    });
    // A date attribute's value must be a date, whatever the operator.
    expect(buildFilter('all', [{ field: 'renews', op: 'equals', value: 'soon' }], types)).toEqual({
      ok: false,
      errors: { 'rules.0.value': expect.stringMatching(/renews is a date attribute; write it as YYYY-MM-DD/) },
    });
  });

  it('takes an attribute no contact has yet, and names it as one at its rule', () => {
    const rows: RuleRow[] = [{ field: 'shoe_size', op: 'gt', value: '40' }];
    expect(ruleInput(rows[0] as RuleRow, types)).toEqual({ field: 'shoe_size', op: 'gt', value: 40 });
    const built = buildFilter('all', rows, types);
    expect(built).toEqual({ ok: false, errors: { 'rules.0.field': 'no contact has an attribute named shoe_size; choose one they have' } });
    if (!built.ok) expect(ruleError(built.errors, 0)).toBe('no contact has an attribute named shoe_size; choose one they have');
    expect(buildFilter('all', [{ field: '', op: 'exists', value: '' }], types)).toEqual({
      ok: false,
      errors: { 'rules.0.field': 'choose an attribute' },
    });
    // Named so before its value is given; the value's problem is still known.
    const noValue = buildFilter('all', [{ field: 'shoe', op: 'gte', value: '' }], types);
    expect(noValue).toEqual({
      ok: false,
      errors: { 'rules.0.field': 'no contact has an attribute named shoe; choose one they have', 'rules.0.value': 'enter a number' },
    });
    if (!noValue.ok) expect(ruleError(noValue.errors, 0)).toMatch(/no contact has an attribute named shoe/);
    // A name that could never be an attribute is said in the schema's words.
    expect(buildFilter('all', [{ field: 'Shoe', op: 'exists', value: '' }], types)).toEqual({
      ok: false,
      errors: { 'rules.0.field': expect.stringMatching(/lower-case letters/) },
    });
  });

  it('shows one problem a rule: its field first, then its operator, then its value', () => {
    const errors = { 'rules.0.value': 'v', 'rules.0.op': 'o', 'rules.1.value': 'w', rules: 'add at least one rule' };
    expect(ruleError(errors, 0)).toBe('o');
    expect(ruleError(errors, 1)).toBe('w');
    expect(ruleError(errors, 2)).toBeUndefined();
  });

  it("keys the server's and the flow's problems as the editor's own", () => {
    expect(
      issuesByField([
        { path: ['filter', 'rules', 2, 'value', 1], message: 'a' },
        { field: 'filter.rules.0.op', message: 'b' },
        { field: 'filter', message: 'c' },
        { field: 'filter.match', message: 'd' },
        { path: ['name'], message: 'e' },
      ]),
    ).toEqual({ 'rules.2.value': 'a', 'rules.0.op': 'b', rules: 'c', match: 'd', name: 'e' });
  });
});

describe('rules held by a flow', () => {
  it('shows the rows as typed while they stand for the rules, and the rules’ own after an undo', () => {
    const typed: RuleRow[] = [
      { field: 'seats', op: 'in', value: '1, ' },
      { field: 'seats', op: 'gt', value: '' },
    ];
    const rules = typed.map((r) => ruleInput(r, types)) as FilterRule[];
    // "1, " becomes [1]: shown from the rules alone it would lose the comma being typed.
    expect(rowsOf(rules)).toEqual([
      { field: 'seats', op: 'in', value: '1' },
      { field: 'seats', op: 'gt', value: '' },
    ]);
    expect(rowsFor(rules, typed, types)).toBe(typed);
    const undone = [{ field: 'plan', op: 'equals', value: 'vip' }] as FilterRule[];
    expect(rowsFor(undone, typed, types)).toEqual([{ field: 'plan', op: 'equals', value: 'vip' }]);
  });

  it('reads a draft’s incomplete values as empty inputs', () => {
    const draft = [
      { field: 'seats', op: 'gt', value: null },
      { field: 'seats', op: 'gt', value: Number.NaN },
      { field: 'seats', op: 'in', value: [1, 2] },
      { field: 'vip', op: 'equals', value: true },
    ] as unknown as FilterRule[];
    expect(rowsOf(draft).map((r) => r.value)).toEqual(['', '', '1, 2', 'true']);
  });
});
