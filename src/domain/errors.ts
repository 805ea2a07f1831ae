// The one table of CI error codes with the HTTP status each answers with, and the one base that every
// failure of the engine extends: a Code from this table, a message that tells the user what to fix, and
// the field it is about when there is one. The API answers a CiFailure with its status and Code; a job
// that throws one ends Failed with its Code and message; anything else is an InternalError.
// Codes: docs/ci-api.md 8.2.

export const ERROR_STATUS = {
  InvalidArgument: 400,
  MissingContent: 400,
  InvalidContent: 400,
  InvalidHost: 400,
  ResourceNotFound: 400,
  ResourceAccessDenied: 400,
  ResourceDownloadFailed: 400,
  ResourceNotSupported: 400,
  MissingAuthorization: 401,
  InvalidAuthorization: 401,
  AccessDenied: 401,
  SecretidNotExist: 401,
  SignatureExpired: 401,
  Forbidden: 403,
  QueueSaturated: 403,
  QueuePaused: 403,
  InvalidUrl: 404,
  MissingContentLength: 411,
  ContentTooLarge: 413,
  SlowDown: 429,
  InternalError: 500,
  NotImplemented: 501,
  ServiceUnavailable: 503,
  // Reported on Failed jobs only (JobsDetail.Code); no API answer carries them.
  JobTimeout: 500,
  Canceled: 500,
  ResourceLimitExceeded: 500,
  InsufficientStorage: 500,
} as const;

export type CiErrorKey = keyof typeof ERROR_STATUS;

/** Keys whose wire Code differs from the key: CI reuses a Code under two statuses. */
const WIRE_CODE = {
  Forbidden: 'AccessDenied',
  ContentTooLarge: 'InvalidContent',
} as const satisfies Partial<Record<CiErrorKey, CiErrorKey>>;

/** A Code as a user reads it on the wire or on a Failed job. */
export type CiCode = Exclude<CiErrorKey, keyof typeof WIRE_CODE>;

export class CiFailure extends Error {
  /** The Code the user reads. */
  readonly code: CiCode;
  /** The HTTP status an API answer with this failure has. */
  readonly status: number;
  /** The request field (XML path or parameter name) the failure is about, when there is one. */
  readonly field?: string;

  constructor(key: CiErrorKey, message: string, field?: string) {
    super(message);
    this.name = new.target.name;
    this.status = ERROR_STATUS[key];
    this.code = (WIRE_CODE as Partial<Record<CiErrorKey, CiCode>>)[key] ?? (key as CiCode);
    if (field !== undefined) this.field = field;
  }
}

/** Any error as the Code and Message a user reads on a Failed job. */
export function failureOf(err: unknown): { code: CiCode; message: string } {
  if (err instanceof CiFailure) return { code: err.code, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'InternalError', message: `internal error: ${message}` };
}
