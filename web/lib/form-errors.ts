/**
 * Validation problems as messages under form fields: the one mapper every form uses, for the
 * browser's own zod check and for the API's answers alike.
 */
import type { ApiError } from '@/lib/api-client';

/** The first message for each field, keyed by the field's name in the request (e.g. "email"). */
export type FieldErrors = Record<string, string>;

/** The top-level field a zod issue is about and its message; undefined for issues about the whole body. */
function fieldOf(issue: unknown): [field: string, message: string] | undefined {
  if (!issue || typeof issue !== 'object' || !('path' in issue) || !('message' in issue)) return undefined;
  const { path, message } = issue;
  if (!Array.isArray(path) || path.length === 0 || typeof message !== 'string') return undefined;
  return [String(path[0]), message];
}

function byField(issues: readonly unknown[]): FieldErrors {
  const fields: FieldErrors = {};
  for (const issue of issues) {
    const found = fieldOf(issue);
    if (found && !(found[0] in fields)) fields[found[0]] = found[1];
  }
  return fields;
}

/**
 * Field messages from zod issues (a failed `safeParse` in the browser, or a 422 invalid_request whose
 * details are the server's issues), or from an error naming one field (a 409 with details `{ field }`).
 */
export function fieldErrors(source: ApiError | { issues: readonly unknown[] }): FieldErrors {
  if ('issues' in source) return byField(source.issues);
  const { details } = source;
  if (Array.isArray(details)) return byField(details);
  if (details && typeof details === 'object' && 'field' in details && typeof details.field === 'string') return { [details.field]: source.message };
  return {};
}
