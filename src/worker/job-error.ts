// A job that cannot finish: ends Failed with this Code and Message, never retried.

export class JobError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'JobError';
  }
}

/** Any error as the Code and Message a user reads on a Failed job. */
export function jobFailureOf(err: unknown): { code: string; message: string } {
  const e = err as { code?: unknown; message?: unknown };
  if (err instanceof JobError) return { code: err.code, message: err.message };
  if (typeof e?.code === 'string' && /^[A-Z][A-Za-z]+$/.test(e.code) && typeof e.message === 'string') {
    return { code: e.code, message: e.message };
  }
  return { code: 'InternalError', message: `internal error: ${typeof e?.message === 'string' ? e.message : String(err)}` };
}
