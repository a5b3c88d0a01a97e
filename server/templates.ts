/**
 * Liquid (liquidjs) for a message's subject, preheader, HTML and text, and MJML, run in a small pool
 * of template threads (template-thread.cjs, where the engines are) shared by the process: the web app
 * at publish, preview and one-off sends, the worker for each recipient. A template can hold a thread,
 * never the caller's event loop: a job that overruns its time is answered with an error naming the
 * field, and its thread is terminated and replaced. A render also stops at MAX_RENDERED_CHARS.
 * Values printed in the HTML part and the preheader are escaped (`raw` included); subject and text are not.
 * Rendering is lenient (a contact without an attribute prints its default, else nothing); the strict
 * check with every variable known is publish's (server/email-content.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CONTROL_CHARACTERS } from '../domain/text';

export type TemplateKind = 'text' | 'html';
/** A message's fields, as errors name them. */
export type TemplateField = 'subject' | 'preheader' | 'html' | 'text';

/** What a template can print: the contact's attributes, then name, email and unsubscribe_url (which win over attributes of those names). */
/** A contact's variables; `event`, in an API event's journey, is an object of its properties. */
export type TemplateScope = Record<string, string | number | boolean | Readonly<Record<string, string | number | boolean | null>>>;

/** Hard limits: a field's render (or check), an MJML compile, and every template job of one request together. */
export const RENDER_LIMIT_MS = 1_000;
export const MJML_LIMIT_MS = 3_000;
export const REQUEST_LIMIT_MS = 10_000;
/** Past liquidjs's own time limit (renderLimit, RENDER_LIMIT_MS a field), the margin before a thread is terminated: usually the render stops itself and the thread is kept. */
const GRACE_MS = 500;
/** Characters a rendered field may have (the thread stops a render there). */
export const MAX_RENDERED_CHARS = 1_000_000;
/** Template threads per process. */
const POOL_SIZE = 2;

const LABELS: Record<TemplateField, string> = { subject: 'Subject', preheader: 'Preheader', html: 'HTML body', text: 'Text body' };

/**
 * A template that cannot be rendered (a bad filter argument, a render that went past the limits).
 * `EMESSAGE`: the send path classifies it as permanent for this recipient, not as an SMTP fault.
 */
export class TemplateRenderError extends Error {
  readonly code = 'EMESSAGE';
  constructor(
    message: string,
    readonly field?: TemplateField,
  ) {
    super(message);
  }
}

/** Why a thread's job failed: `time` and `size` are the limits, `template` the engine's own error. */
export interface JobProblem {
  kind: 'time' | 'size' | 'length' | 'template' | 'request';
  message: string;
  field?: TemplateField;
}

type Job =
  | { type: 'render'; fields: { name: TemplateField; source: string; kind: TemplateKind }[]; scope: TemplateScope }
  | { type: 'check'; source: string; kind: TemplateKind; scope: TemplateScope }
  | { type: 'mjml'; source: string };

/** The user's words for a problem, naming the field and the fix. */
export function describeProblem(p: JobProblem, field = p.field): string {
  const label = field ? `${LABELS[field]}: ` : '';
  if (p.kind === 'time') return `${label}the template took longer than ${RENDER_LIMIT_MS / 1000} s to render: simplify its loops`;
  if (p.kind === 'size') return `${label}the template printed more than ${MAX_RENDERED_CHARS} characters: print less (a loop over a large range?)`;
  if (p.kind === 'length')
    return `${label}the template is longer than ${MAX_RENDERED_CHARS} characters (an MJML body counts as the HTML it compiles to): shorten it`;
  if (p.kind === 'request') return `${label}the templates took longer than ${REQUEST_LIMIT_MS / 1000} s to check in all: shorten or simplify them`;
  return `${label}the template cannot be rendered: ${p.message}`;
}

interface Running {
  id: number;
  resolve: (answer: unknown) => void;
  timer: NodeJS.Timeout;
  limitMs: number;
}
interface Slot {
  thread: Worker;
  ready: boolean;
  running: Running | undefined;
}
interface Waiting {
  job: Job;
  limitMs: number;
  until: number;
  resolve: (answer: unknown) => void;
}

/** Where the thread's entry is: beside this file, or (bundled into the web app) under the repo root's server/. */
function threadFile(): string {
  try {
    const beside = path.join(path.dirname(fileURLToPath(import.meta.url)), 'template-thread.cjs');
    if (fs.existsSync(beside)) return beside;
  } catch {
    // Not a file URL: bundled.
  }
  return path.join(process.cwd(), 'server', 'template-thread.cjs');
}

