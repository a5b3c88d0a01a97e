/**
 * A Send step's content made ready to send, and checked, at publish (and for a preview): MJML is
 * compiled to HTML (mjml, Node-only: why this lives in server/ and not in domain/), a text part is
 * generated from the HTML when none was written (html-to-text), and every template is parsed and
 * rendered strictly against the attributes contacts have, so that a typo is an error on its field
 * before any contact gets the message.
 */
import { convert } from 'html-to-text';
import type { AttributeType } from '../domain/contact';
import type { FlowError } from '../domain/flow/node';
import type { SendEmailStep, Step } from '../domain/flow/plan';
import { EVENT_VARIABLE, unknownVariableProblem } from '../domain/template-variables';
import { checkInThread, describeProblem, mjmlInThread, REQUEST_LIMIT_MS, type TemplateKind } from './templates';
import { renderWebhookBody, webhookScope } from './webhooks';

/** MJML compiled once per source: publishing and previews of the same body do not compile it again. */
const compiled = new Map<string, { html: string; errors: string[] }>();

/**
 * MJML to HTML, in a template thread (server/templates.ts), with its time limit; `mj-include` is
 * refused (no file access), validation errors come back by line. `until`: the request's deadline.
 */
export async function compileMjml(source: string, until?: number): Promise<{ html: string; errors: string[] }> {
  const hit = compiled.get(source);
  if (hit) return hit;
  const result = await mjmlInThread(source, until);
  if (compiled.size >= 100) compiled.delete(compiled.keys().next().value ?? '');
  compiled.set(source, result);
  return result;
}

const HEADINGS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } }));

/**
 * The text part of an HTML template, still a template: `{{ name }}` stays as it is (headings keep
 * their case, lines are not wrapped, so no tag is split or changed), links show their address.
 */
export function textFromHtml(html: string): string {
  return convert(html, {
    wordwrap: false,
    selectors: [
      ...HEADINGS,
      { selector: 'img', format: 'skip' },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
    ],
  });
}

/** The step as it is sent: MJML compiled into `html`, the text part generated when none was written. */
export async function prepareSendStep(
  nodeId: string,
  step: SendEmailStep,
  until = Date.now() + REQUEST_LIMIT_MS,
): Promise<{ step: SendEmailStep; errors: FlowError[] }> {
  const { mjml, ...rest } = step;
  let html = step.html;
  if (mjml !== undefined) {
    const out = await compileMjml(mjml, until);
    if (out.errors.length > 0) {
      return { step: rest, errors: out.errors.map((e) => ({ nodeId, field: 'data.html', message: `MJML: ${e}` })) };
    }
    html = out.html;
  }
  if (html === undefined) return { step: rest, errors: [] };
  const text = step.text.trim() === '' ? textFromHtml(html) : step.text;
  return { step: { ...rest, html, text }, errors: [] };
}

/** What contacts can be addressed by in a template: name, email, unsubscribe_url and each attribute's type. */
export type KnownVariables = ReadonlyMap<string, AttributeType | 'text'>;

export function knownVariables(attributes: readonly { name: string; type: AttributeType }[]): KnownVariables {
  const known = new Map<string, AttributeType | 'text'>(attributes.map((a) => [a.name, a.type]));
  for (const own of ['name', 'email', 'unsubscribe_url']) known.set(own, 'text');
  return known;
}

const SAMPLE: Record<AttributeType, string | number | boolean> = { text: 'sample', number: 1, boolean: true, date: '2026-01-01' };

/**
 * One template's problems: it does not parse (error); it prints a variable no contact has, without a
 * default (an error in a campaign, whose audience exists now and would all lack it; a warning where
 * contacts enter by an API event, which may bring the attribute with it); it names one only under a
 * default or a condition (warning: the default is what every contact gets); it takes too long or
 * prints too much with sample values (error). One render in a template thread finds them all.
 */
