// The worker's frame around one job: take it in priority order, honour cancel, write Running with the
// real StartTime, then Success or Failed with Code and Message and the real EndTime. What happens in
// between is the runner's (the media pipeline); this module owns state, recovery and shutdown.
//
// Recovery: a job whose record is Submitted but which BullMQ does not hold (the API stopped between
// the two writes) is enqueued again at start; a job whose worker died is moved back to waiting by
// BullMQ's stalled-job check, within the lock time plus the check interval, and runs again (Running ->
// Running is allowed).
//
// Shutdown (SIGTERM): the worker takes no new job; running jobs may finish within the drain time
// (WORKER_DRAIN_SECONDS); those still running then are stopped (their ffmpeg killed and waited for) and
// handed back to the queue at once, so another worker takes them up without waiting for a lock to
// expire. Each job's log says which.
import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { JobRecord, JobResult } from '../domain/job.js';
import type { JobStore } from '../store/job-store.js';
import type { QueueStore } from '../store/queue-store.js';
import { bullPrefix, mediaQueueName, type MediaQueues, type MediaTask } from '../queue/media-queues.js';
import { failureOf } from '../domain/errors.js';
import { applyQueueSettings } from '../queue/queue-control.js';
import { newRunReport, type JobRunReport } from '../metrics/engine-metrics.js';
import type { SplitParent } from './split-ports.js';

/** How a worker waits for a record its submit has not completed yet: polls, then a later look. */
const PENDING_POLL_MS = 20;
const PENDING_POLLS = 50;
const PENDING_RETRY_MS = 5_000;
/** Times a job's worker may die under it before the job ends Failed (InternalError, "interrupted
 * repeatedly"): a worker crash is the machine's fault and the job runs again, but a job that takes its
 * worker down every time must not take every worker down for ever. */
export const MAX_STALLED_RUNS = 5;

export interface RunContext {
  log: Logger;
  /** Reports progress 0..100; ignored once the job has left Running. */
  setProgress(percent: number): void;
  /** Aborted when the worker shuts down; the job then stays Running and runs again after restart. */
  signal: AbortSignal;
  /** Where the runner notes the job's media path and phase times, for the metrics (never the CI answer). */
  report?: JobRunReport;
  /** The job's BullMQ entry: the parent of a split job's children (split-run.ts). */
  parent?: SplitParent;
}

export type ConcatRunner = (job: JobRecord, ctx: RunContext) => Promise<JobResult>;

/** Called once a job has reached Success or Failed (callbacks hang here). */
type FinishHook = (job: JobRecord) => Promise<void>;

interface MediaWorkerDeps {
  connection: () => Redis;
  keyPrefix: string;
  jobs: JobStore;
  queues: QueueStore;
  mediaQueues: MediaQueues;
  logger: Logger;
  concurrency: number;
  /** WORKER_DRAIN_SECONDS, WORKER_LOCK_SECONDS, WORKER_STALLED_CHECK_SECONDS in ms. */
  drainMs: number;
  lockMs: number;
  stalledIntervalMs: number;
  runConcat: ConcatRunner;
  onFinished?: FinishHook;
  /** Told of each job that reached Success or Failed here, with its run's report (the metrics count them). */
  observeFinished?: (job: JobRecord, report: JobRunReport) => void;
}

export class MediaWorker {
  private readonly workers: Worker<MediaTask>[] = [];
  private readonly abort = new AbortController();
  private closing = false;
  /** Jobs this process is running now. */
  private readonly running = new Set<string>();
  private handedBack = 0;

  constructor(private readonly deps: MediaWorkerDeps) {}

  async start(): Promise<void> {
    await this.deps.queues.ensureDefault();
    for (const q of await this.deps.queues.all()) {
      await applyQueueSettings(this.deps.mediaQueues, q);
      await this.recover(q.queueId);
      const worker = new Worker<MediaTask>(mediaQueueName(q.queueId), (job, token) => this.process(job, token), {
        connection: this.deps.connection(),
        prefix: bullPrefix(this.deps.keyPrefix),
        concurrency: this.deps.concurrency,
        lockDuration: this.deps.lockMs,
        stalledInterval: this.deps.stalledIntervalMs,
        maxStalledCount: MAX_STALLED_RUNS,
        autorun: true,
      });
      worker.on('failed', (job, err) => void this.onBullFailed(job, err));
      worker.on('error', (err) => this.deps.logger.error({ err, queueId: q.queueId }, 'worker error'));
      this.workers.push(worker);
    }
    this.deps.logger.info(
      {
        queues: this.workers.length,
        concurrency: this.deps.concurrency,
        drainMs: this.deps.drainMs,
        lockMs: this.deps.lockMs,
        stalledIntervalMs: this.deps.stalledIntervalMs,
      },
      'worker started',
    );
  }

