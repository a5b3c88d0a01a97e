// A template thread (server/templates.ts runs a small pool of them): Liquid rendering, publish's checks
// of a template and MJML compiling, off the caller's event loop. The pool terminates a thread that
// overruns its time, so a template can hold this thread, never the web app or the worker.
// CommonJS, so that Node loads it in a thread without tsx and without a bundler.
//
// Templates never reach a file or the network: `include`, `render` and `layout` are refused when the
// template is parsed, and the engines' file system refuses every read besides. A template is parsed
// once and kept by its source, so a batch renders each recipient from the parsed form.
const { parentPort, workerData } = require('node:worker_threads');
const { Context, Liquid, Tag, toValue, toValueSync } = require('liquidjs');
const mjml2html = require('mjml');

/** Characters a field may print, and milliseconds a field's render may take: the pool's (templates.ts). */
const { maxRenderedChars: MAX_RENDERED, renderLimitMs } = workerData;
/** The render's output went past MAX_RENDERED (liquidjs wraps the error: it is known by its message). */
const TOO_LARGE = 'the rendered template is too large';

const refuseFile = (file) => new Error(`templates cannot read files ("${file}")`);
/** A file system that has no files: the engines' loader can never read one. */
const NO_FILES = {
  exists: async () => false,
  existsSync: () => false,
  readFile: async (file) => Promise.reject(refuseFile(file)),
  readFileSync: (file) => {
    throw refuseFile(file);
  },
  resolve: (_dir, file) => file,
  contains: async () => false,
  containsSync: () => false,
};

const OPTIONS = {
  fs: NO_FILES,
  root: [],
  relativeReference: false,
  strictFilters: true,
  strictVariables: false,
  // `{{ plan | default: "free" }}` and `{% if plan %}` work under strict checking too.
  lenientIf: true,
  // Only the scope's own values: no `{{ name.constructor }}`.
  ownPropertyOnly: true,
  // Limits liquidjs checks as it goes (characters parsed, milliseconds and objects per render); the
  // pool's time limit is the hard one.
  parseLimit: 1_000_000,
  renderLimit: renderLimitMs,
  memoryLimit: 10_000_000,
};

function refusingTag(name) {
  return class extends Tag {
    constructor(token, remain, liquid) {
      super(token, remain, liquid);
      throw new Error(`{% ${name} %} is not available in email templates: they cannot read other files`);
    }
    *render() {}
  };
}

function engine(escapeValues) {
  const liquid = new Liquid({ ...OPTIONS, ...(escapeValues ? { outputEscape: 'escape' } : {}) });
  for (const name of ['include', 'render', 'layout']) liquid.registerTag(name, refusingTag(name));
  // `raw` would print contact data unescaped into the HTML: here it is an ordinary filter, so its value is escaped too.
  if (escapeValues) liquid.registerFilter('raw', (value) => value);
  return liquid;
}

const engines = { text: engine(false), html: engine(true) };
/** Parsed templates by source, one map per engine; bounded, as flows are few and their templates fewer. */
const parsed = { text: new Map(), html: new Map() };

function parse(source, kind) {
  const cache = parsed[kind];
  const hit = cache.get(source);
  if (hit) return hit;
  const templates = engines[kind].parse(source);
  if (cache.size >= 250) cache.delete(cache.keys().next().value);
  cache.set(source, templates);
  return templates;
}

const stringify = (value) => {
  const v = toValue(value);
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map(stringify).join('');
  return String(v);
};

/** The render's output, which stops it once it is longer than a message may be. */
class CappedOutput {
  constructor() {
    this.buffer = '';
  }
  write(html) {
    this.buffer += stringify(html);
    if (this.buffer.length > MAX_RENDERED) throw new Error(TOO_LARGE);
  }
}

function renderWith(ctx, templates, liquid) {
  const out = new CappedOutput();
  toValueSync(liquid.renderer.renderTemplates(templates, ctx, out));
  return out.buffer;
}

/** What went wrong, as the pool reports it: too large, too slow, or the engine's message. */
function problem(err) {
  const message = err instanceof Error ? err.message : String(err);
  if (message.includes(TOO_LARGE)) return { kind: 'size', message };
  if (/template render limit exceeded/.test(message)) return { kind: 'time', message };
  return { kind: 'template', message };
}

/** Each field rendered for one contact; the first that fails stops the message. */
function render({ fields, scope }) {
  const out = {};
  for (const { name, source, kind } of fields) {
    try {
      const liquid = engines[kind];
      out[name] = renderWith(new Context(scope, liquid.options, {}, { liquid }), parse(source, kind), liquid);
    } catch (err) {
      return { field: name, ...problem(err) };
    }
  }
  return { out };
}

/** Every error under a render that went on after each (catchAllErrors), nested blocks' ones included. */
function flatten(err, into) {
  if (err && err.name === 'LiquidErrors' && Array.isArray(err.errors)) for (const e of err.errors) flatten(e, into);
  else into.push(err);
  return into;
}

/**
 * Publish's check of one template: rendered as for a contact with every known variable set (a template
 * too slow or too large stops there), then once strictly, going on after each error, which reports
 * every unknown variable printed without a default at once; the parsed template's global variables
 * name the ones only under a default or a condition.
 */
function check({ source, kind, scope }) {
  const liquid = engines[kind];
  let templates;
  try {
    templates = parse(source, kind);
  } catch (err) {
    return { parse: err instanceof Error ? err.message : String(err) };
  }
  const globals = liquid.globalVariablesSync(templates);
  // First as it will render for contacts: a template too slow or too large is that error alone (the
  // strict render goes on after each error, a time limit's too, so it must not meet one).
  try {
    renderWith(new Context(scope, liquid.options, {}, { liquid }), templates, liquid);
  } catch (err) {
    const p = problem(err);
    if (p.kind !== 'template') return { unknown: [], errors: [p], globals };
  }
  const ctx = new Context(scope, { ...liquid.options, catchAllErrors: true }, { strictVariables: true }, { liquid });
  const unknown = [];
  const errors = [];
  try {
    renderWith(ctx, templates, liquid);
  } catch (err) {
    for (const e of flatten(err, [])) {
      const p = problem(e);
      const undefinedName = /undefined variable: ([A-Za-z_][\w-]*)([^,]*)/.exec(p.message);
      if (e && e.name === 'UndefinedVariableError' && undefinedName) unknown.push({ name: undefinedName[1], rest: undefinedName[2] });
      else if (!errors.some((x) => x.message === p.message)) errors.push(p);
    }
  }
  return { unknown, errors, globals };
}

/**
 * MJML to HTML; `mj-include` is refused (no file access), validation errors come back by line. No
 * web font is added on MJML's own initiative (its default links Google Fonts for Ubuntu, a request
 * from every reader's mail client the author never wrote); an `mj-font` the author writes is kept.
 */
async function mjml({ source }) {
  try {
    const out = await mjml2html(source, { validationLevel: 'soft', ignoreIncludes: true, keepComments: false, fonts: {} });
    return { html: out.html, errors: out.errors.map((e) => `line ${e.line}: ${e.message}`) };
  } catch (err) {
    return { html: '', errors: [err instanceof Error ? err.message : String(err)] };
  }
}

const jobs = { render, check, mjml };

parentPort.on('message', async ({ id, job }) => {
  let answer;
  try {
    answer = await jobs[job.type](job);
  } catch (err) {
    answer = { field: job.field, ...problem(err) };
  }
  parentPort.postMessage({ id, answer });
});
// Jobs are timed from here: loading the engines is not a template's time.
parentPort.postMessage({ ready: true });
