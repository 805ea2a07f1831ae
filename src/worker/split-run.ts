// One long encode shared by many workers, as the running job sees it. When the job's plan is an encode
// that media/split.ts can cut cleanly, and more than one chunk worker serves the chunk queue, the job
// adds one child per video chunk and one for the whole audio track (one FlowProducer call), waits for
// them while it keeps its own place (so MaxConcurrent, pause and the worker's lock go on acting on the
// job exactly as for one pass), then fetches their files from the temporary prefix, stitches and
// verifies. A child that fails for good fails the job with a message naming it; a stitched output that
// fails its check is thrown away and the job is encoded in one pass. Whatever the end, the children
// left are removed and the temporary prefix is deleted.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { ERROR_STATUS, type CiErrorKey } from '../domain/errors.js';
import type { JobRecord } from '../domain/job.js';
import { planConcat, type EncodePlan } from '../media/plan.js';
import { planFingerprint, planSplit, type SplitPlan } from '../media/split.js';
import type { ChunkCheck } from '../media/verify.js';
import type { ChildState } from '../queue/split-queue.js';
import type { RetryNotice } from '../storage/store-retry.js';
import { keyframeFramesOf, scanFragments } from './fragment-keyframes.js';
import type { FetchedInput } from './job-inputs.js';
import { JobError } from './job-error.js';
import { NO_LIMITS, InputBudget } from './job-limits.js';
import type { RunContext } from './media-worker.js';
import type { MediaPort, ObjectsPort } from './ports.js';
import type { SplitDeps, SplitParent } from './split-ports.js';
import { childLabelOf, PLAN_MISMATCH, splitTasksOf, tempPrefixOf, type SplitChildResult, type SplitChildTask } from './split-task.js';

type PlanConcatInput = Parameters<typeof planConcat>[0];

export interface SplitRunInput {
  media: MediaPort;
  objects: ObjectsPort;
  split: SplitDeps;
  job: JobRecord;
  /** What the job's plan was made from; the split plans it again as an encode (as its children do). */
  planInput: PlanConcatInput;
  fetched: readonly FetchedInput[];
  ctx: RunContext;
  notice: RetryNotice;
  mediaLog: (event: string, data: object) => void;
}

/** Share of the job's progress the children's encodes stand for (after 5 for the fetch, before the stitch). */
const CHILDREN_SHARE = 80;
/** Weight of the audio child in the combined progress, against 1 for all the video chunks together. */
const AUDIO_WEIGHT = 0.1;

/** The job's encode plan as every chunk worker makes it: without the copy paths, which need no scan. */
export function encodeInputOf(input: PlanConcatInput): PlanConcatInput {
  return { ...input, template: { ...input.template, directConcat: false }, autoCopy: false };
}

/**
 * Removes what an earlier run of the job left (it stopped with its worker): its children still in the
 * queue, and its temporary objects. A run that splits again does so under ids of its own.
 */
export async function clearEarlierSplit(
  split: SplitDeps,
  objects: ObjectsPort,
  parent: SplitParent,
  jobId: string,
  log: RunContext['log'],
): Promise<void> {
  const pending = await parent.pendingChildren();
  if (pending.length > 0) {
    await split.queue.discard(pending);
    log.warn({ children: pending.length }, 'removed the children an earlier run of the job left in the queue');
  }
  const temp = (await split.queue.temps()).find((t) => t.jobId === jobId);
  if (temp) {
    const removed = await objects.removePrefix(temp.bucket, temp.prefix);
    await split.queue.dropTemp(jobId);
    log.warn({ objects: removed, prefix: temp.prefix }, 'removed the temporary objects an earlier run of the job left');
  }
}

/**
 * Removes the job's children that have not finished. The job's BullMQ entry cannot complete while it has
 * any, and a run that ended early (its time limit) may end before its split has cleaned up after itself.
 */
export async function discardChildren(split: SplitDeps, parent: SplitParent, log: RunContext['log']): Promise<void> {
  try {
    const pending = await parent.pendingChildren();
    if (pending.length > 0) await split.queue.discard(pending);
  } catch (err) {
    log.warn({ err }, 'removing the children failed');
  }
}

/**
 * Runs the job split when it should be; resolves true once plan.outputPath holds the stitched, verified
 * output, false when the job is to be encoded in one pass (not split, or the stitch failed its check).
 */
