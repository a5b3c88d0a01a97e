/**
 * A step's fields in the words of the editor's form: "data.otherwiseLabel" is "Default branch name",
 * "data.profileId" is "Sender". Problems, the draft's changes and every page use these, never a raw
 * key or path; the values of a change read as the form shows them too ("Randomize", "Mon–Fri").
 */
import { AGENT_DEFAULT, AGENT_DEFAULT_LABEL } from '../senders';
import { type ConditionTest, describeTest } from './nodes/condition';
import type { BodyFormat } from './nodes/send-email';
import type { ReentryPolicy } from './nodes/trigger';
import { daysText, type Weekday } from './send-window';

/** The label each field has in the side panel, by its path in a node. */
export const FIELD_LABELS: Readonly<Record<string, string>> = {
  name: 'Step name',
  type: 'Step type',
  // Trigger
  'data.source': 'Contacts enter',
  'data.event': 'Event name',
  'data.reentry': 'A contact may enter',
  'data.date.attribute': 'Date attribute',
  'data.date.days': 'Days',
  'data.date.direction': 'Before or after',
  'data.date.at': 'At (on the contact’s clock)',
  'data.date.everyYear': 'Every year',
  'data.date.timeZone': 'Time zone for contacts without one',
  'data.segmentId': 'Segment',
  'data.goalSegmentId': 'Goal: entering a segment',
  // Delay
  'data.mode': 'Wait',
  'data.amount': 'Amount',
  'data.min': 'Min',
  'data.max': 'Max',
  'data.unit': 'Unit',
  // Send window
  'data.days': 'Send on',
  'data.from': 'From',
  'data.to': 'Until',
  'data.timeZone': 'Time zone for contacts without one',
  'data.randomize': 'Randomize',
  // Send Email
  'data.profileId': 'Sender',
  'data.subject': 'Subject',
  'data.preheader': 'Preheader',
  'data.format': 'Body',
  'data.html': 'HTML body',
  'data.text': 'Text',
  'data.replyTo': 'Reply-to',
  'data.whenCapped': 'If the contact had enough emails',
  'data.pool': 'Pool of senders',
  // Condition and A/B split
  'data.branches': 'Branches',
  'data.otherwiseLabel': 'Default branch name',
  // Webhook
  'data.url': 'URL',
  'data.body': 'JSON body',
};

/** The part of a branch a path inside it names ("label" → "name"). */
const BRANCH_PARTS: Readonly<Record<string, string>> = {
  label: 'name',
  percent: 'percent',
  id: 'id',
  test: 'test',
  'test.kind': 'test',
  'test.filter': 'rules',
  'test.listId': 'list',
  'test.segmentId': 'segment',
  'test.sendNodeId': 'Send Email',
  'test.outcome': 'outcome',
};

/** "otherwiseLabel" → "Otherwise label": for a field no form shows, words rather than a key. */
const words = (key: string) => {
  const spaced = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
};

/** "Subject" for "data.subject", "Branch 2 name" for "data.branches.1.label": a field as the form labels it. */
export function fieldLabel(field: string): string {
  const known = FIELD_LABELS[field];
  if (known) return known;
  const branch = /^data\.branches\.(\d+)(?:\.(.+))?$/.exec(field);
  if (branch) {
    const n = Number(branch[1]) + 1;
    const part = branch[2] ?? '';
    const partLabel = BRANCH_PARTS[part] ?? (part.startsWith('test.filter') ? 'rules' : part.startsWith('test.') ? 'test' : words(part));
    return part ? `Branch ${n} ${partLabel}` : `Branch ${n}`;
  }
  const member = /^data\.pool\.(\d+)\.(profileId|weight)$/.exec(field);
  if (member) return `Pool member ${Number(member[1]) + 1} ${member[2] === 'weight' ? 'weight' : 'sender'}`;
  const item = /^(nodes|edges)\[(\d+)\]$/.exec(field);
  if (item) return `${item[1] === 'nodes' ? 'Step' : 'Connection'} ${Number(item[2]) + 1}`;
  return words(
    field
      .replace(/^data\./, '')
      .split('.')
      .filter(Boolean)
      .at(-1) ?? field,
  );
}

