/**
 * The SMTP profile form's state in one place: the values as typed, the server settings the stored
 * password belongs to, field errors, which request is running and what each one last answered.
 * Pure (no React): the form dispatches actions, and the reducer is all that changes the state.
 */
import type { SmtpPreset } from '@domain/smtp-presets';
import { GUARD_DEFAULTS, NO_MORE_LIMITS, SmtpProfileInput } from '@domain/smtp-profile';
import type { SmtpProfileView } from '@server/profiles';
import type { ApiError } from '@/lib/api-client';
import type { SmtpCheck } from '@/lib/api-types';
import { type FieldErrors, fieldErrors } from '@/lib/form-errors';

/** What the inputs hold. Numbers stay text as typed, so the schema can say what is wrong with them. */
export interface ProfileValues {
  name: string;
  description: string;
  host: string;
  port: string;
  secure: boolean;
  requireTls: boolean;
  /** Log in without TLS when the server offers none: admins only. */
  allowPlainAuth: boolean;
  /** TLS trust for an internal server, admins only: a CA certificate (PEM), or a pinned SHA-256 fingerprint. */
  tlsCa: string;
  tlsPin: string;
  username: string;
  password: string;
  fromEmail: string;
  replyTo: string;
  /** Optional: where mail clients may send unsubscribe requests (a mailto: in List-Unsubscribe). */
  unsubscribeMailbox: string;
  fromName: string;
  ratePerSecond: string;
  maxConnections: string;
  dailyCap: string;
  /** Limits shaped like providers' (domain/send-limits.ts): per minute, per hour; the daily cap 'calendar' or 'rolling'. */
  perMinute: string;
  perHour: string;
  dailyCapWindow: string;
  timeZone: string;
  /** The warm-up: off while its start is ''; the weekdays as ISO digits ('12345': Monday to Friday). */
  warmupStart: string;
  warmupFirst: string;
  warmupFactor: string;
  warmupTarget: string;
  warmupDays: string;
  /** Hours a send is retried on temporary failures before its recipient fails. */
  retryForHours: string;
  /** 'resend' or 'hold': what happens to a send whose outcome is unknown. */
  uncertainPolicy: string;
  /** The reputation guard: attempts counted, and the share of each kind that pauses the profile. */
  guardWindow: string;
  guardBouncePercent: string;
  guardBlockPercent: string;
  guardThrottlePercent: string;
  sharedWith: string[];
  defaultFor: string[];
}

/** The checkboxes. */
export type CheckKey = 'secure' | 'requireTls' | 'allowPlainAuth';

/** The fields typed into a text box: all but the two security checkboxes and the agent lists. */
export type TextKey = { [K in keyof ProfileValues]: ProfileValues[K] extends string ? K : never }[keyof ProfileValues];

/** The server settings the stored password belongs to, and whether one is stored. */
export interface SavedServer {
  host: string;
  port: number;
  secure: boolean;
  requireTls: boolean;
  allowPlainAuth: boolean;
  hasPassword: boolean;
}

/** The requests the form makes; one at a time. */
export type Task = 'save' | 'test' | 'email' | 'delete';

export interface SmtpFormState {
  values: ProfileValues;
  /** The preset chosen in the menu ('' for a custom server): its hints show beside the form. */
  presetId: string;
  /** Absent for a profile not saved yet. */
  saved: SavedServer | undefined;
  errors: FieldErrors;
  busy: Task | null;
  /** What each request last answered: the save notice, the two test results, why a delete failed. */
  outcomes: Partial<Record<Task, SmtpCheck>>;
  /** Where Send test email sends to. */
  emailTo: string;
}

export type SmtpFormAction =
  | { type: 'text'; field: TextKey; value: string }
  | { type: 'check'; field: CheckKey; on: boolean }
  | { type: 'agent'; list: 'sharedWith' | 'defaultFor'; agentId: string; on: boolean }
  | { type: 'preset'; presetId: string; preset: SmtpPreset | undefined }
  | { type: 'emailTo'; value: string }
  /** The browser's own check of the form failed before anything was sent. */
  | { type: 'invalid'; task: 'save' | 'test'; errors: FieldErrors }
  | { type: 'start'; task: Task }
  | { type: 'answered'; task: 'test' | 'email'; result: SmtpCheck }
  | { type: 'failed'; task: Task; error: ApiError }
  /** An existing profile was saved with the values `sent`. */
  | { type: 'saved'; sent: ProfileValues; passwordCleared: boolean };

const INVALID_MESSAGE = {
  save: 'Fix the fields marked in red above, then save again.',
  test: 'Fix the fields marked in red above first.',
} as const;

const text = (n: number | null | undefined) => (n === null || n === undefined ? '' : String(n));

