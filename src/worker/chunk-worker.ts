// The chunk worker: every worker process serves the chunk queue (queue/split-queue.ts) with one BullMQ
// worker of its own, beside its media queues, so a job's chunks never wait behind jobs of any CI queue.
// A child reads the job's record, fetches only the inputs its task names into a directory of its own,
// plans the job again (with the parent's probes for what it did not fetch) and refuses to go on when the
// plan's fingerprint is not the parent's; it encodes its chunk (or the audio track), checks the job still
// waits for it, and uploads the file to the job's temporary prefix.
//
// A worker killed mid-chunk loses its lock: BullMQ's stalled check hands the chunk to another worker, at
// no cost of a try. A failure is tried again with backoff (split-queue.ts); one that cannot change (the
// job has ended, another plan) is not. On shutdown the chunk goes back to the queue at once.
//
// The sweep: a split job deletes its temporary prefix whatever its end, but a worker killed outright
// does not. Every prefix is noted in Redis before anything is written under it; each chunk worker, at
// its start and then every SWEEP_EVERY_MS, deletes the prefixes of jobs that have ended.
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { failureOf } from '../domain/errors.js';
import { concatTemplateOf, watermarksOf } from '../domain/job.js';
import { planConcat } from '../media/plan.js';
import { planFingerprint } from '../media/split.js';
import { bullPrefix } from '../queue/media-queues.js';
import { CHUNK_WORKER_NAME, SPLIT_QUEUE, type SplitQueue } from '../queue/split-queue.js';
import { ENGINE_OUTPUT_META } from '../storage/output-meta.js';
import type { RetryNotice } from '../storage/store-retry.js';
import type { JobStore } from '../store/job-store.js';
import { resolveSource, type ConcatRunnerDeps } from './concat-runner.js';
import { jobInputsOf, localFileOf, planInputsOf, type FetchedInput } from './job-inputs.js';
import { makeJobDir } from './job-dirs.js';
import { MAX_STALLED_RUNS } from './media-worker.js';
import { InputBudget, NO_LIMITS } from './job-limits.js';
import { localNameOf, outputObjectOf } from './output-object.js';
import { encodeInputOf } from './split-run.js';
import { PLAN_MISMATCH, type SplitChildResult, type SplitChildTask } from './split-task.js';

const SWEEP_EVERY_MS = 10 * 60_000;

interface ChunkWorkerDeps {
  connection: () => Redis;
  keyPrefix: string;
  jobs: JobStore;
  splitQueue: Pick<SplitQueue, 'temps' | 'dropTemp'>;
  runner: ConcatRunnerDeps;
  logger: Logger;
  /** WORKER_LOCK_SECONDS and WORKER_STALLED_CHECK_SECONDS in ms: a killed chunk worker's chunk runs again within both. */
  lockMs: number;
  stalledIntervalMs: number;
}

export class ChunkWorker {
  private worker?: Worker<SplitChildTask, SplitChildResult>;
  private readonly abort = new AbortController();
  private sweepTimer?: NodeJS.Timeout;

  constructor(private readonly deps: ChunkWorkerDeps) {}

  async start(): Promise<void> {
    await this.sweep();
    this.sweepTimer = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    this.sweepTimer.unref();
    this.worker = new Worker<SplitChildTask, SplitChildResult>(SPLIT_QUEUE, (job, token) => this.process(job, token), {
      name: CHUNK_WORKER_NAME,
      connection: this.deps.connection(),
      prefix: bullPrefix(this.deps.keyPrefix),
      concurrency: 1,
      lockDuration: this.deps.lockMs,
      stalledInterval: this.deps.stalledIntervalMs,
      maxStalledCount: MAX_STALLED_RUNS,
    });
    this.worker.on('error', (err) => this.deps.logger.error({ err }, 'chunk worker error'));
    await this.worker.waitUntilReady();
  }

  /** Deletes the temporary prefixes of split jobs that have ended (or whose record is gone). */
  async sweep(): Promise<number> {
    let swept = 0;
    try {
      for (const t of await this.deps.splitQueue.temps()) {
        const rec = await this.deps.jobs.get(t.jobId);
        if (rec && (rec.state === 'Running' || rec.state === 'Submitted' || rec.state === 'Pause')) continue;
        const removed = await this.deps.runner.objects.removePrefix(t.bucket, t.prefix);
        await this.deps.splitQueue.dropTemp(t.jobId);
        this.deps.logger.warn(
          { jobId: t.jobId, prefix: t.prefix, objects: removed },
          'removed the temporary objects of an ended split job',
        );
        swept++;
      }
    } catch (err) {
      this.deps.logger.warn({ err }, 'sweep of temporary objects failed; the next one tries again');
    }
    return swept;
  }

