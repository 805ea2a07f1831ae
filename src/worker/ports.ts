// What a Concat job needs from the media and storage layers, as the runner sees them. engine.ts hands
// in the real adapters (media/ffmpeg.ts, storage/job-objects.ts); unit tests hand in fakes, so the
// runner's decisions (which files, which plan, which uploads) are tested without ffmpeg or a storage.
import type { KeyframeIndex } from '../media/keyframes.js';
import type { ConcatPlan } from '../media/plan.js';
import type { FfprobeJson } from '../media/probe.js';
import type { ByteBudget } from '../storage/objects.js';
import type { SourceRef } from '../storage/resolve-url.js';

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
}

export interface ObjectsPort {
  /**
   * Streams a resolved source into `file`, counting its bytes against `budget`. Returns the object key
   * found (the URL's path for an HTTP source) and the bytes written.
   */
  fetch(source: SourceRef, file: string, signal: AbortSignal, budget: ByteBudget): Promise<{ key: string; bytes: number }>;
  /** Uploads a local file with its content type and user metadata; returns its MD5 (hex). */
  upload(bucket: string, key: string, file: string, contentType: string, metadata: Record<string, string>): Promise<string>;
  /** Resolves when `bucket` exists and can be used; rejects with a failure naming `field` otherwise. */
  bucketExists(bucket: string, field: string): Promise<void>;
}
