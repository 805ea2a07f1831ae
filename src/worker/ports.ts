// What a Concat job needs from the media and storage layers, as the runner sees them. engine.ts hands
// in the real adapters (media/ffmpeg.ts, storage/job-objects.ts); unit tests hand in fakes, so the
// runner's decisions (which files, which plan, which uploads) are tested without ffmpeg or a storage.
import type { KeyframeIndex } from '../media/keyframes.js';
import type { CopyPlan, EncodePlan } from '../media/plan.js';
import type { FfprobeJson, MediaProbe } from '../media/probe.js';
import type { SplitPlan, VideoChunk } from '../media/split.js';
import type { ChunkCheck, CopyOutcome, VerifyVerdict } from '../media/verify.js';
import type { JobObjects } from '../storage/job-objects.js';

export interface MediaRunOptions {
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
  /** The keyframe index of a file's picture (media/keyframes.ts), for smart-cutting a trimmed fragment;
   * `probe` is the file's own, which spares the scan a second read of the codec's header. */
  keyframes(file: string, probe: MediaProbe): Promise<KeyframeIndex>;
  /** Produces an encode plan's output from its local files. */
  run(plan: EncodePlan, opts: MediaRunOptions): Promise<void>;
  /**
   * Produces a copy plan's output and checks it before it may be uploaded (media/verify.ts): the first failed
   * check with a reason naming it, or ok, and the time the checks took. Rejects when ffmpeg cannot make the
   * copy, the job is canceled or the binaries cannot run.
   */
  copy(plan: CopyPlan, opts: MediaRunOptions): Promise<CopyOutcome>;
  /** Encodes exactly chunk.frames pictures of the plan's output picture (no audio) into outputPath (MP4, picture only). */
  encodeChunk(plan: EncodePlan, split: SplitPlan, chunk: VideoChunk, outputPath: string, opts: MediaRunOptions): Promise<void>;
  /** The whole output's audio track (never chunked), encoded as the one-pass job would, into outputPath (picture-less file). */
  encodeAudioTrack(plan: EncodePlan, outputPath: string, opts: MediaRunOptions): Promise<void>;
  /**
   * One chunk file's own checks, run as soon as it arrives (while later chunks still encode): its frames and
   * parameter sets read, its two ends decoded. The result goes to the stitch.
   */
  checkChunk(plan: EncodePlan, split: SplitPlan, chunk: VideoChunk, file: string, opts: MediaRunOptions): Promise<ChunkCheck>;
  /**
   * Checks the chunks (their own checks, frame totals, identical parameter sets), joins them in index order with
   * exact durations, muxes the audio, writes plan.outputPath, then scans it. Returns the verdict; a failed check →
   * the runner re-runs the job as one pass.
   */
  stitch(
    plan: EncodePlan,
    split: SplitPlan,
    chunks: readonly ChunkCheck[],
    audioFile: string | undefined,
    opts: MediaRunOptions,
  ): Promise<VerifyVerdict>;
}

/** What the runner needs from the storage: the storage adapter's own interface (storage/job-objects.ts). */
export type ObjectsPort = JobObjects;