  private async process(job: Job<SplitChildTask, SplitChildResult>, token?: string): Promise<SplitChildResult> {
    const task = job.data;
    const log = this.deps.logger.child({ jobId: task.jobId, child: job.id });
    try {
      return await this.runChild(job, task, log);
    } catch (err) {
      if (this.abort.signal.aborted) {
        log.warn('chunk worker stopping: the child goes back to the queue');
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      if (err instanceof UnrecoverableError) throw err;
      const failure = failureOf(err);
      log.warn({ code: failure.code, message: failure.message, attempt: job.attemptsMade + 1 }, 'child failed');
      // The parent reads the Code back from the reason (split-run.ts).
      throw new Error(`${failure.code}: ${failure.message}`, { cause: err });
    }
  }

  private async runChild(job: Job<SplitChildTask, SplitChildResult>, task: SplitChildTask, log: Logger): Promise<SplitChildResult> {
    const { runner } = this.deps;
    await this.assertWaitedFor(task);
    const rec = (await this.deps.jobs.get(task.jobId))!;
    const template = concatTemplateOf(rec);
    if (!template) throw new UnrecoverableError('InternalError: the job has no concat parameters');
    const watermarks = watermarksOf(rec);
    const inputs = jobInputsOf(rec.request, template, watermarks, (field, url) => resolveSource(runner, rec.bucket, field, url));
    if (inputs.length !== task.inputs.length)
      throw new UnrecoverableError(`InternalError: the job has ${inputs.length} inputs, its split ${task.inputs.length}`);
    // A signal of the child's own: the listeners its fetches and ffmpeg add go with it, not onto the worker's.
    const child = new AbortController();
    const stop = (): void => child.abort();
    this.abort.signal.addEventListener('abort', stop, { once: true });
    const signal = child.signal;
    const notice: RetryNotice = (what, attempt, delayMs, err) =>
      log.warn({ what, attempt, delayMs, err: err.message }, 'the storage did not answer; trying again');
    const name = task.kind === 'audio' ? 'audio' : `chunk-${task.chunk ?? 0}`;
    const dir = await makeJobDir(runner.dataDir, `${task.jobId}-${name}`);
    try {
      const budget = new InputBudget(runner.limits?.maxInputBytes ?? NO_LIMITS.maxInputBytes);
      const wanted = new Set(task.fetch);
      const fetched = await Promise.all(
        inputs.map(async (input, i): Promise<FetchedInput> => {
          const file = localFileOf(input, dir);
          const known = task.inputs[i]!;
          if (wanted.has(i)) await runner.objects.fetch(input.ref, file, signal, budget, notice);
          return { ...input, file, key: known.key, bytes: 0, probe: known.probe };
        }),
      );
      const { sources, bgm, marks } = planInputsOf(fetched, watermarks);
      const target = outputObjectOf(rec.request.operation.output.object, template.container.format, task.jobId);
      const outDir = path.join(dir, 'out');
      await mkdir(outDir, { recursive: true });
      const plan = planConcat(
        encodeInputOf({
          sources,
          template,
          bgm,
          outputPath: path.join(outDir, localNameOf(target.key)),
          workDir: dir,
          watermarks: marks,
          fontAvailable: existsSync,
          autoCopy: false,
        }),
      );
      if (plan.kind !== 'encode' || planFingerprint(plan) !== task.fingerprint)
        throw new UnrecoverableError(
          `${PLAN_MISMATCH}: the chunk worker on ${hostname()} planned the job differently from the job's own worker`,
        );
      const file = path.join(dir, path.posix.basename(task.key));
      const opts = {
        signal,
        onProgress: (p: number) => void job.updateProgress(Math.max(0, Math.min(100, Math.floor(p)))).catch(() => undefined),
        log: (event: string, data: object) => log.debug({ event, ...data }, event),
      };
      const started = Date.now();
      if (task.kind === 'audio') await runner.media.encodeAudioTrack(plan, file, opts);
      else {
        const chunk = task.split.chunks[task.chunk ?? -1];
        if (!chunk) throw new UnrecoverableError(`InternalError: the split has no chunk ${task.chunk}`);
        await runner.media.encodeChunk(plan, task.split, chunk, file, opts);
      }
      // The job may have ended while this encoded: nothing is written under a prefix it has deleted.
      await this.assertWaitedFor(task);
      await runner.objects.upload(task.bucket, task.key, file, 'application/octet-stream', { [ENGINE_OUTPUT_META]: task.jobId }, notice);
      log.info({ kind: task.kind, chunk: task.chunk, ms: Date.now() - started }, 'child encoded and uploaded');
      return { kind: task.kind, ...(task.chunk !== undefined ? { chunk: task.chunk } : {}), key: task.key };
    } finally {
      this.abort.signal.removeEventListener('abort', stop);
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The job still runs and its temporary prefix is still noted; else the child is of no use and is not tried again. */
  private async assertWaitedFor(task: SplitChildTask): Promise<void> {
    const rec = await this.deps.jobs.get(task.jobId);
    if (rec?.state !== 'Running')
      throw new UnrecoverableError(`Canceled: job ${task.jobId} is ${rec?.state ?? 'gone'}; its child is not needed`);
    const noted = (await this.deps.splitQueue.temps()).some((t) => t.jobId === task.jobId);
    if (!noted) throw new UnrecoverableError(`Canceled: job ${task.jobId} no longer waits for its children`);
  }

  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    const closed = this.worker?.close();
    this.abort.abort();
    await closed;
  }
}
