// One Concat job's media work, orchestrated: resolve every input to an object of the storage, fetch
// them in parallel into a temp directory of the job's own, probe, plan, run ffmpeg, upload the output
// (and its HLS segments) once a copy's output has passed verification (else the job is encoded instead),
// then describe the result (MediaInfo of the output, MediaResult with its MD5).
// The temp directory is removed in every outcome. The media layer decides how; this module decides
// what. Media and storage come in as ports (ports.ts), so the whole sequence runs in unit tests too.
// Resource limits (job-limits.ts): free disk before fetching, input bytes while fetching, the planned
// output duration before ffmpeg, and a time limit over the whole job.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ConcatTemplate } from '../domain/concat-types.js';
import { concatTemplateOf, watermarksOf, type JobRecord, type JobResult } from '../domain/job.js';
import { MediaProcessError } from '../media/errors.js';
import { planConcat, summarizePlan, type ConcatPlan, type EncodePlan } from '../media/plan.js';
import { normalizeProbe, toMediaInfo, type MediaProbe } from '../media/probe.js';
import { failed, type CopyOutcome } from '../media/verify.js';
import type { ByteBudget } from '../storage/objects.js';
import { ENGINE_OUTPUT_META } from '../storage/output-meta.js';
import { resolveSourceUrl, UrlRefused, type SourceRef } from '../storage/resolve-url.js';
import { jobInputsOf, localFileOf, planInputsOf, type FetchedInput, type JobInput } from './job-inputs.js';
import { jobsRoot, makeJobDir } from './job-dirs.js';
import { JobError } from './job-error.js';
import { checkFreeDisk, checkOutputDuration, InputBudget, NO_LIMITS, withJobTimeout, type JobLimits } from './job-limits.js';
import type { ConcatRunner, RunContext } from './media-worker.js';
import { localNameOf, outputObjectOf, SEGMENT_CONTENT_TYPE } from './output-object.js';
import type { MediaPort, ObjectsPort } from './ports.js';
import type { RetryNotice } from '../storage/store-retry.js';
import type { JobPhase, JobRunReport } from '../metrics/engine-metrics.js';
import type { SplitDeps } from './split-ports.js';
import { scanFragments } from './fragment-keyframes.js';
import { clearEarlierSplit, discardChildren, encodeInputOf, runSplit } from './split-run.js';

export interface ConcatRunnerDeps {
  media: MediaPort;
  objects: ObjectsPort;
  /** Sources on this endpoint are objects of the storage (resolve-url.ts). */
  s3Endpoint: string;
  /** Job temp directories go under `<dataDir>/jobs`. */
  dataDir: string;
  /** FETCH_ALLOWED_HOSTS: hosts outside the storage that sources may be fetched from over HTTP. */
  fetchAllowedHosts?: readonly string[];
  /** AUTO_COPY: let the planner copy what a job leaves unchanged; off unless given. */
  autoCopy?: boolean;
  /** Splitting long encodes over the chunk workers (split-run.ts); absent = every job one pass. */
  split?: SplitDeps;
  limits?: JobLimits;
}

type PlanConcatInput = Parameters<typeof planConcat>[0];

/** HLS segments go up this many at a time. */
const SEGMENT_UPLOADS = 4;

export function createConcatRunner(deps: ConcatRunnerDeps): ConcatRunner {
  return async (job, ctx) => {
    const template = concatTemplateOf(job);
    if (!template) throw new JobError('InvalidArgument', 'the job has no concat parameters (TemplateId or ConcatTemplate)');
    const limits = deps.limits ?? NO_LIMITS;
    const root = jobsRoot(deps.dataDir);
    await mkdir(root, { recursive: true });
    await checkFreeDisk(root, limits.minFreeDiskBytes);
    const dir = await makeJobDir(deps.dataDir, job.jobId);
    try {
      return await withJobTimeout(limits.timeoutSec, ctx.signal, (signal) => runInDir(deps, job, template, dir, { ...ctx, signal }));
    } finally {
      if (deps.split && ctx.parent) await discardChildren(deps.split, ctx.parent, ctx.log);
      await rm(dir, { recursive: true, force: true });
    }
  };
}

/** The metrics' name of each timed phase. */
const PHASE_LABELS: Record<string, JobPhase> = {
  fetchAndProbe: 'fetch_and_probe',
  plan: 'plan',
  ffmpeg: 'ffmpeg',
  verify: 'verify',
  fallbackEncode: 'fallback_encode',
  upload: 'upload',
};

/** Milliseconds per phase of the job, for its final log line, and seconds for the run report (metrics). */
class PhaseTimer {
  readonly timings: Record<string, number> = {};
  private start = Date.now();

  constructor(private readonly report?: JobRunReport) {}

  end(name: keyof typeof PHASE_LABELS): number {
    const now = Date.now();
    const ms = now - this.start;
    this.record(name, ms);
    this.start = now;
    return ms;
  }