export async function runSplit(input: SplitRunInput): Promise<boolean> {
  const { split, ctx } = input;
  const { log } = ctx;
  if (!split.settings.enabled || !ctx.parent) return false;
  const encodePlan = planConcat(encodeInputOf(input.planInput));
  if (encodePlan.kind !== 'encode') return false;
  const decision = planSplit(encodePlan, split.settings);
  if (!decision.split) {
    log.info({ reason: decision.reason }, 'one pass: the encode is not split');
    return false;
  }
  // Counting them takes CLIENT LIST, which some managed Redis services refuse: then the job is not split.
  const workers = await split.queue.workers().catch((err: unknown) => {
    log.warn({ err: err instanceof Error ? err.message : String(err) }, 'the chunk workers cannot be counted');
    return 0;
  });
  if (workers < 2) {
    log.info({ workers }, 'one pass: fewer than two chunk workers serve the chunk queue');
    return false;
  }
  // Chunk edges go where a chunk worker's seek decodes little: by the fragments' keyframes, read here when
  // AUTO_COPY has not read them already.
  const { sources } = input.planInput;
  await scanFragments(input.media, sources, log);
  const keyframes = keyframeFramesOf(
    encodePlan.segments.map((s) => s.path),
    sources,
  );
  const placed = planSplit(encodePlan, split.settings, keyframes).split ?? decision.split;
  return runChildren(input, ctx.parent, encodePlan, placed, workers);
}

async function runChildren(
  input: SplitRunInput,
  parent: SplitParent,
  plan: EncodePlan,
  splitPlan: SplitPlan,
  workers: number,
): Promise<boolean> {
  const { split, ctx, job, objects } = input;
  const { log, signal } = ctx;
  const bucket = job.request.operation.output.bucket;
  const prefix = tempPrefixOf(job.jobId);
  const children = splitTasksOf(job.jobId, parent.generation, plan, splitPlan, planFingerprint(plan), input.fetched, bucket);
  const ids = children.map((c) => c.id);
  await split.queue.noteTemp({ jobId: job.jobId, bucket, prefix });
  const files = new Map<string, Promise<string>>();
  const checks = new Map<string, Promise<ChunkCheck>>();
  try {
    await split.queue.dispatch(
      parent.ref,
      children.map((c) => ({ id: c.id, name: c.task.kind, data: c.task })),
      job.request.operation.jobLevel,
    );
    log.info(
      { chunks: splitPlan.chunks.length, frames: splitPlan.frames, audio: splitPlan.audio, workers, generation: parent.generation },
      'split: the chunks and the audio track go to the chunk workers',
    );
    // Each child's file is fetched as soon as it is done, and a chunk's checked, while the others still run.
    const dir = path.join(plan.workDir, 'split');
    await mkdir(dir, { recursive: true });
    const budget = new InputBudget(NO_LIMITS.maxInputBytes);
    const fetchOf = (r: SplitChildResult): void => {
      const file = path.join(dir, path.posix.basename(r.key));
      // A signal of its own per download: the store client's listeners go with it, not onto the job's.
      const fetched = objects
        .fetch({ kind: 'object', ref: { bucket, keys: [r.key] } }, file, AbortSignal.any([signal]), budget, input.notice)
        .then(() => file);
      fetched.catch(() => undefined);
      files.set(r.key, fetched);
      const chunk = r.kind === 'chunk' ? splitPlan.chunks[r.chunk ?? -1] : undefined;
      if (!chunk) return;
      const checked = fetched.then((f) =>
        input.media.checkChunk(plan, splitPlan, chunk, f, { signal, onProgress: () => undefined, log: input.mediaLog }),
      );
      checked.catch(() => undefined);
      checks.set(r.key, checked);
    };
    let results: SplitChildResult[];
    try {
      results = await waitForChildren(
        split,
        ids,
        children.map((c) => c.task),
        ctx,
        fetchOf,
      );
    } catch (err) {
      if (!(err instanceof PlanMismatch)) throw err;
      log.warn({ reason: err.message }, 'a chunk worker planned the job differently; encoding in one pass');
      return false;
    }
    for (const r of results) if (!files.has(r.key)) fetchOf(r);
    const chunkResults = results.filter((r) => r.kind === 'chunk').sort((a, b) => (a.chunk ?? 0) - (b.chunk ?? 0));
    const audioResult = results.find((r) => r.kind === 'audio');
    const [chunkChecks, audioFile] = await Promise.all([
      Promise.all(chunkResults.map((r) => checks.get(r.key)!)),
      audioResult ? files.get(audioResult.key)! : Promise.resolve<string | undefined>(undefined),
    ]);
    const outDir = path.dirname(plan.outputPath);
    const verdict = await input.media.stitch(plan, splitPlan, chunkChecks, audioFile, {
      signal,
      onProgress: (p) => ctx.setProgress(5 + CHILDREN_SHARE + p * 0.1),
      log: input.mediaLog,
    });
    if (!verdict.ok) {
      log.warn({ check: verdict.check, reason: verdict.reason }, 'stitched output failed verification; encoding in one pass');
      await rm(outDir, { recursive: true, force: true });
      await mkdir(outDir, { recursive: true });
      return false;
    }
    log.info({ chunks: chunkChecks.length }, 'split: chunks stitched and verified');
    return true;
  } finally {
    // No download may still be writing when the job's directory is removed.
    await Promise.allSettled([...files.values(), ...checks.values()]);
    const pending = await parent.pendingChildren().catch(() => [] as string[]);
    await split.queue
      .discard([...new Set([...ids, ...pending])])
      .catch((err: unknown) => log.warn({ err }, 'removing the children failed'));
    try {
      await objects.removePrefix(bucket, prefix);
      await split.queue.dropTemp(job.jobId);
    } catch (err) {
      // Noted still: the sweep (chunk-worker.ts) removes them once the job has ended.
      log.warn({ err, prefix }, 'removing the temporary objects failed; the sweep removes them later');
    }
  }
}