export async function checkTemplate(
  nodeId: string,
  field: string,
  source: string,
  kind: TemplateKind,
  known: KnownVariables,
  options: { unknownIsError?: boolean; until?: number; eventProperties?: boolean } = {},
): Promise<FlowError[]> {
  const unknownIsError = options.unknownIsError ?? true;
  // An API event's journey prints its properties ({{ event.<name> }}); they are known only when the event comes.
  const reported = new Set<string>(options.eventProperties ? [EVENT_VARIABLE] : []);
  if (!source.includes('{')) return [];
  const scope: Record<string, string | number | boolean> = {};
  for (const [name, type] of known) scope[name] = SAMPLE[type];
  const answer = await checkInThread(source, kind, scope, options.until);
  if ('parse' in answer) return [{ nodeId, field, message: `the template has a mistake: ${answer.parse}` }];
  if ('problem' in answer) return [{ nodeId, field, message: describeProblem(answer.problem) }];
  const problems: FlowError[] = answer.errors.map((p) => ({ nodeId, field, message: describeProblem(p) }));
  // The editor's words (domain/template-variables.ts), so its live problem and publish's are one.
  for (const { name } of answer.unknown) {
    if (reported.has(name)) continue;
    reported.add(name);
    problems.push({ nodeId, field, ...unknownVariableProblem(name, true, unknownIsError, known.keys()) });
  }
  for (const name of answer.globals) {
    if (known.has(name) || reported.has(name)) continue;
    problems.push({ nodeId, field, ...unknownVariableProblem(name, false, unknownIsError, known.keys()) });
  }
  return problems;
}

/** Every template of a prepared step, each problem on the editor's field of its source. */
export async function checkSendStep(
  nodeId: string,
  step: SendEmailStep,
  source: { textWritten: boolean },
  known: KnownVariables,
  options: { unknownIsError?: boolean; until?: number; eventProperties?: boolean } = {},
): Promise<FlowError[]> {
  const checks = await Promise.all([
    checkTemplate(nodeId, 'data.subject', step.subject, 'text', known, options),
    step.preheader ? checkTemplate(nodeId, 'data.preheader', step.preheader, 'html', known, options) : [],
    step.html !== undefined ? checkTemplate(nodeId, 'data.html', step.html, 'html', known, options) : [],
    // A generated text part says what the HTML says: its problems are the HTML's, reported there.
    source.textWritten ? checkTemplate(nodeId, 'data.text', step.text, 'text', known, options) : [],
  ]);
  return checks.flat();
}

/**
 * A Webhook's body: its template checked as an email's is, and rendered for a sample contact (each
 * attribute a sample of its type), it must be JSON; the error says where it is not.
 */
export async function checkWebhookBody(
  nodeId: string,
  body: string,
  known: KnownVariables,
  options: { unknownIsError?: boolean; until?: number } = {},
): Promise<FlowError[]> {
  // A webhook is no email: it has no unsubscribe link to print.
  const contactVariables = new Map([...known].filter(([name]) => name !== 'unsubscribe_url'));
  // Nor the event's properties (its body is the contact's).
  const problems = await checkTemplate(nodeId, 'data.body', body, 'text', contactVariables, { ...options, eventProperties: false });
  if (problems.some((p) => p.severity !== 'warning')) return problems;
  const sample = Object.fromEntries([...contactVariables].map(([name, type]) => [name, SAMPLE[type]]));
  try {
    await renderWebhookBody(body, webhookScope({ name: 'Sample', email: 'sample@example.com', attributes: sample }));
  } catch (err) {
    problems.push({ nodeId, field: 'data.body', message: `for a sample contact, ${(err as Error).message}` });
  }
  return problems;
}

/**
 * The plan as publishing stores it: each Send step prepared and checked. Errors stop the publish;
 * warnings (severity 'warning') are shown and let it go ahead.
 */
export async function preparePlanContent<P extends { steps: Record<string, Step> }>(
  plan: P,
  known: KnownVariables,
  options: { unknownIsError?: boolean; eventProperties?: boolean } = {},
): Promise<{ plan: P; problems: FlowError[] }> {
  // Every template of the flow, together, within the request's limit.
  const until = Date.now() + REQUEST_LIMIT_MS;
  const steps: Record<string, Step> = {};
  const problems: FlowError[] = [];
  for (const [nodeId, step] of Object.entries(plan.steps)) {
    if (step.type === 'webhook') problems.push(...(await checkWebhookBody(nodeId, step.body, known, { ...options, until })));
    if (step.type !== 'sendEmail') {
      steps[nodeId] = step;
      continue;
    }
    const prepared = await prepareSendStep(nodeId, step, until);
    problems.push(...prepared.errors);
    if (prepared.errors.length === 0)
      problems.push(...(await checkSendStep(nodeId, prepared.step, { textWritten: step.text.trim() !== '' }, known, { ...options, until })));
    steps[nodeId] = prepared.step;
  }
  return { plan: { ...plan, steps }, problems };
}