export class TemplatePool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Waiting[] = [];
  private nextId = 0;
  /** Threads terminated for overrunning, since the pool started (for tests and logs). */
  replaced = 0;

  constructor(
    private readonly size = POOL_SIZE,
    private readonly file = threadFile(),
  ) {}

  /** The job's answer, or a `JobProblem` (`{ problem }`) when it overran `limitMs`, went past `until`, or its thread died. */
  run<T>(job: Job, limitMs: number, until = Number.POSITIVE_INFINITY): Promise<T | { problem: JobProblem }> {
    return new Promise((resolve) => {
      this.waiting.push({ job, limitMs, until, resolve: resolve as (a: unknown) => void });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      const slot = this.slots.find((s) => s.ready && !s.running);
      if (!slot) {
        if (this.slots.length < this.size) this.start();
        return;
      }
      const next = this.waiting.shift()!;
      const left = next.until - Date.now();
      if (left <= 0) {
        next.resolve({ problem: { kind: 'request', message: 'out of time' } });
        continue;
      }
      const limitMs = Math.min(next.limitMs, left);
      const id = ++this.nextId;
      const timer = setTimeout(() => this.overrun(slot), limitMs);
      slot.running = { id, resolve: next.resolve, timer, limitMs };
      slot.thread.ref();
      slot.thread.postMessage({ id, job: next.job });
    }
  }

  private start(): void {
    const thread = new Worker(this.file, {
      workerData: { maxRenderedChars: MAX_RENDERED_CHARS, renderLimitMs: RENDER_LIMIT_MS },
      resourceLimits: { maxOldGenerationSizeMb: 256 },
    });
    thread.unref();
    const slot: Slot = { thread, ready: false, running: undefined };
    this.slots.push(slot);
    thread.on('message', (message: { ready?: true; id?: number; answer?: unknown }) => {
      if (message.ready) {
        slot.ready = true;
      } else if (slot.running && slot.running.id === message.id) {
        const { resolve, timer } = slot.running;
        clearTimeout(timer);
        slot.running = undefined;
        thread.unref();
        resolve(message.answer);
      }
      this.dispatch();
    });
    const gone = (why: string) => {
      const at = this.slots.indexOf(slot);
      if (at < 0) return;
      this.slots.splice(at, 1);
      if (slot.running) {
        clearTimeout(slot.running.timer);
        slot.running.resolve({ problem: { kind: 'template', message: `the template thread stopped (${why})` } });
      }
      // One that never started (its file missing, say) would fail again: the jobs waiting get why, not a loop of threads.
      if (!slot.ready) {
        for (const waiting of this.waiting.splice(0))
          waiting.resolve({ problem: { kind: 'template', message: `the template thread could not start (${why})` } });
        return;
      }
      this.dispatch();
    };
    thread.on('error', (err) => gone(err.message));
    thread.on('exit', (code) => gone(`exit code ${code}`));
  }

  /** The job ran past its time: its thread is terminated (a new one starts for the next job). */
  private overrun(slot: Slot): void {
    const running = slot.running;
    const at = this.slots.indexOf(slot);
    if (!running || at < 0) return;
    this.slots.splice(at, 1);
    slot.running = undefined;
    this.replaced++;
    void slot.thread.terminate();
    running.resolve({ problem: { kind: 'time', message: `over ${running.limitMs} ms` } });
    this.dispatch();
  }

  close(): void {
    for (const slot of this.slots.splice(0)) void slot.thread.terminate();
  }
}

/** On globalThis: the web app's routes (and its dev-mode reloads) share one pool. */
const holder = globalThis as typeof globalThis & { __driplineTemplatePool?: TemplatePool };
/** The process's pool, created at its first use. */
export function templatePool(): TemplatePool {
  holder.__driplineTemplatePool ??= new TemplatePool();
  return holder.__driplineTemplatePool;
}

const isProblem = (a: unknown): a is { problem: JobProblem } => typeof a === 'object' && a !== null && 'problem' in a;
const noControl = (s: string) => s.replace(new RegExp(CONTROL_CHARACTERS.source, 'g'), ' ');

export interface FieldSource {
  name: TemplateField;
  source: string;
  kind: TemplateKind;
}

