/** Browser-side calls to the app's own API, with the error shape every route answers with. */

export interface ApiError {
  status: number;
  code: string;
  message: string;
  details?: unknown;
}

export type ApiResult<T> = { ok: true; status: number; data: T } | { ok: false; error: ApiError };

function asApiError(status: number, body: unknown): ApiError {
  if (body && typeof body === 'object' && 'error' in body && body.error && typeof body.error === 'object') {
    const e = body.error as { code?: unknown; message?: unknown; details?: unknown };
    return {
      status,
      code: typeof e.code === 'string' ? e.code : 'error',
      message: typeof e.message === 'string' ? e.message : `request failed with status ${status}`,
      details: e.details,
    };
  }
  return { status, code: 'error', message: `request failed with status ${status}` };
}

export async function callApi<T>(method: string, url: string, body?: unknown): Promise<ApiResult<T>> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    return { ok: false, error: { status: 0, code: 'network_error', message: 'could not reach the server; check that Dripline is running' } };
  }
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const error = asApiError(response.status, parsed);
    // The session expired in another tab or on the server: sign in again and come back here.
    if (error.status === 401 && error.code === 'unauthenticated' && typeof window !== 'undefined') {
      window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
    }
    return { ok: false, error };
  }
  return { ok: true, status: response.status, data: parsed as T };
}

/** Field-level messages from a 422 invalid_request (zod issues) or a 409 naming its field. */
export function fieldErrors(error: ApiError): Record<string, string> {
  const fields: Record<string, string> = {};
  if (Array.isArray(error.details)) {
    for (const issue of error.details as { path?: unknown; message?: unknown }[]) {
      const key = Array.isArray(issue.path) && issue.path.length > 0 ? String(issue.path[0]) : undefined;
      if (key && typeof issue.message === 'string' && !(key in fields)) fields[key] = issue.message;
    }
  } else if (error.details && typeof error.details === 'object' && 'field' in error.details) {
    const field = (error.details as { field?: unknown }).field;
    if (typeof field === 'string') fields[field] = error.message;
  }
  return fields;
}
