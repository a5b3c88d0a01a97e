/**
 * The flow language: what the editor saves and what `compile` turns into a plan.
 * Pure: no Node built-ins and nothing from @temporalio/*, so the editor and the
 * workflow bundle share this one module.
 */
import { z } from 'zod';

export const SCHEMA_VERSION = 1 as const;

const nodeId = z
  .string()
  .min(1, 'node id must not be empty')
  .max(64, 'node id must be at most 64 characters')
  .regex(/^[A-Za-z0-9_-]+$/, 'node id may use only letters, digits, "-" and "_"');

const position = z.object({ x: z.number().finite(), y: z.number().finite() });

/** CR, LF and other control characters: in a header field they would let a value inject headers. */
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** Text that may go into a mail header (or anywhere a line break would be wrong). */
export const headerSafe = (label: string, max: number) =>
  z
    .string()
    .max(max, `${label} must be at most ${max} characters`)
    .refine((s) => !CONTROL_CHARACTERS.test(s), { message: `${label} must not contain line breaks or control characters` });

/** An email address, trimmed, that can never carry a header injection. */
export const emailAddress = (label: string, example: string) =>
  headerSafe(label, 254)
    .trim()
    .pipe(z.email({ error: `${label} must be an email address like ${example}` }));

export const DURATION_UNITS = ['seconds', 'minutes', 'hours', 'days'] as const;
export type DurationUnit = (typeof DURATION_UNITS)[number];
export const UNIT_MS: Record<DurationUnit, number> = {
  seconds: 1_000,
  minutes: 60_000,
  hours: 3_600_000,
  days: 86_400_000,
};

const amount = z
  .number({ error: 'must be a number' })
  .finite()
  .nonnegative('must be zero or more (a delay cannot be negative)')
  .max(3650, 'must be at most 3650');

export const TriggerNode = z.object({
  id: nodeId,
  type: z.literal('trigger'),
  position,
  data: z.object({
    /** event: a contact enters by an API event; audience: a run for chosen contacts. */
    source: z.enum(['event', 'audience']).default('audience'),
  }),
});

export const DelayNode = z.object({
  id: nodeId,
  type: z.literal('delay'),
  position,
  data: z.discriminatedUnion('mode', [
    z.object({ mode: z.literal('fixed'), amount, unit: z.enum(DURATION_UNITS) }),
    z.object({ mode: z.literal('random'), min: amount, max: amount, unit: z.enum(DURATION_UNITS) }),
  ]),
});

export const SendEmailNode = z.object({
  id: nodeId,
  type: z.literal('sendEmail'),
  position,
  data: z.object({
    profileId: z.string().min(1, 'choose a sender (SMTP profile)'),
    subject: headerSafe('subject', 998).pipe(z.string().min(1, 'subject must not be empty')),
    text: z.string().max(200_000, 'body must be at most 200,000 characters'),
  }),
});

export const ExitNode = z.object({
  id: nodeId,
  type: z.literal('exit'),
  position,
  data: z.object({}).default({}),
});

export const FlowNode = z.discriminatedUnion('type', [TriggerNode, DelayNode, SendEmailNode, ExitNode]);
export type FlowNode = z.infer<typeof FlowNode>;
export type NodeType = FlowNode['type'];
export const NODE_TYPES: readonly NodeType[] = ['trigger', 'delay', 'sendEmail', 'exit'];

export const FlowEdge = z.object({
  id: z.string().min(1, 'edge id must not be empty').max(128),
  source: z.string().min(1),
  target: z.string().min(1),
});
export type FlowEdge = z.infer<typeof FlowEdge>;

export const FlowGraph = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION, {
    error: `schemaVersion must be ${SCHEMA_VERSION}`,
  }),
  nodes: z.array(FlowNode).max(500, 'a flow may have at most 500 nodes'),
  edges: z.array(FlowEdge).max(1000, 'a flow may have at most 1000 edges'),
});
export type FlowGraph = z.infer<typeof FlowGraph>;
export type DelayNode = z.infer<typeof DelayNode>;
export type SendEmailNode = z.infer<typeof SendEmailNode>;