  /** A phase that overlapped the one before it (a copy's checks run while its sound is encoded). */
  record(name: keyof typeof PHASE_LABELS, ms: number): void {
    this.timings[`${name}Ms`] = ms;
    const label = PHASE_LABELS[name];
    if (this.report && label) this.report.phases[label] = ms / 1000;
  }
}

async function runInDir(
  deps: ConcatRunnerDeps,
  job: JobRecord,
  template: ConcatTemplate,
  dir: string,
  ctx: RunContext,
): Promise<JobResult> {
  const { log, signal } = ctx;
  const limits = deps.limits ?? NO_LIMITS;
  const watermarks = watermarksOf(job);
  const inputs = jobInputsOf(job.request, template, watermarks, (field, url) => resolveSource(deps, job.bucket, field, url));
  const output = job.request.operation.output;
  const timer = new PhaseTimer(ctx.report);
  const notice: RetryNotice = (what, attempt, delayMs, err) =>
    log.warn({ what, attempt, delayMs, err: err.message }, 'the storage did not answer; trying again');

  // The output bucket is checked while the inputs come in; a missing one is reported first, before ffmpeg runs.
  const [bucket, fetchedAll] = await Promise.allSettled([
    deps.objects.bucketExists(output.bucket, 'Output.Bucket', notice),
    fetchInputs(deps, inputs, dir, signal, new InputBudget(limits.maxInputBytes), notice),
  ]);
  if (bucket.status === 'rejected') throw bucket.reason;
  if (fetchedAll.status === 'rejected') throw fetchedAll.reason;
  const fetched = fetchedAll.value;
  const fetchMs = timer.end('fetchAndProbe');
  log.info({ inputs: fetched.length, bytes: fetched.reduce((n, f) => n + f.bytes, 0), ms: fetchMs }, 'inputs fetched and probed');
  ctx.setProgress(5);

  const { sources, bgm, marks } = planInputsOf(fetched, watermarks);
  if (deps.autoCopy) await scanFragments(deps.media, sources, log);
  const target = outputObjectOf(output.object, template.container.format, job.jobId);
  const outDir = path.join(dir, 'out');
  await mkdir(outDir, { recursive: true });
  const planInput: PlanConcatInput = {
    sources,
    template,
    bgm,
    outputPath: path.join(outDir, localNameOf(target.key)),
    workDir: dir,
    watermarks: marks,
    fontAvailable: existsSync,
    autoCopy: deps.autoCopy ?? false,
  };
  let plan = planConcat(planInput);
  if (ctx.report) ctx.report.path = plan.path;
  log.info({ plan: summarizePlan(plan) }, 'plan');
  checkOutputDuration(plan.durationSec, limits.maxOutputDurationSec);
  timer.end('plan');

  const mediaLog = (event: string, data: object): void => log.debug({ event, ...data }, event);
  if (deps.split && ctx.parent) await clearEarlierSplit(deps.split, deps.objects, ctx.parent, job.jobId, log);
  if (plan.kind === 'encode') {
    const stitched =
      deps.split !== undefined &&
      (await runSplit({ media: deps.media, objects: deps.objects, split: deps.split, job, planInput, fetched, ctx, notice, mediaLog }));
    if (!stitched) await deps.media.run(plan, { signal, onProgress: (p) => ctx.setProgress(5 + p * 0.9), log: mediaLog });
    timer.end('ffmpeg');
  } else {
    // A copy may be followed by a fallback encode: it reports up to 50 and leaves the rest to that encode,
    // so progress never goes back.
    const copied = deps.media.copy(plan, { signal, onProgress: (p) => ctx.setProgress(5 + p * 0.45), log: mediaLog });
    // ffmpeg refusing a copy the planner chose is one more reason to encode (never for DirectConcat, whose
    // ffmpeg failure stays the job's failure, as before).
    const outcome: CopyOutcome = template.directConcat
      ? await copied
      : await copied.catch((err: unknown) => ({ verdict: failed('copy', fallbackReason(err)), verifyMs: 0 }));
    timer.end('ffmpeg');
    const { verdict } = outcome;
    if (verdict.ok || verdict.check !== 'copy') timer.record('verify', outcome.verifyMs);
    if (!verdict.ok) {
      // DirectConcat promises the picture is never re-encoded: refuse rather than quietly encode.
      if (template.directConcat) {
        throw new JobError(
          'ResourceNotSupported',
          `DirectConcat: the stream-copied output failed its ${verdict.check} check and was not uploaded (${verdict.reason}); set DirectConcat to false to re-encode`,
        );
      }
      log.warn(
        { check: verdict.check, reason: verdict.reason, path: plan.path, file: plan.outputPath },
        verdict.check === 'copy' ? 'copy failed; encoding instead' : 'copy output failed verification; encoding instead',
      );
      // Nothing of the copy may be uploaded: HLS segments of it would otherwise go up with the encode's.
      await rm(outDir, { recursive: true, force: true });
      await mkdir(outDir, { recursive: true });
      const fallback = planEncode(planInput);
      plan = fallback;
      if (ctx.report) ctx.report.path = fallback.path;
      log.info({ plan: summarizePlan(fallback) }, 'fallback plan');
      checkOutputDuration(fallback.durationSec, limits.maxOutputDurationSec);
      await deps.media.run(fallback, { signal, onProgress: (p) => ctx.setProgress(50 + p * 0.45), log: mediaLog });
      timer.end('fallbackEncode');
    }
  }
  ctx.setProgress(95);

  // The output is described (ffprobe) while it uploads.
  const described = deps.media.probe(plan.outputPath);
  described.catch(() => undefined);
  const segments = await uploadOutput(deps, plan, outDir, output.bucket, target, job.jobId, notice);
  const mediaInfo = toMediaInfo(await described);
  timer.end('upload');
  log.info(
    { object: target.key, bucket: output.bucket, segments: segments.count, durationSec: mediaInfo.Format.Duration, ...timer.timings },
    'output uploaded',
  );

  return {
    mediaInfo: mediaInfo as unknown as Record<string, unknown>,
    mediaResult: {
      OutputFile: {
        Bucket: output.bucket,
        Region: output.region,
        ObjectPrefix: '',
        ObjectName: target.key,
        Md5Info: { Md5: segments.md5, ObjectName: target.key },
      },
    },
  };
}

