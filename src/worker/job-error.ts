// A job that cannot finish: ends Failed with its Code and Message, never retried. JobError is the
// worker's own failure; the media and storage layers throw theirs. Every failure with a Code of the
// CI table is a CiFailure, so translating one is an instanceof.
import { CiFailure, failureOf } from '../domain/errors.js';

export class JobError extends CiFailure {}

/** The Codes of the resource limits (job-limits.ts); Failed jobs report them, no API answer does. */
export type JobLimitCode = 'ResourceLimitExceeded' | 'InsufficientStorage';

/**
 * A resource limit the job ran into. Its Codes are not (yet) in the CI table of domain/errors.ts, so
 * it cannot be a CiFailure; it is translated by its own instanceof.
 */
export class JobLimitError extends Error {
  constructor(
    readonly code: JobLimitCode,
    message: string,
  ) {
    super(message);
    this.name = 'JobLimitError';
  }
}

/** Any error as the Code and Message a user reads on a Failed job. */
export function jobFailureOf(err: unknown): { code: string; message: string } {
  if (err instanceof JobLimitError) return { code: err.code, message: err.message };
  return failureOf(err);
}
