// Submitting a job: its record (checked against its queue: exists, not paused, below MaxSize), then its
// place in BullMQ. If the enqueue fails, the record is removed: a job is either fully submitted or absent.
import type { JobDoc } from '../domain/job.js';
import type { JobStore, SubmitOutcome } from '../store/job-store.js';
import type { QueueStore } from '../store/queue-store.js';
import type { MediaQueues } from './media-queues.js';

export async function submitJob(deps: { jobs: JobStore; queues: QueueStore; mediaQueues: MediaQueues }, doc: JobDoc): Promise<SubmitOutcome> {
  const outcome = await deps.jobs.submit(doc, deps.queues.recordKey(doc.queueId));
  if (!outcome.ok) return outcome;
  try {
    await deps.mediaQueues.enqueue(doc.queueId, { kind: 'concat', jobId: doc.jobId }, doc.request.operation.jobLevel);
  } catch (err) {
    await deps.jobs.discard(doc).catch(() => undefined);
    throw err;
  }
  return outcome;
}
