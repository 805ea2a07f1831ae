// What a Concat job needs from the media and storage layers, as the runner sees them. engine.ts hands
// in the real adapters (media/ffmpeg.ts, storage/job-objects.ts); unit tests hand in fakes, so the
// runner's decisions (which files, which plan, which uploads) are tested without ffmpeg or a storage.
import type { KeyframeIndex } from '../media/keyframes.js';
import type { ConcatPlan, CopyPlan } from '../media/plan.js';
import type { FfprobeJson } from '../media/probe.js';
import type { VerifyVerdict } from '../media/verify.js';
import type { ByteBudget } from '../storage/objects.js';
import type { SourceRef } from '../storage/resolve-url.js';
import type { RetryNotice } from '../storage/store-retry.js';

interface MediaRunOptions {
  signal: AbortSignal;
  /** Percent of the planned output written, 0..100. */
  onProgress: (percent: number) => void;
  log: (event: string, data: object) => void;
}

export interface MediaPort {
  /**
   * ffprobe's JSON for a local file. A file that is not audio/video rejects with a MediaProcessError
   * of Code ResourceNotSupported.
   */
  probe(file: string): Promise<FfprobeJson>;
  /** The keyframe index of a file's picture (media/keyframes.ts), for smart-cutting a trimmed fragment. */
  keyframes(file: string): Promise<KeyframeIndex>;
  /** Produces plan.outputPath from the plan's local files. */
  run(plan: ConcatPlan, opts: MediaRunOptions): Promise<void>;
  /**
   * Checks a copy plan's output before it is uploaded (media/verify.ts): the first failed check with a
   * reason naming it, or ok. Rejects only when the job is canceled or the binaries cannot run.
   */
  verify(plan: CopyPlan, opts: MediaVerifyOptions): Promise<VerifyVerdict>;
}

interface MediaVerifyOptions {
  signal: AbortSignal;
  log: (event: string, data: object) => void;
}

/** Each method tries again while the store does not answer, for a bounded time, telling `notice` of
 * each retry; then it fails with ServiceUnavailable. */
export interface ObjectsPort {
  /**
   * Streams a resolved source into `file`, counting its bytes against `budget`. Returns the object key
   * found (the URL's path for an HTTP source) and the bytes written.
   */
  fetch(
    source: SourceRef,
    file: string,
    signal: AbortSignal,
    budget: ByteBudget,
    notice?: RetryNotice,
  ): Promise<{ key: string; bytes: number }>;
  /** Uploads a local file with its content type and user metadata; returns its MD5 (hex). */
  upload(
    bucket: string,
    key: string,
    file: string,
    contentType: string,
    metadata: Record<string, string>,
    notice?: RetryNotice,
  ): Promise<string>;
  /** Resolves when `bucket` exists and can be used; rejects with a failure naming `field` otherwise. */
  bucketExists(bucket: string, field: string, notice?: RetryNotice): Promise<void>;
}