/** A child's worker made another plan of the job: the split is abandoned, the job is not failed. */
class PlanMismatch extends Error {}

/** Polls the children until all are done; the first that fails for good fails the job, naming it. */
async function waitForChildren(
  split: SplitDeps,
  ids: readonly string[],
  tasks: readonly SplitChildTask[],
  ctx: RunContext,
  onDone: (result: SplitChildResult) => void,
): Promise<SplitChildResult[]> {
  const splitPlan = tasks[0]!.split;
  const weights = tasks.map((t) =>
    t.kind === 'audio' ? AUDIO_WEIGHT : (splitPlan.chunks[t.chunk ?? 0]?.frames ?? 0) / Math.max(1, splitPlan.frames),
  );
  const total = weights.reduce((a, b) => a + b, 0);
  const reported = new Set<string>();
  for (;;) {
    if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('the job was stopped');
    const states = await split.queue.states<SplitChildResult>(ids);
    states.forEach((s, i) => {
      if (s.state === 'failed' && s.failedReason?.startsWith(`${PLAN_MISMATCH}:`)) throw new PlanMismatch(s.failedReason);
      if (s.state === 'failed' || s.state === 'missing') throw childFailure(s, tasks[i]!);
    });
    states.forEach((s) => {
      if (s.state === 'completed' && s.result && !reported.has(s.result.key)) {
        reported.add(s.result.key);
        onDone(s.result);
      }
    });
    const done = states.reduce((sum, s, i) => sum + weights[i]! * (s.state === 'completed' ? 100 : s.progress), 0);
    ctx.setProgress(5 + (CHILDREN_SHARE * done) / (100 * total));
    if (states.every((s) => s.state === 'completed')) return states.map((s) => s.result!);
    await sleep(split.pollMs ?? 250, ctx.signal);
  }
}

/** A child's failure as the job's: its Code when it gave one of the CI table, and a message naming it. */
function childFailure(s: ChildState<SplitChildResult>, task: SplitChildTask): JobError {
  const what = childLabelOf(task.split, task.chunk);
  if (s.state === 'missing') return new JobError('InternalError', `${what} is no longer in the chunk queue`);
  const m = /^([A-Za-z]+): ([\s\S]*)$/.exec(s.failedReason ?? '');
  const code = m && Object.hasOwn(ERROR_STATUS, m[1]!) ? (m[1] as CiErrorKey) : 'InternalError';
  const reason = m ? m[2]! : (s.failedReason ?? 'no reason given');
  const tries = s.attemptsMade === 1 ? '1 try' : `${s.attemptsMade} tries`;
  return new JobError(code, `${what} failed after ${tries}: ${reason}`);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
