// Submitting a job: its record, Pending (checked against its queue: exists, not paused, below MaxSize),
// then its place in BullMQ, then the record made Submitted. A job is either fully submitted or absent:
// a Pending record shows nowhere, runs nowhere (a worker handed its queue entry skips it) and expires, so
// a failure at any step, even one that also stops the clean-up, leaves no job behind. The API and the
// workflow runner both submit through here, so the two can never drift apart.
import { CiFailure } from '../domain/errors.js';
import type { JobDoc } from '../domain/job.js';
import type { JobStore, SubmitOutcome } from '../store/job-store.js';
import type { QueueStore } from '../store/queue-store.js';
import type { MediaQueues } from './media-queues.js';

/** The job could not be queued or its record not completed; nothing of it shows or runs. */
export class EnqueueFailed extends CiFailure {
  constructor(readonly queueError: unknown) {
    super('ServiceUnavailable', 'the job queue is unavailable; the job was not created, retry later');
  }
}

interface SubmitJobDeps {
  jobs: JobStore;
  queues: QueueStore;
  mediaQueues: MediaQueues;
  /** Told of each job fully submitted (the metrics count them). */
  onSubmitted?: (doc: JobDoc) => void;
}

/** Throws EnqueueFailed when the job could not be queued or committed (nothing of it is left that runs). */
export async function submitJob(deps: SubmitJobDeps, doc: JobDoc): Promise<SubmitOutcome> {
  const outcome = await deps.jobs.submit(doc, deps.queues.recordKey(doc.queueId));
  if (!outcome.ok) return outcome;
  try {
    await deps.mediaQueues.enqueue(doc.queueId, { kind: 'concat', jobId: doc.jobId }, doc.request.operation.jobLevel);
    if (!(await deps.jobs.commit(doc.jobId))) throw new Error(`the record of job ${doc.jobId} expired before it was committed`);
  } catch (err) {
    await deps.jobs.discard(doc).catch(() => undefined);
    await deps.mediaQueues.remove(doc.queueId, doc.jobId).catch(() => undefined);
    throw new EnqueueFailed(err);
  }
  deps.onSubmitted?.(doc);
  return outcome;
}