export function initialFormState(init: {
  profile: SmtpProfileView | undefined;
  presets: SmtpPreset[];
  userEmail: string;
  justSaved: boolean;
}): SmtpFormState {
  const { profile, presets } = init;
  return {
    values: {
      name: profile?.name ?? '',
      description: profile?.description ?? '',
      host: profile?.host ?? '',
      port: profile ? String(profile.port) : '587',
      secure: profile?.secure ?? false,
      requireTls: profile?.requireTls ?? true,
      allowPlainAuth: profile?.allowPlainAuth ?? false,
      tlsCa: profile?.tlsCa ?? '',
      tlsPin: profile?.tlsPin ?? '',
      username: profile?.username ?? '',
      password: '',
      fromEmail: profile?.fromEmail ?? '',
      replyTo: profile?.replyTo ?? '',
      unsubscribeMailbox: profile?.unsubscribeMailbox ?? '',
      fromName: profile?.fromName ?? '',
      ratePerSecond: text(profile?.ratePerSecond),
      maxConnections: text(profile?.maxConnections ?? 5),
      dailyCap: text(profile?.dailyCap),
      perMinute: text(profile?.perMinute),
      perHour: text(profile?.perHour),
      dailyCapWindow: profile?.dailyCapWindow ?? NO_MORE_LIMITS.dailyCapWindow,
      timeZone: profile?.timeZone ?? NO_MORE_LIMITS.timeZone,
      warmupStart: profile?.warmupStart ?? '',
      warmupFirst: text(profile?.warmupFirst ?? NO_MORE_LIMITS.warmupFirst),
      warmupFactor: text(profile?.warmupFactor ?? NO_MORE_LIMITS.warmupFactor),
      warmupTarget: text(profile?.warmupTarget ?? NO_MORE_LIMITS.warmupTarget),
      warmupDays: profile?.warmupDays ?? NO_MORE_LIMITS.warmupDays,
      retryForHours: text(profile?.retryForHours ?? 72),
      uncertainPolicy: profile?.uncertainPolicy ?? 'resend',
      guardWindow: text(profile?.guardWindow ?? GUARD_DEFAULTS.guardWindow),
      guardBouncePercent: text(profile?.guardBouncePercent ?? GUARD_DEFAULTS.guardBouncePercent),
      guardBlockPercent: text(profile?.guardBlockPercent ?? GUARD_DEFAULTS.guardBlockPercent),
      guardThrottlePercent: text(profile?.guardThrottlePercent ?? GUARD_DEFAULTS.guardThrottlePercent),
      sharedWith: profile?.sharedWith ?? [],
      defaultFor: profile?.defaultFor ?? [],
    },
    presetId: (profile && presets.find((p) => p.host === profile.host && p.port === profile.port)?.id) ?? '',
    saved: profile
      ? {
          host: profile.host,
          port: profile.port,
          secure: profile.secure,
          requireTls: profile.requireTls,
          allowPlainAuth: profile.allowPlainAuth,
          hasPassword: profile.hasPassword,
        }
      : undefined,
    errors: {},
    busy: null,
    outcomes: init.justSaved ? { save: { ok: true, message: 'Saved.' } } : {},
    emailTo: init.userEmail,
  };
}

