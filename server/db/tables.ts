/**
 * The tables of the app database and of the sandbox's own database, as Kysely sees them: camelCase
 * names (CamelCasePlugin maps them to the snake_case columns). Booleans are 0/1 here; the query
 * modules map rows to domain objects once.
 */
import type { Generated } from 'kysely';
import type { AttributeType, SubscriptionStatus } from '../../domain/contact';
import type { ImportProblemKind, ImportStatus } from '../../domain/contact-import';
import type { LimitFields } from '../../domain/send-limits';
import type { PaceTables } from './pace-tables';
import type { TrackingTables } from './tracking-tables';

/**
 * Where a recipient of a run is: pending at a step (due at dueAt; before that it is waiting in a delay),
 * sending (claimed by a batch), retrying (handed to its own retry workflow), held (its send's outcome is
 * unknown and its profile holds such sends for a person to resend), completed (reached an Exit),
 * failed (a permanent failure), cancelled (the run was cancelled first), or journey (a run from before
 * campaigns, whose per-contact workflow reports by itself), or skipped (unsubscribed or suppressed when its
 * send came due: it left the flow, nothing was sent).
 */
export type RecipientStatus = 'pending' | 'sending' | 'retrying' | 'held' | 'completed' | 'failed' | 'cancelled' | 'journey' | 'skipped';
export type UncertainPolicy = 'resend' | 'hold';
/** scheduled: the campaign waits in Temporal for its start time (runs.start_at). */
export type RunStatus = 'scheduled' | 'running' | 'paused' | 'cancelled' | 'completed';
export type SendStatus = 'PENDING' | 'SENDING' | 'SENT' | 'FAILED' | 'UNCERTAIN';
/** uncertain: an earlier attempt stopped after DATA, so the server may or may not have the message. */
/** skipped: the contact was unsubscribed or suppressed when the message came due; nothing was sent. */
/** frequency_capped: the contact had its marketing emails for the period (server/db/frequency-cap.ts); skipped, or put off to the window's end. */
export type AttemptOutcome = 'sent' | 'retrying' | 'failed' | 'uncertain' | 'skipped' | 'frequency_capped';

/**
 * The app database (data/dripline.db). It also holds a `sandbox_messages` table from before the sandbox
 * had a database of its own (migration 001): left as it was, never read.
 */
