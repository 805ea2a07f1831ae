// Submitting a job: its record (checked against its queue: exists, not paused, below MaxSize), then its
// place in BullMQ. If the enqueue fails, the record is removed: a job is either fully submitted or absent.
// The API and the workflow runner both submit through here, so the two can never drift apart.
import { CiFailure } from '../domain/errors.js';
import type { JobDoc } from '../domain/job.js';
import type { JobStore, SubmitOutcome } from '../store/job-store.js';
import type { QueueStore } from '../store/queue-store.js';
import type { MediaQueues } from './media-queues.js';

/** The record was written but BullMQ refused the job; the record is gone again. */
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

/** Throws EnqueueFailed when the job could not be queued (its record then removed). */
export async function submitJob(deps: SubmitJobDeps, doc: JobDoc): Promise<SubmitOutcome> {
  const outcome = await deps.jobs.submit(doc, deps.queues.recordKey(doc.queueId));
  if (!outcome.ok) return outcome;
  try {
    await deps.mediaQueues.enqueue(doc.queueId, { kind: 'concat', jobId: doc.jobId }, doc.request.operation.jobLevel);
  } catch (err) {
    await deps.jobs.discard(doc).catch(() => undefined);
    throw new EnqueueFailed(err);
  }
  deps.onSubmitted?.(doc);
  return outcome;
}