  /** Re-enqueues Submitted jobs that BullMQ does not hold. */
  private async recover(queueId: string): Promise<void> {
    let after: string | undefined;
    let requeued = 0;
    for (;;) {
      const ids = await this.deps.jobs.idsInQueue(queueId, 'Submitted', 500, after);
      if (ids.length === 0) break;
      for (const id of ids) {
        if (await this.deps.mediaQueues.has(queueId, id)) continue;
        const rec = await this.deps.jobs.get(id);
        if (!rec) continue;
        await this.deps.mediaQueues.enqueue(queueId, { kind: 'concat', jobId: id }, rec.request.operation.jobLevel);
        requeued++;
      }
      after = ids[ids.length - 1];
    }
    if (requeued > 0) this.deps.logger.warn({ queueId, requeued }, 'requeued submitted jobs missing from the queue');
  }

  private async process(job: Job<MediaTask>, token?: string): Promise<void> {
    const { jobId } = job.data;
    const log = this.deps.logger.child({ jobId });
    const t = await this.startRunning(jobId);
    if (!t.ok && (t.previous as string) === 'Pending') {
      // Its submit has not completed the record for a second (it failed, or Redis stalls): look again later.
      // A failed submit's record is removed or expires, and the job is then skipped as missing.
      log.info("the job's submit is not complete: the job goes back to the queue for a while");
      await job.moveToDelayed(Date.now() + PENDING_RETRY_MS, token);
      throw new DelayedError();
    }
    if (!t.ok && t.previous === 'Pause') {
      // Taken in the instant its queue was paused: put it back; it waits (paused) until the queue resumes.
      log.info('queue paused as the job was taken: the job goes back to the queue');
      await job.moveToDelayed(Date.now() + 1000, token);
      throw new DelayedError();
    }
    if (!t.ok && (t.previous === 'Success' || t.previous === 'Failed')) {
      // Its worker died after recording the end, before the queue knew: the job is not run again, but
      // its finish hook may not have run, so it runs now (the callback is queued once whatever happens).
      log.warn({ state: t.previous }, 'job ended already (its worker stopped before the queue knew): not run again');
      await this.finished(jobId, log, undefined, false);
      return;
    }
    if (!t.ok) {
      log.info({ state: t.previous || 'missing' }, 'job skipped: not runnable');
      return;
    }
    if (t.previous === 'Running') log.warn('job runs again after its worker stopped');
    const rec = await this.deps.jobs.get(jobId);
    if (!rec) return;
    log.info({ queueId: rec.queueId, jobLevel: rec.request.operation.jobLevel }, 'job started');

    let lastProgress = -1;
    const ctx: RunContext = {
      log,
      signal: this.abort.signal,
      report: newRunReport(),
      parent: splitParentOf(job),
      setProgress: (percent) => {
        const p = Math.max(0, Math.min(99, Math.floor(percent)));
        if (p <= lastProgress) return;
        lastProgress = p;
        void this.deps.jobs
          .updateIf(jobId, ['Running'], { progress: p })
          .catch((err: unknown) => log.warn({ err }, 'progress update failed'));
      },
    };

    this.running.add(jobId);
    try {
      await this.run(job, token, rec, ctx);
    } finally {
      this.running.delete(jobId);
    }
  }

