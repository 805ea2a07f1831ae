// CI error codes and their HTTP statuses (docs/ci-api.md section 8.2), and the one error type the API throws.

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
} as const;

export type ErrorKey = keyof typeof ERROR_STATUS;

/** Keys whose wire Code differs from the key (CI reuses a Code under two statuses). */
const WIRE_CODE: Partial<Record<ErrorKey, string>> = {
  Forbidden: 'AccessDenied',
  ContentTooLarge: 'InvalidContent',
};

export class CiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(key: ErrorKey, message: string) {
    super(message);
    this.name = 'CiError';
    this.status = ERROR_STATUS[key];
    this.code = WIRE_CODE[key] ?? key;
  }
}

/** A request field failed validation: 400 InvalidArgument naming the field. */
export function invalidArgument(field: string, problem: string): CiError {
  return new CiError('InvalidArgument', `${field}: ${problem}`);
}