export function smtpFormReducer(state: SmtpFormState, action: SmtpFormAction): SmtpFormState {
  switch (action.type) {
    case 'text':
      return { ...state, values: { ...state.values, [action.field]: action.value } };
    case 'check':
      return { ...state, values: { ...state.values, [action.field]: action.on } };
    case 'agent': {
      const list = state.values[action.list];
      const next = action.on ? [...new Set([...list, action.agentId])] : list.filter((id) => id !== action.agentId);
      return { ...state, values: { ...state.values, [action.list]: next } };
    }
    case 'preset': {
      const p = action.preset;
      if (!p) return { ...state, presetId: action.presetId };
      const { values } = state;
      return {
        ...state,
        presetId: action.presetId,
        values: {
          ...values,
          name: values.name.trim() ? values.name : p.label,
          host: p.host,
          port: String(p.port),
          secure: p.secure,
          requireTls: p.requireTls,
          ratePerSecond: text(p.ratePerSecond),
          perMinute: text(p.perMinute),
          perHour: text(p.perHour),
          dailyCap: text(p.dailyCap),
          dailyCapWindow: p.dailyCapWindow,
        },
        outcomes: { ...state.outcomes, test: undefined },
      };
    }
    case 'emailTo':
      return { ...state, emailTo: action.value };
    case 'invalid':
      return {
        ...state,
        errors: action.errors,
        outcomes: { ...state.outcomes, [action.task]: { ok: false, message: INVALID_MESSAGE[action.task] } },
      };
    case 'start': {
      const clearsErrors = action.task === 'save' || action.task === 'test';
      return { ...state, busy: action.task, errors: clearsErrors ? {} : state.errors, outcomes: { ...state.outcomes, [action.task]: undefined } };
    }
    case 'answered':
      return { ...state, busy: null, outcomes: { ...state.outcomes, [action.task]: action.result } };
    case 'failed': {
      const { task, error } = action;
      const fields = fieldErrors(error);
      // A 422 names its fields: each shows under its input, the summary in the task's result box.
      const message = task === 'email' ? (fields.to ?? error.message) : error.message;
      const errors = task === 'save' || task === 'test' ? fields : state.errors;
      return { ...state, busy: null, errors, outcomes: { ...state.outcomes, [task]: { ok: false, message } } };
    }
    case 'saved': {
      const { sent, passwordCleared } = action;
      const hasPassword = sent.password !== '' ? true : passwordCleared ? false : (state.saved?.hasPassword ?? false);
      return {
        ...state,
        busy: null,
        saved: {
          host: sent.host.trim(),
          port: Number(sent.port),
          secure: sent.secure,
          requireTls: sent.requireTls,
          allowPlainAuth: sent.allowPlainAuth,
          hasPassword,
        },
        values: { ...state.values, password: '' },
        outcomes: {
          ...state.outcomes,
          save: {
            ok: true,
            message: passwordCleared
              ? 'Saved. The server changed, so the saved password was cleared: enter it again if this server needs one.'
              : 'Saved.',
          },
        },
      };
    }
    default:
      return action satisfies never;
  }
}

/** A number box's value for the schema: a number when it is one, else the text (so the schema names the problem). */
function numberOr<T>(value: string, blank: T): number | string | T {
  const trimmed = value.trim();
  if (trimmed === '') return blank;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : trimmed;
}

/** The form as SmtpProfileInput (what the API reads); an empty password means "keep the saved one". */
export function toInput(v: ProfileValues) {
  const uncertainPolicy: 'hold' | 'resend' = v.uncertainPolicy === 'hold' ? 'hold' : 'resend';
  const dailyCapWindow: 'calendar' | 'rolling' = v.dailyCapWindow === 'rolling' ? 'rolling' : 'calendar';
  return {
    name: v.name,
    description: v.description,
    host: v.host.trim(),
    port: numberOr(v.port, ''),
    secure: v.secure,
    requireTls: v.requireTls,
    allowPlainAuth: v.allowPlainAuth,
    tlsCa: v.tlsCa.trim(),
    tlsPin: v.tlsPin.trim(),
    username: v.username,
    ...(v.password ? { password: v.password } : {}),
    fromEmail: v.fromEmail,
    fromName: v.fromName,
    replyTo: v.replyTo.trim(),
    unsubscribeMailbox: v.unsubscribeMailbox.trim(),
    ratePerSecond: numberOr(v.ratePerSecond, null),
    maxConnections: numberOr(v.maxConnections, undefined),
    dailyCap: numberOr(v.dailyCap, null),
    perMinute: numberOr(v.perMinute, null),
    perHour: numberOr(v.perHour, null),
    dailyCapWindow,
    timeZone: v.timeZone.trim(),
    warmupStart: v.warmupStart.trim(),
    warmupFirst: numberOr(v.warmupFirst, undefined),
    warmupFactor: numberOr(v.warmupFactor, undefined),
    warmupTarget: numberOr(v.warmupTarget, undefined),
    warmupDays: v.warmupDays,
    retryForHours: numberOr(v.retryForHours, undefined),
    uncertainPolicy,
    guardWindow: numberOr(v.guardWindow, undefined),
    guardBouncePercent: numberOr(v.guardBouncePercent, undefined),
    guardBlockPercent: numberOr(v.guardBlockPercent, undefined),
    guardThrottlePercent: numberOr(v.guardThrottlePercent, undefined),
  };
}

/** Checks the form with the API's own schema: each problem under its field, or undefined when it is fine. */
export function invalidFields(values: ProfileValues): FieldErrors | undefined {
  const parsed = SmtpProfileInput.safeParse(toInput(values));
  return parsed.success ? undefined : fieldErrors(parsed.error);
}

/** The host, port or security differ from what the stored password was saved with. */
export function serverMoved({ saved, values }: SmtpFormState): boolean {
  return (
    saved !== undefined &&
    (values.host.trim() !== saved.host ||
      Number(values.port) !== saved.port ||
      values.secure !== saved.secure ||
      values.requireTls !== saved.requireTls ||
      values.allowPlainAuth !== saved.allowPlainAuth)
  );
}
