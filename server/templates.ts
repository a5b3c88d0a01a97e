/**
 * Liquid (liquidjs) for a message's subject, preheader, HTML and text: one engine that escapes every
 * value it prints (the HTML part and the preheader) and one that does not (subject and text).
 * Templates never reach a file or the network: `include`, `render` and `layout` are refused when the
 * template is parsed, and the engines' file system refuses every read besides.
 * A template is parsed once and kept by its source, so a batch renders each recipient from the
 * parsed form (the send path's per-recipient cost is a render, never a parse).
 * Rendering is lenient (a contact without an attribute prints its default, else nothing); the strict
 * check with every variable known is publish's (server/email-content.ts).
 */
import { type FS, Liquid, type LiquidOptions, Tag, type Template, type TagToken, type TopLevelToken } from 'liquidjs';
import { CONTROL_CHARACTERS } from '../domain/text';

/** A file system that has no files: the engines' loader can never read one. */
const NO_FILES: FS = {
  exists: async () => false,
  existsSync: () => false,
  readFile: async (file) => Promise.reject(new Error(`templates cannot read files ("${file}")`)),
  readFileSync: (file) => {
    throw new Error(`templates cannot read files ("${file}")`);
  },
  resolve: (_dir, file) => file,
  contains: async () => false,
  containsSync: () => false,
};

const OPTIONS: LiquidOptions = {
  fs: NO_FILES,
  root: [],
  relativeReference: false,
  strictFilters: true,
  strictVariables: false,
  // `{{ plan | default: "free" }}` and `{% if plan %}` work under strict checking too.
  lenientIf: true,
  // Only the scope's own values: no `{{ name.constructor }}`.
  ownPropertyOnly: true,
  // Limits a hostile template cannot get around (characters parsed, milliseconds and objects per render).
  parseLimit: 1_000_000,
  renderLimit: 1_000,
  memoryLimit: 10_000_000,
};

function refusingTag(name: string) {
  return class extends Tag {
    constructor(token: TagToken, remain: TopLevelToken[], liquid: Liquid) {
      super(token, remain, liquid);
      throw new Error(`{% ${name} %} is not available in email templates: they cannot read other files`);
    }
    *render(): Generator<unknown, void, unknown> {}
  };
}

function engine(escapeValues: boolean): Liquid {
  const liquid = new Liquid({ ...OPTIONS, ...(escapeValues ? { outputEscape: 'escape' as const } : {}) });
  for (const name of ['include', 'render', 'layout']) liquid.registerTag(name, refusingTag(name));
  return liquid;
}

/** The engine of the text and subject parts, and the one of the HTML part and the preheader (values escaped). */
export const textLiquid = engine(false);
export const htmlLiquid = engine(true);

export type TemplateKind = 'text' | 'html';
const engineOf = (kind: TemplateKind) => (kind === 'html' ? htmlLiquid : textLiquid);

/**
 * Parsed templates by source, one map per engine; bounded, as flows are few and their templates fewer.
 * Keyed by the source string itself: a batch passes the same string for every recipient, whose hash
 * the engine computed once.
 */
const parsed: Record<TemplateKind, Map<string, Template[]>> = { text: new Map(), html: new Map() };
const MAX_PARSED = 250;

/** The parsed template (from the cache when this source was parsed before); throws the parser's error. */
export function parseTemplate(source: string, kind: TemplateKind): Template[] {
  const cache = parsed[kind];
  const hit = cache.get(source);
  if (hit) return hit;
  const templates = engineOf(kind).parse(source);
  if (cache.size >= MAX_PARSED) cache.delete(cache.keys().next().value ?? '');
  cache.set(source, templates);
  return templates;
}

/** What a template can print: the contact's attributes, then name, email and unsubscribe_url (which win over attributes of those names). */
export type TemplateScope = Record<string, string | number | boolean>;

/**
 * A template that cannot be rendered for this contact (a bad filter argument, a render that went past
 * the limits). `EMESSAGE`: the send path classifies it as permanent for this recipient, not as an SMTP fault.
 */
export class TemplateRenderError extends Error {
  readonly code = 'EMESSAGE';
}

/** Renders for one contact; control characters never reach a header (`header`). */
export function renderTemplate(source: string, kind: TemplateKind, scope: TemplateScope, options: { header?: boolean } = {}): string {
  if (!source.includes('{')) return options.header ? source.replace(new RegExp(CONTROL_CHARACTERS.source, 'g'), ' ') : source;
  let out: string;
  try {
    out = String(engineOf(kind).renderSync(parseTemplate(source, kind), scope));
  } catch (err) {
    throw new TemplateRenderError(`the message's template could not be rendered: ${err instanceof Error ? err.message : String(err)}`);
  }
  return options.header ? out.replace(new RegExp(CONTROL_CHARACTERS.source, 'g'), ' ') : out;
}