export interface Tables extends TrackingTables, PaceTables {
  /** ownerId: who created it (null: from before owners, until setup gives it to the first admin). */
  flows: {
    id: string;
    name: string;
    graph: string;
    createdAt: string;
    updatedAt: string;
    ownerId: string | null;
    /** When it was archived (left out of the flows list until restored); null for a flow in use. */
    archivedAt: Generated<string | null>;
    /**
     * When it was deleted, for a flow whose past runs still name it: gone from every page and the events
     * API, kept for those runs' history. A flow nothing refers to is removed instead.
     */
    deletedAt: Generated<string | null>;
    /** 1: its messages' links go through signed redirects and carry an open pixel (migration 450; its owner's choice, off by default). */
    trackEngagement: Generated<number>;
  };
  flowVersions: {
    flowId: string;
    version: number;
    graph: string;
    plan: string;
    publishedAt: string;
    /** What the publisher said this version changes; null when they said nothing. */
    note: Generated<string | null>;
    /** The user who published it; null for versions from before this was recorded. */
    publishedBy: Generated<string | null>;
  };
  contacts: {
    id: string;
    email: string;
    /** '' when the contact has no name. */
    name: string;
    createdAt: string;
    /** JSON: ContactAttributes (domain/contact.ts), each name typed in contactAttributes. */
    attributes: Generated<string>;
    status: Generated<SubscriptionStatus>;
    /** Why and when the status last changed (an unsubscribe link, a bounce's reply, a person). */
    statusReason: string | null;
    statusAt: string | null;
  };
  /** Keys for the events API: only the SHA-256 of the key is stored; prefix is its first characters, to tell keys apart. */
  apiKeys: {
    id: string;
    name: string;
    keyHash: string;
    prefix: string;
    createdBy: string;
    createdAt: string;
    lastUsedAt: string | null;
    revokedAt: string | null;
  };
  /**
   * A journey an API event, or a contact's joining a list, started: its id is the journey's runId (ledger
   * and delivery log). A list's entry: event `list:<list id>`, apiKeyId '' (no API key).
   */
  eventEntries: {
    id: string;
    flowId: string;
    version: number;
    contactId: string;
    event: string;
    idempotencyKey: string;
    workflowId: string;
    apiKeyId: string;
    enteredAt: string;
  };
  /** A journey a list's new member is to start, until its workflow was started (an outbox: migration 370). */
  listEntryStarts: { entryId: string; enteredAt: string };
  /** Flows whose Trigger is entering a segment, or whose goal is (segmentId null): the segment each watches, and when its first look finished (migration 420). */
  segmentWatches: { flowId: string; segmentId: string | null; readyAt: string | null };
  /** Who was in the watched segment when the flow last looked. */
  segmentWatchMembers: { flowId: string; contactId: string };
  /** Contacts changed since the segment check last looked at them (an outbox). */
  segmentChecks: { contactId: string; changedAt: string };
  /** Static lists of contacts (a run's audience can be one). ownerId: who may change it besides admins (null: from before owners, until setup gives it to the first admin). */
  lists: { id: string; name: string; createdAt: string; ownerId: string | null };
  listMembers: { listId: string; contactId: string; addedAt: string };
  /** Saved contact filters (a run's audience can be one). filter: JSON, a ContactFilter (domain/contact-filter.ts). */
  segments: { id: string; name: string; filter: string; createdBy: string; createdAt: string; updatedAt: string; ownerId: string | null };
  /** Every attribute name contacts may carry, with its type (the same for every contact). */
  contactAttributes: { name: string; type: AttributeType; createdAt: string };
  /** CSV imports (server/contact-import.ts): columns and mapping are JSON; rowsDone is the job's position in the file. */
  imports: {
    id: string;
    ownerId: string;
    fileName: string;
    filePath: string;
    status: ImportStatus;
    columns: string;
    mapping: string | null;
    listId: string | null;
    totalRows: number;
    rowsDone: Generated<number>;
    created: Generated<number>;
    updated: Generated<number>;
    error: string | null;
    createdAt: string;
    finishedAt: string | null;
  };
  importProblems: { importId: string; line: number; kind: ImportProblemKind; reason: string };
  importEmails: { importId: string; emailKey: string; line: number };
  smtpProfiles: {
    id: string;
    name: string;
    description: string;
    host: string;
    port: number;
    secure: number;
    requireTls: number;
    /** 1: log in even without TLS (an admin's choice for this profile). */
    allowPlainAuth: number;
    /** '' or the PEM of a CA trusted for this server (migration 170). */
    tlsCa: string;
    /** '' or the SHA-256 fingerprint (AB:CD:…) of the one certificate this server may present (migration 170). */
    tlsPin: string;
    username: string;
    /** AES-256-GCM, see server/crypto.ts; '' when the profile has no password. Never leaves the server. */
    passwordEnc: string;
    fromEmail: string;
    fromName: string;
    replyTo: string;
    /** '' for none; else the mailto: address in List-Unsubscribe (migration 110). */
    unsubscribeMailbox: string;
    ratePerSecond: number | null;
    maxConnections: number;
    dailyCap: number | null;
    /** The install's fallback sender, used when an agent has no default of their own. */
    isDefault: number;
    /** The user who created it; null for built-in profiles. */
    ownerId: string | null;
    /** Usable by every user (the sandbox); otherwise by its owner, admins and the agents it is shared with. */
    sharedWithAll: number;
    createdAt: string;
    updatedAt: string;
    /** Set when the server refused its login (5xx to AUTH): sending pauses until the profile is saved again. */
    failingSince: string | null;
    failingReason: string | null;
    /** A send whose outcome is unknown (an attempt stopped after DATA): 'resend' it with the same Message-ID, or 'hold' it for review. */
    uncertainPolicy: UncertainPolicy;
    /** How long temporary failures of a send are retried before its recipient fails (default 72). */
    retryForHours: number;
    /** Soft-deleted: hidden and unusable for new sends, still loadable for what is in flight. */
    deletedAt: string | null;
    /** The reputation guard (migration 390): over the last guardWindow attempts, the share of each that pauses the profile (0: off). */
    guardWindow: number;
    guardBouncePercent: number;
    guardBlockPercent: number;
    guardThrottlePercent: number;
    /** Why it is paused: 'guard' (only "Resume sending" lifts it), or null for refused settings (saving lifts it). */
    failingCause: 'guard' | null;
    /** Who resumed it last ("Resume sending"), and when. */
    resumedBy: string | null;
    resumedAt: string | null;
    /** Limits per minute and hour, the daily cap's window and time zone, the warm-up (migration 400; warmupStart '' is none). */
  } & Required<Omit<LimitFields, 'ratePerSecond' | 'dailyCap'>>;
  /** Each reserved send's slot (µs), for the windows per minute, hour and 24 hours (migration 400, server/db/send-limits.ts). */
  smtpSendLog: { id: Generated<number>; profileId: string; slotUs: number };
  /** What the reputation guard counts, one row per committed group of a batch's attempts (migration 390). */
  smtpGuardTallies: {
    id: Generated<number>;
    profileId: string;
    attempts: number;
    bounces: number;
    blocks: number;
    throttles: number;
    /** JSON: [reply, count][] of the replies counted against the profile in the group, the commonest first. */
    replies: string;
  };
  /** An SMTP profile shared with an agent; isDefault marks the agent's default sender (one per agent). */
  smtpProfileAgents: { profileId: string; userId: string; isDefault: number };
  runs: {
    id: string;
    flowId: string;
    version: number;
    startedBy: string | null;
    /** Who may see and control it besides admins (and the flow's owner): who started it. */
    ownerId: string | null;
    createdAt: string;
    status: RunStatus;
    /** The client's key for "start this run": the same key twice is one run. */
    idempotencyKey: string | null;
    /** JSON: the Audience the run was started for. */
    audience: string;
    /** The campaign workflow (deterministic from the run id). */
    workflowId: string | null;
    /** JSON: the plan with senders resolved, as the campaign workflow received it. */
    plan: string | null;
    finishedAt: string | null;
    /** A run started for one set of an earlier run ("send to these", migration 271): that run; null for any other. */
    sourceRunId: Generated<string | null>;
    /** When a scheduled run starts (ISO; migration 290); null for a run started at once. */
    startAt: Generated<string | null>;
    /** The first send spread over this many hours (migration 290); null when not spread. */
    spreadHours: Generated<number | null>;
  };
  runRecipients: {
    runId: string;
    contactId: string;
    nodeId: string | null;
    status: RecipientStatus;
    dueAt: number;
    /** The Delay or Send window that last put it off (till dueAt): its node id; set as it moved on from there. */
    waitingIn: Generated<string | null>;
    workflowId: string;
    /** The send batch (or webhook page) that holds it while its status is 'sending'. */
    claim: string | null;
    updatedAt: string;
    /** At a Wait until: when its longest wait ends (ms; migration 440); null while it waits at none. */
    waitDeadline: Generated<number | null>;
    /** At a Wait until: when the event it waits for came (ms); null until then. */
    waitMetAt: Generated<number | null>;
  };
  /** Send ledger: one row per (run, node, contact); a retried send that finds SENT does not send again. */
  sends: {
    runId: string;
    nodeId: string;
    contactId: string;
    status: SendStatus;
    messageId: string;
    updatedAt: string;
    /** While SENDING: the attempt that holds the send, and until when (ms); an expired lease means the outcome is unknown. */
    leaseUntil: Generated<number>;
    leaseOwner: string | null;
  };
  deliveryAttempts: {
    id: Generated<number>;
    runId: string;
    nodeId: string;
    contactId: string;
    workflowId: string;
    attempt: number;
    outcome: AttemptOutcome;
    smtpCode: number | null;
    smtpReply: string;
    messageId: string;
    at: string;
    /** The SMTP profile that made the attempt (migration 410); null before it, and for skips. */
    profileId: string | null;
  };
  /**
   * A message sent outside any run: a one-off message to a contact, or a profile's test email. Its
   * id is the runId of its ledger and delivery log rows; sentBy scopes who sees them.
   */
  directSends: {
    id: string;
    kind: 'one-off' | 'test';
    contactId: string | null;
    recipient: string;
    profileId: string;
    sentBy: string;
    createdAt: string;
  };
  /** Each attempt of a journey's Webhook step (server/db/webhook-calls.ts). */
  webhookCalls: {
    runId: string;
    nodeId: string;
    contactId: string;
    attempt: number;
    status: number | null;
    outcome: string;
    detail: string;
    at: string;
  };
  /** A journey that reached its flow's goal: one row per journey, at the step the contact was in (server/db/conversions.ts). */
  journeyConversions: {
    runId: string;
    flowId: string;
    version: number;
    nodeId: string;
    contactId: string;
    convertedAt: string;
  };
  /** What the campaign decided for a recipient at a Delay, Send window, Condition or A/B split (server/db/recipient-events.ts, migration 380). */
  recipientEvents: {
    runId: string;
    contactId: string;
    nodeId: string;
    kind: 'delay' | 'window' | 'branch' | 'wait';
    at: number;
    dueAt: number;
    waitedMs: number | null;
    windowOpensAt: number | null;
    nextNodeId: string | null;
    reason: string | null;
  };
  /** The workspace's frequency cap (one row, id 1; none while it is off): at most maxEmails marketing emails per contact per periodHours. */
  frequencyCap: { id: number; maxEmails: number; periodHours: number; updatedAt: string };
  /** The report's settled minutes (migration 460, server/db/run-report.ts): per run, minute (ISO, to the minute), step and what happened, how many. */
  runReportMinutes: { runId: string; minute: string; nodeId: string; what: string; n: number };
  /** Each events API request by API key and idempotency key: its body's hash, and its answer (JSON) once given (server/event-requests.ts). */
  eventRequests: { apiKeyId: string; idempotencyKey: string; bodyHash: string; answer: string | null; createdAt: string };
  /** Failed sign-ins per email (any email, known or not) and client IP, for the sign-in lockout (server/sign-in-lockout.ts). */
  /** Shared rate limits (server/db/rate-limits.ts): a window's count and start, or a bucket's tokens. */
  rateLimits: { limitKey: string; count: number; windowStart: number; tokens: number; touchedAt: number };
  signInFailures: { email: string; client: string; failures: number; firstFailedAt: number; lockedUntil: number };
  /** better-auth's users (its own migrations own the table; Dripline only reads id and role). */
  user: { id: string; email: string; name: string; role: string | null };
}

/**
 * The sandbox SMTP server's own database (data/sandbox.db), so that storing what it receives never
 * waits for the app database's write lock. Only this table: a query cannot join the app's tables.
 */
export interface SandboxTables {
  sandboxMessages: {
    id: Generated<number>;
    receivedAt: string;
    envelopeFrom: string;
    envelopeTo: string;
    fromHeader: string;
    toHeader: string;
    replyTo: string;
    subject: string;
    messageId: string;
    text: string;
    raw: string;
  };
}
