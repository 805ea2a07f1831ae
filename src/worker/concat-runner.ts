// Runs one Concat job's media work. The media pipeline is being built; until it is wired in, a job
// ends Failed with a Code that says so, while its states, times and records stay real.
import type { ConcatRunner } from './media-worker.js';
import { JobError } from './job-error.js';

export function createConcatRunner(): ConcatRunner {
  return async () => {
    throw new JobError('NotImplemented', 'this engine build has no media pipeline yet; the job was accepted and taken by a worker but not processed');
  };
}
