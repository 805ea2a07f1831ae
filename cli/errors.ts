// The command line's failures, each with the text a user reads and the process's exit code. A CI error
// answer prints as "Code: Message", as the API's error body names them (docs/ci-api.md 8).

/** Something a user can fix by changing the command: a missing bucket, an unreadable file. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/** A CI error answer from the engine. */
export class CiApiError extends Error {
  readonly exitCode = 1;
  constructor(
    readonly code: string,
    readonly ciMessage: string,
    readonly status: number,
  ) {
    super(`${code}: ${ciMessage}`);
  }
}

/** A job that ended Failed (or was cancelled) while the CLI waited for it. */
export class JobFailed extends Error {
  readonly exitCode = 1;
  constructor(
    readonly jobId: string,
    readonly state: string,
    readonly code: string,
    readonly ciMessage: string,
  ) {
    super(`${code}: ${ciMessage}`);
  }
}

/** A job or queue the engine does not know (in this bucket). */
export class NotFound extends Error {
  readonly exitCode = 1;
}

/** The engine (or the S3 store) does not answer at all. */
export class Unreachable extends Error {
  readonly exitCode = 1;
}
