// Pausing and resuming a media queue, and its concurrency cap.
//
// Pause: the queue record says Paused first (new submits are refused from then on), then BullMQ stops
// handing out the queue's jobs, then every waiting job's record moves Submitted -> Pause. Jobs already
// running finish. Resume: the records move back to Submitted, then BullMQ hands jobs out again, in the
// priority order they kept while paused. A worker that took a job in the instant before the pause sees
// the Pause state and puts the job back (media-worker.ts), so no job is lost or run twice.
import type { JobStore } from '../store/job-store.js';
import type { QueueRecord, QueueStore } from '../store/queue-store.js';
import type { MediaQueues } from './media-queues.js';

export interface QueueControlDeps {
  queues: QueueStore;
  jobs: JobStore;
  mediaQueues: MediaQueues;
}

async function moveAll(jobs: JobStore, queueId: string, from: 'Submitted' | 'Pause', to: 'Submitted' | 'Pause'): Promise<number> {
  let moved = 0;
  for (;;) {
    const ids = await jobs.idsInQueue(queueId, from, 500);
    if (ids.length === 0) return moved;
    const results = await Promise.all(ids.map((id) => jobs.transition(id, [from], to)));
    moved += results.filter((r) => r.ok).length;
  }
}

/** Applies a queue update; returns the stored record. */
export async function updateQueue(deps: QueueControlDeps, next: QueueRecord, previous: QueueRecord): Promise<QueueRecord> {
  const bull = deps.mediaQueues.queue(next.queueId);
  if (next.state === 'Paused') {
    await deps.queues.put(next);
    await bull.pause();
    await moveAll(deps.jobs, next.queueId, 'Submitted', 'Pause');
  } else {
    if (previous.state === 'Paused') await moveAll(deps.jobs, next.queueId, 'Pause', 'Submitted');
    await deps.queues.put(next);
    await bull.resume();
  }
  if (next.maxConcurrent !== previous.maxConcurrent) await bull.setGlobalConcurrency(next.maxConcurrent);
  return next;
}

/** Makes BullMQ's state match a queue record (at worker start: after a crash mid-update, or a first start). */
export async function applyQueueSettings(mediaQueues: MediaQueues, q: QueueRecord): Promise<void> {
  const bull = mediaQueues.queue(q.queueId);
  await bull.setGlobalConcurrency(q.maxConcurrent);
  if (q.state === 'Paused') await bull.pause();
}
