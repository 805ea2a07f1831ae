// What a split job hands each of its children, and how their ids and temporary objects are named. A
// child carries what it cannot find on its own machine: the split (the chunk edges are the parent's,
// whatever SPLIT_CHUNK_SECONDS the child's process has), the plan's fingerprint, which inputs to fetch,
// and every input's probe (so it plans the whole job without fetching the fragments it does not read).
// The job's request itself the child reads from the job's record.
import type { EncodePlan } from '../media/plan.js';
import type { MediaProbe } from '../media/probe.js';
import type { SplitPlan, VideoChunk } from '../media/split.js';
import type { FetchedInput } from './job-inputs.js';

/** The folder, in the job's output bucket, under which split jobs keep their chunks while they run. */
export const SPLIT_TEMP_ROOT = '.ci-split';

export interface SplitChildTask {
  kind: 'chunk' | 'audio';
  jobId: string;
  /** The parent's run: a job that runs again (its worker stopped) splits again under new ids. */
  generation: number;
  /** kind 'chunk': its index in split.chunks. */
  chunk?: number;
  split: SplitPlan;
  /** planFingerprint of the parent's plan: the child refuses to encode from a plan of its own that differs. */
  fingerprint: string;
  /** Where the child writes its file, in the job's output bucket. */
  bucket: string;
  key: string;
  /** Indexes into the job's inputs (jobInputsOf) the child fetches. */
  fetch: number[];
  /** Every input's object key and probe, in jobInputsOf order. */
  inputs: { key: string; probe: MediaProbe }[];
}

export interface SplitChildResult {
  kind: 'chunk' | 'audio';
  chunk?: number;
  key: string;
}

/**
 * How a child's failure starts when its worker planned the job differently (another ffmpeg, fonts): not
 * the job's fault, so the job is encoded in one pass instead of failing.
 */
export const PLAN_MISMATCH = 'PlanMismatch';

export function tempPrefixOf(jobId: string): string {
  return `${SPLIT_TEMP_ROOT}/${jobId}/`;
}

/** BullMQ ids of one run's children; ids never hold ':' (BullMQ refuses them). */
export function childIdOf(jobId: string, generation: number, chunk: number | 'audio'): string {
  return `${jobId}-g${generation}-${chunk === 'audio' ? 'audio' : `chunk-${String(chunk).padStart(4, '0')}`}`;
}

/** How a failure names a child: "video chunk 3 of 5 (output 4.000 s to 6.000 s)" or "the audio track". */
export function childLabelOf(split: SplitPlan, chunk?: number): string {
  const c: VideoChunk | undefined = chunk === undefined ? undefined : split.chunks[chunk];
  if (!c) return 'the audio track';
  return `video chunk ${c.index + 1} of ${split.chunks.length} (output ${c.startSec.toFixed(3)} s to ${(c.startSec + c.durationSec).toFixed(3)} s)`;
}

/**
 * The audio track when the output has one, then one task per video chunk. A chunk fetches the fragments
 * its frames come from and the watermark images; the audio fetches every fragment and the background music.
 */
export function splitTasksOf(
  jobId: string,
  generation: number,
  plan: EncodePlan,
  split: SplitPlan,
  fingerprint: string,
  fetched: readonly FetchedInput[],
  bucket: string,
): { id: string; task: SplitChildTask }[] {
  const inputs = fetched.map((f) => ({ key: f.key, probe: f.probe }));
  const prefix = `${tempPrefixOf(jobId)}g${generation}/`;
  const indexesWhere = (keep: (f: FetchedInput) => boolean): number[] => fetched.flatMap((f, i) => (keep(f) ? [i] : []));
  const base = { jobId, generation, split, fingerprint, bucket, inputs };
  const chunks = split.chunks.map((c) => {
    const files = new Set(c.segments.map((s) => plan.segments[s]?.path));
    const task: SplitChildTask = {
      ...base,
      kind: 'chunk',
      chunk: c.index,
      key: `${prefix}chunk-${String(c.index).padStart(4, '0')}.mp4`,
      fetch: indexesWhere((f) => (f.role === 'fragment' && files.has(f.file)) || f.role === 'mark'),
    };
    return { id: childIdOf(jobId, generation, c.index), task };
  });
  if (!split.audio) return chunks;
  const audio: SplitChildTask = {
    ...base,
    kind: 'audio',
    key: `${prefix}audio.m4a`,
    fetch: indexesWhere((f) => f.role === 'fragment' || f.role === 'bgm'),
  };
  // First in the queue: taken last, the short audio run would be the one thing still running at the end
  // (measured: 1.7 s of a 60 s 720p job's 27 s spent after the last chunk).
  return [{ id: childIdOf(jobId, generation, 'audio'), task: audio }, ...chunks];
}
