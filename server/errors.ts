/** An error the user can fix: the API answers it with `status` and these details instead of a 500. */
export class UserError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 411 | 413 | 415 | 422 | 429 | 507,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