/** The options' words, as the form's selects and radios show them. */
export const FORMAT_LABELS: Readonly<Record<BodyFormat, string>> = { text: 'Text only', html: 'HTML', mjml: 'MJML (responsive email markup)' };
export const REENTRY_LABELS: Readonly<Record<ReentryPolicy, string>> = {
  once: 'Once ever',
  one_at_a_time: 'One journey at a time',
  always: 'Every time',
};
const OPTION_LABELS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'data.source': { audience: 'When you start a run', event: 'By an API event', date: 'On a date' },
  'data.reentry': REENTRY_LABELS,
  'data.mode': { fixed: 'Fixed', random: 'Randomize' },
  'data.format': FORMAT_LABELS,
  'data.whenCapped': { skip: 'Skip this email', wait: 'Send it when the frequency cap allows' },
};

/** What the form shows for a field the data leaves out. */
const UNSET: Readonly<Record<string, string | boolean>> = {
  'data.format': 'text',
  'data.reentry': 'once',
  'data.whenCapped': 'skip',
  'data.randomize': false,
};

/** What a value's words depend on beyond the flow: the senders' names (the editor knows them). */
export interface ValueContext {
  profileName?: (id: string) => string | undefined;
  /** A step's title, for a Condition that tests an earlier send. */
  stepTitle?: (nodeId: string) => string;
  /** The names of lists and segments a Condition tests. */
  listName?: (id: string) => string | undefined;
  segmentName?: (id: string) => string | undefined;
}

/** A Condition branch's test in words, lists and segments by their names where known. */
function testText(test: ConditionTest, context: ValueContext): string {
  if (test.kind === 'inList') return `in list “${context.listName?.(test.listId) ?? test.listId}”`;
  if (test.kind === 'inSegment') return `in segment “${context.segmentName?.(test.segmentId) ?? test.segmentId}”`;
  return describeTest(test, context.stepTitle);
}

const MAX_VALUE = 60;
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
const quoted = (s: string) => (s === '' ? '(empty)' : `“${s}”`);
const clip = (s: string, max = MAX_VALUE) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** A field's value as the form shows it: an option's words, a sender's name, a quoted text, "(empty)". */
export function valueText(field: string, value: unknown, context: ValueContext = {}): string {
  // A field left out means what the form shows for it: "Text only", "Once ever", "Skip this email".
  const given = value === undefined || value === null || value === '' ? UNSET[field] : value;
  if (given === undefined) return '(empty)';
  const option = OPTION_LABELS[field]?.[String(given)];
  if (option) return option;
  if (field === 'data.profileId' && typeof given === 'string') {
    return given === AGENT_DEFAULT ? AGENT_DEFAULT_LABEL : (context.profileName?.(given) ?? `sender “${given}”`);
  }
  if (field === 'data.days' && Array.isArray(given)) return given.length === 0 ? 'no day' : daysText(given as Weekday[]);
  if (/^data\.branches\.\d+\.test$/.test(field) && typeof given === 'object') {
    try {
      return testText(given as ConditionTest, context);
    } catch {
      return 'a test';
    }
  }
  if (typeof given === 'boolean') return given ? 'on' : 'off';
  if (typeof given === 'number') return Number.isFinite(given) ? String(given) : '(empty)';
  if (typeof given === 'string') return quoted(clip(oneLine(given)));
  return clip(JSON.stringify(given));
}

/**
 * Two texts, shortened around where they differ: a 40 KB HTML body whose greeting changed reads as
 * `…<p>Hello {{name}}</p>…` → `…<p>Hi {{name}}</p>…`, each side with a little of what surrounds it.
 */
export function changedText(before: string, after: string, context = 24): { before: string; after: string } {
  const [a, b] = [oneLine(before), oneLine(after)];
  if (a.length <= MAX_VALUE && b.length <= MAX_VALUE) return { before: quoted(a), after: quoted(b) };
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
  const around = (s: string) => {
    const from = Math.max(0, start - context);
    const to = Math.min(s.length, s.length - end + context);
    const middle = s.slice(start, s.length - end);
    const shown = middle.length > MAX_VALUE ? `${middle.slice(0, MAX_VALUE - 1)}…` : middle;
    const text = `${from > 0 ? '…' : ''}${s.slice(from, start)}${shown}${s.slice(s.length - end, to)}${to < s.length ? '…' : ''}`;
    return s === '' ? '(empty)' : `“${text}”`;
  };
  return { before: around(a), after: around(b) };
}