  /** The job's run and its end state: Success, Failed, or handed back when the worker is stopping. */
  private async run(job: Job<MediaTask>, token: string | undefined, rec: JobRecord, ctx: RunContext): Promise<void> {
    const { jobId } = rec;
    const { log } = ctx;
    try {
      const result = await this.deps.runConcat({ ...rec, state: 'Running' }, ctx);
      await this.deps.jobs.transition(jobId, ['Running'], 'Success', {
        endMs: Date.now(),
        progress: 100,
        code: 'Success',
        message: '',
        result,
      });
      log.info('job succeeded');
    } catch (err) {
      if (this.abort.signal.aborted) {
        // Stopped by the shutdown, not failed: back to the queue now, for any worker to take.
        this.handedBack++;
        log.warn('worker stopping: the job was stopped and handed back to the queue; another worker takes it up');
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      const failure = failureOf(err);
      await this.deps.jobs.transition(jobId, ['Running'], 'Failed', { endMs: Date.now(), ...failure });
      log.warn({ code: failure.code, message: failure.message }, 'job failed');
    }
    await this.finished(jobId, log, ctx.report);
  }

  /** Runs the finish hooks; `observe` false for a job whose end was observed by the run that reached it. */
  private async finished(jobId: string, log: Logger, report: JobRunReport = newRunReport(), observe = true): Promise<void> {
    if (!this.deps.onFinished && !this.deps.observeFinished) return;
    const rec = await this.deps.jobs.get(jobId);
    if (!rec) return;
    if (observe && (rec.state === 'Success' || rec.state === 'Failed')) this.deps.observeFinished?.(rec, report);
    if (!this.deps.onFinished) return;
    await this.deps.onFinished(rec).catch((err: unknown) => log.error({ err }, 'finish hook failed'));
  }

  /**
   * Submitted or Running (a run that its worker left) -> Running. A submit queues the job a moment
   * before it completes the record (queue/submit-job.ts), so a worker that takes the job in between
   * finds it Pending: it looks again for up to a second before giving up on it for now.
   */
  private async startRunning(jobId: string): Promise<Awaited<ReturnType<JobStore['transition']>>> {
    for (let tries = 0; ; tries++) {
      const t = await this.deps.jobs.transition(jobId, ['Submitted', 'Running'], 'Running', { startMs: Date.now(), progress: 0 });
      if (t.ok || (t.previous as string) !== 'Pending' || tries >= PENDING_POLLS) return t;
      await new Promise((r) => setTimeout(r, PENDING_POLL_MS));
    }
  }

  /** BullMQ gave up on a job without our processor finishing it (it stalled too often). */
  private async onBullFailed(job: Job<MediaTask> | undefined, err: Error): Promise<void> {
    if (!job || this.closing) return;
    const jobId = job.data.jobId;
    const t = await this.deps.jobs.transition(jobId, ['Submitted', 'Running'], 'Failed', {
      endMs: Date.now(),
      code: 'InternalError',
      message: `the job was interrupted repeatedly and was stopped: ${err.message}`,
    });
    if (t.ok) await this.finished(jobId, this.deps.logger.child({ jobId }));
  }

  /**
   * Stops taking jobs; lets running ones finish within the drain time, then stops the rest and hands
   * them back to the queue. Resolves once no job of this worker runs (and so no ffmpeg of it).
   */
  async close(): Promise<void> {
    this.closing = true;
    const running = [...this.running];
    const closed = Promise.all(this.workers.map((w) => w.close()));
    if (running.length > 0 && this.deps.drainMs > 0) {
      this.deps.logger.info(
        { jobIds: running, drainMs: this.deps.drainMs },
        'worker stopping: running jobs may finish within the drain time',
      );
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise((r) => (timer = setTimeout(r, this.deps.drainMs)))]);
      clearTimeout(timer);
    }
    const stopped = [...this.running];
    if (stopped.length > 0) this.deps.logger.warn({ jobIds: stopped }, 'worker stopping: stopping running jobs to hand them back');
    this.abort.abort();
    await closed;
    this.workers.length = 0;
    this.deps.logger.info({ finished: running.length - this.handedBack, handedBack: this.handedBack }, 'worker stopped');
  }
}

/** A job's BullMQ entry as the parent of its split children; child keys end with the child's id. */
function splitParentOf(job: Job<MediaTask>): SplitParent {
  return {
    ref: { id: job.id ?? job.data.jobId, queue: job.queueQualifiedName },
    generation: job.attemptsStarted,
    pendingChildren: async () => {
      const deps = await job.getDependencies({ unprocessed: { count: 10_000 } });
      return (deps.unprocessed ?? []).map((key) => key.slice(key.lastIndexOf(':') + 1));
    },
  };
}
