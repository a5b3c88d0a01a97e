/**
 * The contact variables a Liquid template reads, found without rendering it, so the flow editor can
 * flag a misspelled one as it is typed (publish checks it again, strictly, in server/email-content.ts,
 * with the same words). Pure: shared by the browser and the server.
 */
import { closestName } from './closest-name';
import type { FlowError } from './flow/node';
import type { FlowGraph } from './flow/schema';

/** What every contact has, besides its attributes. */
export const BUILT_IN_VARIABLES = ['name', 'email', 'unsubscribe_url'] as const;

/** The properties of the API event that started a journey: `{{ event.order_id }}` (journeys of an event's Trigger only). */
export const EVENT_VARIABLE = 'event';

/** Does the flow's Trigger start journeys by an API event (whose properties `{{ event.<name> }}` reads)? */
export const startsByEvent = (graph: FlowGraph) => graph.nodes.some((n) => n.type === 'trigger' && n.data.source === 'event');

/** A variable a template reads: `printed` when it prints it with no default (a contact without it gets a blank). */
export interface VariableUse {
  name: string;
  printed: boolean;
}

const BLOCK = /\{\{-?([\s\S]*?)-?\}\}|\{%-?([\s\S]*?)-?%\}/g;
/** `{% raw %}…{% endraw %}` and `{% comment %}…{% endcomment %}`: no Liquid read inside. */
const VERBATIM = /\{%-?\s*(raw|comment)\s*-?%\}[\s\S]*?\{%-?\s*end\1\s*-?%\}/g;
const STRINGS = /"[^"]*"|'[^']*'/g;
/** Identifiers that start a path (not after a dot), whole, and not a keyword argument's name (`limit:`). */
const ROOT_NAMES = /(?<![\w.-])([A-Za-z_][\w-]*)(?![\w-]|\s*:)/g;
/** Liquid's own words. */
const NOT_VARIABLES = new Set([
  'nil',
  'null',
  'empty',
  'blank',
  'true',
  'false',
  'and',
  'or',
  'not',
  'contains',
  'in',
  'with',
  'as',
  'by',
  'forloop',
]);
/** Tags whose words are all read as they are (`for`, `assign` and the others that declare a variable are read apart). */
const READING_TAGS = new Set(['if', 'elsif', 'unless', 'case', 'when', 'cycle']);

function rootNames(expression: string): string[] {
  const names: string[] = [];
  // A range's dots (`(1..count)`) are no property access.
  for (const m of expression.replace(STRINGS, '""').replaceAll('..', ' ').matchAll(ROOT_NAMES)) {
    const name = m[1]!;
    if (!NOT_VARIABLES.has(name) && !/^\d/.test(name)) names.push(name);
  }
  return names;
}

/** `head | filter: arg, arg | filter`: the head's names, and the filters' arguments' names (filter names left out). */
function output(expression: string, into: VariableUse[]): void {
  const [head = '', ...filters] = expression.replace(STRINGS, '""').split('|');
  const hasDefault = filters.some((f) => f.trim().startsWith('default'));
  for (const name of rootNames(head)) into.push({ name, printed: !hasDefault });
  for (const filter of filters) {
    const at = filter.indexOf(':');
    if (at >= 0) for (const name of rootNames(filter.slice(at + 1))) into.push({ name, printed: false });
  }
}

/** Every variable the template reads from the contact, in order (repeats kept), leaving out the ones it assigns itself. */
export function templateVariables(source: string): VariableUse[] {
  const uses: VariableUse[] = [];
  const local = new Set<string>();
  for (const m of source.replace(VERBATIM, '').matchAll(BLOCK)) {
    if (m[1] !== undefined) {
      output(m[1], uses);
      continue;
    }
    const [, tag = '', rest = ''] = /^\s*(\w+)\s*([\s\S]*)$/.exec(m[2] ?? '') ?? [];
    if (tag === 'for' || tag === 'tablerow') {
      const loop = /^([A-Za-z_][\w-]*)\s+in\s+([\s\S]*)$/.exec(rest);
      if (loop) {
        local.add(loop[1]!);
        for (const name of rootNames(loop[2]!)) uses.push({ name, printed: false });
      }
    } else if (tag === 'assign') {
      const assign = /^([A-Za-z_][\w-]*)\s*=\s*([\s\S]*)$/.exec(rest);
      if (assign) {
        const read: VariableUse[] = [];
        output(assign[2]!, read);
        uses.push(...read.map((u) => ({ name: u.name, printed: false })));
        local.add(assign[1]!);
      }
    } else if (tag === 'capture' || tag === 'increment' || tag === 'decrement') {
      const name = /^([A-Za-z_][\w-]*)/.exec(rest)?.[1];
      if (name) local.add(name);
    } else if (tag === 'echo') {
      output(rest, uses);
    } else if (READING_TAGS.has(tag)) {
      for (const name of rootNames(rest)) uses.push({ name, printed: false });
    }
  }
  return uses.filter((u) => !local.has(u.name));
}

/**
 * The words for a variable no contact has: an error when it is printed with no default in a campaign
 * (its audience exists now and would all get a blank), else a warning; with "did you mean" when a
 * known name is close.
 */
export function unknownVariableProblem(
  name: string,
  printed: boolean,
  campaign: boolean,
  known: Iterable<string>,
): Omit<FlowError, 'nodeId' | 'field'> {
  if (name === EVENT_VARIABLE)
    return {
      message:
        "{{ event.… }} prints a property of the API event that starts a journey, and this flow's Trigger is no API event: use a contact attribute, or make the Trigger an API event",
    };
  const suggestion = closestName(name, known);
  const meant = suggestion ? ` (did you mean ${suggestion}?)` : '';
  const what = `no contact has the attribute "${name}"`;
  if (printed && campaign)
    return { message: `${what}${meant}: fix the name, add the attribute to contacts, or give a default: {{ ${name} | default: "…" }}` };
  if (printed) return { severity: 'warning', message: `${what} yet${meant}: it prints nothing until an event brings it, unless you give a default` };
  return { severity: 'warning', message: `${what} yet${meant}: every message gets its default (or nothing)` };
}

/** The Send Email fields a template can be in, as the editor names them. */
const SEND_FIELDS = ['subject', 'preheader', 'html', 'text'] as const;

/**
 * Every variable no contact has in the flow's Send Email steps, each on its field, once per field.
 * `attributes`: the workspace's contact attribute names (the built-ins are added here).
 */
export function unknownVariables(graph: FlowGraph, attributes: readonly string[]): FlowError[] {
  const campaign = !startsByEvent(graph);
  // An event's journey may print any of its properties: they are known only when the event comes.
  const known = new Set<string>([...attributes, ...BUILT_IN_VARIABLES, ...(campaign ? [] : [EVENT_VARIABLE])]);
  const problems: FlowError[] = [];
  for (const node of graph.nodes) {
    if (node.type !== 'sendEmail') continue;
    for (const field of SEND_FIELDS) {
      const source = field === 'html' && (node.data.format ?? 'text') === 'text' ? '' : (node.data[field] ?? '');
      if (!source.includes('{')) continue;
      // A name printed bare anywhere in the field counts as printed.
      const unknown = new Map<string, boolean>();
      for (const use of templateVariables(source)) if (!known.has(use.name)) unknown.set(use.name, (unknown.get(use.name) ?? false) || use.printed);
      for (const [name, printed] of unknown)
        problems.push({ nodeId: node.id, field: `data.${field}`, ...unknownVariableProblem(name, printed, campaign, known) });
    }
  }
  return problems;
}