/** The same job planned as a full encode: the fallback when a copy's output fails verification. */
function planEncode(input: PlanConcatInput): EncodePlan {
  const plan = planConcat(encodeInputOf(input));
  if (plan.kind !== 'encode') throw new Error(`planning the fallback encode gave a ${plan.kind} plan`);
  return plan;
}

/** Why a copy run failed when an encode may still succeed: ffmpeg's own failure, not a cancel or the time limit. */
function fallbackReason(err: unknown): string {
  if (err instanceof MediaProcessError && err.code === 'InternalError') return err.message;
  throw err;
}

/** A source URL as a reference to fetch; a refused one is InvalidArgument naming the field. */
export function resolveSource(deps: ConcatRunnerDeps, jobBucket: string, field: string, url: string): SourceRef {
  try {
    return resolveSourceUrl(url, jobBucket, deps.s3Endpoint, deps.fetchAllowedHosts ?? []);
  } catch (err) {
    if (err instanceof UrlRefused) throw new JobError('InvalidArgument', `${field}: ${err.message}`);
    throw err;
  }
}

/** Fetches every input in parallel and probes each file as soon as it is in. */
function fetchInputs(
  deps: ConcatRunnerDeps,
  inputs: readonly JobInput[],
  dir: string,
  signal: AbortSignal,
  budget: ByteBudget,
  notice: RetryNotice,
): Promise<FetchedInput[]> {
  return Promise.all(
    inputs.map(async (input): Promise<FetchedInput> => {
      const file = localFileOf(input, dir);
      const got = await deps.objects.fetch(input.ref, file, signal, budget, notice);
      return { ...input, file, key: got.key, bytes: got.bytes, probe: await probeInput(deps.media, file, got.key) };
    }),
  );
}

async function probeInput(media: MediaPort, file: string, label: string): Promise<MediaProbe> {
  try {
    return normalizeProbe(await media.probe(file));
  } catch (err) {
    if (err instanceof MediaProcessError && err.code === 'ResourceNotSupported')
      throw new JobError('ResourceNotSupported', `${label} cannot be decoded as audio or video`);
    throw err;
  }
}

/**
 * HLS segments first (the playlist names them relative to itself), a few at a time, then the main
 * file. Every object is marked as the engine's own output: creating it starts no workflow.
 */
async function uploadOutput(
  deps: ConcatRunnerDeps,
  plan: ConcatPlan,
  outDir: string,
  bucket: string,
  target: { key: string; contentType: string },
  jobId: string,
  notice: RetryNotice,
): Promise<{ count: number; md5: string }> {
  const keyDir = path.posix.dirname(target.key) === '.' ? '' : `${path.posix.dirname(target.key)}/`;
  const mainName = path.basename(plan.outputPath);
  const segments = plan.container.format === 'hls' ? (await readdir(outDir)).filter((f) => f !== mainName).sort() : [];
  const meta = { [ENGINE_OUTPUT_META]: jobId };
  for (let k = 0; k < segments.length; k += SEGMENT_UPLOADS) {
    await Promise.all(
      segments
        .slice(k, k + SEGMENT_UPLOADS)
        .map((name) => deps.objects.upload(bucket, `${keyDir}${name}`, path.join(outDir, name), SEGMENT_CONTENT_TYPE, meta, notice)),
    );
  }
  const md5 = await deps.objects.upload(bucket, target.key, plan.outputPath, target.contentType, meta, notice);
  return { count: segments.length, md5 };
}
