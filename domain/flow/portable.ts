/**
 * A flow as a file that can move between installs: `{ schemaVersion, name, graph, exportedAt }`.
 * `schemaVersion` is the version of this file format; a file from a later (or unknown) format is
 * refused with a message that names its version and the ones this install reads, never guessed at.
 * Pure: zod only, shared by the import route and the editor.
 */
import { stepProfileIds } from './pool';
import { z } from 'zod';
import { AGENT_DEFAULT } from '../senders';
import { CONTROL_CHARACTERS } from '../text';
import type { FlowError } from './node';
import { FlowGraph } from './schema';

/** The file format this install writes. */
export const PORTABLE_SCHEMA_VERSION = 1 as const;
/** Every file format this install reads. */
export const READABLE_PORTABLE_VERSIONS: readonly number[] = [1];

export const PortableFlow = z.object({
  schemaVersion: z.literal(PORTABLE_SCHEMA_VERSION),
  name: z
    .string({ error: 'name is required: the flow’s name, e.g. "Welcome series"' })
    .trim()
    .min(1, 'name must not be empty')
    .max(120, 'name must be at most 120 characters')
    .refine((s) => !CONTROL_CHARACTERS.test(s), 'name must not contain line breaks or control characters'),
  graph: FlowGraph,
  exportedAt: z.iso.datetime({ error: 'exportedAt must be an ISO 8601 time, e.g. 2026-01-31T12:00:00.000Z' }),
});
export type PortableFlow = z.infer<typeof PortableFlow>;

/** What an export writes: the flow's name and graph, stamped with this format and the time. */
export function toPortable(name: string, graph: FlowGraph, at: Date): PortableFlow {
  return { schemaVersion: PORTABLE_SCHEMA_VERSION, name, graph, exportedAt: at.toISOString() };
}

export type PortableResult = { ok: true; flow: PortableFlow } | { ok: false; errors: FlowError[] };

/** Reads a file's parsed JSON: the flow, or errors that each name the field (e.g. `graph.nodes.2.data.subject`). */
export function parsePortable(input: unknown): PortableResult {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return {
      ok: false,
      errors: [{ message: 'the file must hold one JSON object: { schemaVersion, name, graph, exportedAt }, as Export writes it' }],
    };
  }
  const version: unknown = (input as { schemaVersion?: unknown }).schemaVersion;
  const reads = READABLE_PORTABLE_VERSIONS.join(', ');
  if (version === undefined) {
    return { ok: false, errors: [{ field: 'schemaVersion', message: `schemaVersion is missing; this install reads schemaVersion ${reads}` }] };
  }
  if (typeof version !== 'number' || !READABLE_PORTABLE_VERSIONS.includes(version)) {
    const later = typeof version === 'number' && version > PORTABLE_SCHEMA_VERSION;
    return {
      ok: false,
      errors: [
        {
          field: 'schemaVersion',
          message:
            `this file has schemaVersion ${JSON.stringify(version)}, but this install of Dripline reads schemaVersion ${reads}` +
            (later ? '; it was exported by a newer Dripline: upgrade this install to import it' : ''),
        },
      ],
    };
  }
  const parsed = PortableFlow.safeParse(input);
  if (parsed.success) return { ok: true, flow: parsed.data };
  return {
    ok: false,
    errors: parsed.error.issues.map((issue) => {
      const field = issue.path.map(String).join('.');
      return { field: field || 'file', message: field ? `${field}: ${issue.message}` : issue.message };
    }),
  };
}

/** The SMTP profile ids the flow's Send nodes name (not "agent's default", which every install has), each once. */
export function namedProfiles(graph: FlowGraph): string[] {
  const ids = new Set<string>();
  for (const node of graph.nodes) {
    if (node.type !== 'sendEmail') continue;
    for (const id of stepProfileIds(node.data)) if (id !== AGENT_DEFAULT) ids.add(id);
  }
  return [...ids];
}

/** The graph with each Send node's profile replaced by its entry in `map` (profiles not in it unchanged). */
export function remapProfiles(graph: FlowGraph, map: Readonly<Record<string, string>>): FlowGraph {
  const mapped = (id: string) => (Object.hasOwn(map, id) ? (map[id] ?? id) : id);
  return {
    ...graph,
    nodes: graph.nodes.map((node) =>
      node.type === 'sendEmail'
        ? {
            ...node,
            data: {
              ...node.data,
              profileId: mapped(node.data.profileId),
              ...(node.data.pool ? { pool: node.data.pool.map((m) => ({ ...m, profileId: mapped(m.profileId) })) } : {}),
            },
          }
        : node,
    ),
  };
}
