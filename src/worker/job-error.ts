// A job that cannot finish: ends Failed with its Code and Message, never retried. JobError is the
// worker's own failure; the media and storage layers throw theirs. Every failure with a Code of the
// CI table is a CiFailure, so translating one is an instanceof (failureOf in domain/errors.ts).
import { CiFailure } from '../domain/errors.js';

export class JobError extends CiFailure {}

/** A resource limit the job ran into (job-limits.ts): ResourceLimitExceeded or InsufficientStorage. */
export class JobLimitError extends CiFailure {}
