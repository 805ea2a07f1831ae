// The resource limits of one job, each ending it Failed with its own Code and a Message naming the
// limit and its variable:
//   ResourceLimitExceeded  more input bytes than MAX_JOB_INPUT_BYTES, or a planned output longer than
//                          MAX_OUTPUT_DURATION_SECONDS;
//   InsufficientStorage    less free disk than MIN_FREE_DISK_BYTES where the job's files go;
//   JobTimeout             the whole job (fetch, probe, ffmpeg, upload) ran past JOB_TIMEOUT_SECONDS.
// A limit of 0 is no limit.
import { statfs } from 'node:fs/promises';
import type { ByteBudget } from '../storage/objects.js';
import { JobError, JobLimitError } from './job-error.js';

export interface JobLimits {
  maxInputBytes: number;
  maxOutputDurationSec: number;
  timeoutSec: number;
  minFreeDiskBytes: number;
}

export const NO_LIMITS: JobLimits = { maxInputBytes: 0, maxOutputDurationSec: 0, timeoutSec: 0, minFreeDiskBytes: 0 };

function mib(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

/** MAX_JOB_INPUT_BYTES over every download of one job. */
export class InputBudget implements ByteBudget {
  private used = 0;

  constructor(private readonly max: number) {}

  reserve(bytes: number, what: string): void {
    this.used += bytes;
    if (this.max > 0 && this.used > this.max) {
      throw new JobLimitError(
        'ResourceLimitExceeded',
        `the job's inputs exceed ${this.max} bytes (${mib(this.max)}, MAX_JOB_INPUT_BYTES) at ${what}: ${this.used} bytes so far`,
      );
    }
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }

  get bytes(): number {
    return this.used;
  }
}

/** Free bytes for an unprivileged user on the disk holding `dir`. */
async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

export async function checkFreeDisk(dir: string, minFreeBytes: number, free: (dir: string) => Promise<number> = freeBytes): Promise<void> {
  if (minFreeBytes <= 0) return;
  const available = await free(dir);
  if (available < minFreeBytes) {
    throw new JobLimitError(
      'InsufficientStorage',
      `the worker has ${available} bytes (${mib(available)}) free for job files, less than MIN_FREE_DISK_BYTES (${minFreeBytes} bytes); the job did not start fetching`,
    );
  }
}

export function checkOutputDuration(durationSec: number, maxSec: number): void {
  if (maxSec > 0 && durationSec > maxSec) {
    throw new JobLimitError(
      'ResourceLimitExceeded',
      `the output would last ${durationSec.toFixed(3)} s, more than MAX_OUTPUT_DURATION_SECONDS (${maxSec} s)`,
    );
  }
}

/**
 * Runs `work` with a signal that also aborts after `timeoutSec`. Once the time is up the job fails
 * with JobTimeout at once, even if some step does not honour the signal (its late outcome is
 * ignored). A parent abort (worker shutdown) passes through unchanged.
 */
export async function withJobTimeout<T>(timeoutSec: number, parent: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  if (timeoutSec <= 0) return work(parent);
  const timer = new AbortController();
  const timeoutError = new JobError('JobTimeout', `the job did not finish within ${timeoutSec} s (JOB_TIMEOUT_SECONDS) and was stopped`);
  const handle = setTimeout(() => timer.abort(timeoutError), timeoutSec * 1000);
  const timedOut = new Promise<never>((_, reject) => timer.signal.addEventListener('abort', () => reject(timeoutError), { once: true }));
  timedOut.catch(() => undefined);
  const running = work(AbortSignal.any([parent, timer.signal]));
  running.catch(() => undefined);
  try {
    return await Promise.race([running, timedOut]);
  } catch (err) {
    if (timer.signal.aborted && !parent.aborted) throw timeoutError;
    throw err;
  } finally {
    clearTimeout(handle);
  }
}