/** `{{ name }}`: printing one variable, by a name that is none of Liquid's literals and operators. */
const PRINT = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/y;
const NOT_VARIABLES = new Set(['nil', 'null', 'empty', 'blank', 'true', 'false', 'and', 'or', 'not', 'contains', 'in']);
const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' };

/**
 * A template whose only Liquid is printing variables (`Hello {{ name }}`), rendered here as liquidjs
 * renders it in the threads (test/templates-print.test.ts compares them): the scope's own value, or
 * nothing, escaped as liquidjs's `escape` does in the HTML part. A message per recipient to a thread
 * and back cost more than such a render. Undefined for any other template (a tag, a filter, `{{-`).
 */
export function printVariables(source: string, kind: TemplateKind, scope: TemplateScope): string | undefined {
  if (source.length > MAX_RENDERED_CHARS || source.includes('{%')) return undefined;
  let out = '';
  let from = 0;
  // Every "{{" (overlapping ones too: "{{{") has to open a `{{ name }}`.
  for (let at = source.indexOf('{{'); at >= 0; at = source.indexOf('{{', at + 1)) {
    if (at < from) return undefined;
    PRINT.lastIndex = at;
    const match = PRINT.exec(source);
    const name = match?.[1];
    if (!match || !name || NOT_VARIABLES.has(name)) return undefined;
    const own = Object.hasOwn(scope, name) ? scope[name] : '';
    // An object (the event's properties) prints as Liquid prints it.
    if (typeof own === 'object') return undefined;
    const value = String(own);
    out += source.slice(from, at) + (kind === 'html' ? value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!) : value);
    from = at + match[0].length;
  }
  out += source.slice(from);
  return out.length > MAX_RENDERED_CHARS ? undefined : out;
}

/**
 * Each field rendered for one contact, in a template thread (a field with no Liquid is kept as it is,
 * one that only prints variables is rendered here: printVariables); the subject and the preheader, headers or header-like, get no control characters.
 * Throws `TemplateRenderError` naming the field that failed.
 */
export async function renderFields(fields: FieldSource[], scope: TemplateScope, until?: number): Promise<Partial<Record<TemplateField, string>>> {
  const out: Partial<Record<TemplateField, string>> = {};
  const liquid: FieldSource[] = [];
  for (const f of fields) {
    const printed = f.source.includes('{') ? printVariables(f.source, f.kind, scope) : f.source;
    if (printed === undefined) liquid.push(f);
    else out[f.name] = printed;
  }
  if (liquid.length > 0) {
    const answer = await templatePool().run<{ out: Record<string, string> } | JobProblem>(
      { type: 'render', fields: liquid, scope },
      RENDER_LIMIT_MS * liquid.length + GRACE_MS,
      until,
    );
    if (isProblem(answer)) {
      // Its thread was stopped: the field is known when only one had Liquid.
      const field = liquid.length === 1 ? liquid[0]?.name : undefined;
      throw new TemplateRenderError(describeProblem(answer.problem, field), field);
    }
    if (!('out' in answer)) throw new TemplateRenderError(describeProblem(answer), answer.field);
    Object.assign(out, answer.out);
  }
  for (const name of ['subject', 'preheader'] as const) if (out[name] !== undefined) out[name] = noControl(out[name]);
  return out;
}

/** What publish's check of a template found (template-thread.cjs `check`). */
export type CheckAnswer =
  | { parse: string }
  | { unknown: { name: string; rest: string }[]; errors: JobProblem[]; globals: string[] }
  | { problem: JobProblem };

export function checkInThread(source: string, kind: TemplateKind, scope: TemplateScope, until?: number): Promise<CheckAnswer> {
  return templatePool().run<CheckAnswer>({ type: 'check', source, kind, scope }, RENDER_LIMIT_MS + GRACE_MS, until);
}

/** MJML compiled in a thread; an overrun is an error like MJML's own. */
export async function mjmlInThread(source: string, until?: number): Promise<{ html: string; errors: string[] }> {
  const answer = await templatePool().run<{ html: string; errors: string[] }>({ type: 'mjml', source }, MJML_LIMIT_MS, until);
  if (!isProblem(answer)) return answer;
  const p = answer.problem;
  const why =
    p.kind === 'time'
      ? `the MJML took longer than ${MJML_LIMIT_MS / 1000} s to compile: shorten it`
      : p.kind === 'request'
        ? describeProblem(p)
        : p.message;
  return { html: '', errors: [why] };
}
