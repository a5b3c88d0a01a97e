/** Browser-side calls to the app's own API, with the error shape every route answers with. */

export interface ApiError {
  status: number;
  code: string;
  message: string;
  details?: unknown;
}

export type ApiResult<T> = { ok: true; status: number; data: T } | { ok: false; error: ApiError };

function asApiError(status: number, body: unknown): ApiError {
  const error = body && typeof body === 'object' && 'error' in body ? body.error : undefined;
  if (error && typeof error === 'object') {
    return {
      status,
      code: 'code' in error && typeof error.code === 'string' ? error.code : 'error',
      message: 'message' in error && typeof error.message === 'string' ? error.message : `request failed with status ${status}`,
      details: 'details' in error ? error.details : undefined,
    };
  }
  return { status, code: 'error', message: `request failed with status ${status}` };
}

/**
 * Calls one of the app's routes. `T` is the route's response type from api-types.ts: the body is
 * trusted to match it (the route handler states it with `satisfies`), so it is not checked again here.
 */
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
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
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
