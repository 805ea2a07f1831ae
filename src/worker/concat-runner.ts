// One Concat job's media work, orchestrated: resolve every input to an object of the storage, fetch
// them in parallel into a temp directory of the job's own, probe, plan, run ffmpeg, upload the output
// (and its HLS segments), then describe the result (MediaInfo of the output, MediaResult with its MD5).
// The temp directory is removed in every outcome. The media layer decides how; this module decides what.
// Resource limits (job-limits.ts): free disk before fetching, input bytes while fetching, the planned
// output duration before ffmpeg, and a time limit over the whole job.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ConcatFragment, ConcatJobRequest, ConcatTemplate, ContainerFormat } from '../domain/concat-types.js';
import { concatTemplateOf, watermarksOf, type JobRecord, type JobResult } from '../domain/job.js';
import { concat, probeFile } from '../media/ffmpeg.js';
import { planConcat, type PlanBgmSource, type PlanSource, type PlanWatermark } from '../media/plan.js';
import { normalizeProbe, toMediaInfo } from '../media/probe.js';
import { assertBucketExists, downloadObject, uploadFile } from '../storage/objects.js';
import { downloadUrl } from '../storage/http-fetch.js';
import { resolveSourceUrl, UrlRefused, type SourceRef } from '../storage/resolve-url.js';
import { JobError } from './job-error.js';
import { ENGINE_OUTPUT_META } from '../workflows/upload-trigger.js';
import { objectKeyProblem } from '../domain/object-key.js';
import { checkFreeDisk, checkOutputDuration, InputBudget, NO_LIMITS, withJobTimeout, type JobLimits } from './job-limits.js';
import type { ConcatRunner, RunContext } from './media-worker.js';

export interface ConcatRunnerDeps {
  s3: S3Client;
  s3Endpoint: string;
  /** Job temp directories go under `<dataDir>/jobs`. */
  dataDir: string;
  /** FETCH_ALLOWED_HOSTS: hosts outside the storage that sources may be fetched from over HTTP. */
  fetchAllowedHosts?: readonly string[];
  limits?: JobLimits;
}

/** The extension `${ext}` stands for, per Container.Format. */
export const EXTENSIONS: Record<ContainerFormat, string> = { mp4: 'mp4', flv: 'flv', ts: 'ts', hls: 'm3u8', mp3: 'mp3', aac: 'aac' };

const CONTENT_TYPES: Record<string, string> = {
  mp4: 'video/mp4',
  flv: 'video/x-flv',
  ts: 'video/mp2t',
  m3u8: 'application/vnd.apple.mpegurl',
  mp3: 'audio/mpeg',
  aac: 'audio/aac',
};

/** A media input before it is fetched: where it is, where it goes locally, how messages name it. */
interface InputSpec {
  field: string;
  ref: SourceRef;
  fragment?: ConcatFragment;
}

/** Expands `${ext}` and `${jobid}` (any letter case) in Output.Object. */
export function expandOutputObject(object: string, ext: string, jobId: string): string {
  return object.replace(/\$\{ext\}/gi, ext).replace(/\$\{jobid\}/gi, jobId);
}

/**
 * The sources in playing order: fragments with Mode Start, then the Input, then Mode End (the template
 * way); otherwise the Input at Index (default 0) among the fragments (already ordered by FragmentIndex).
 */
export function orderSources(request: ConcatJobRequest, template: ConcatTemplate): Array<{ field: string; url: string; fragment?: ConcatFragment }> {
  const fragments = template.fragments.map((f, i) => ({ field: `ConcatFragment[${i}].Url`, url: f.url, fragment: f }));
  const input = request.input ? [{ field: 'Input.Object', url: request.input.object }] : [];
  if (template.fragments.some((f) => f.mode !== undefined)) {
    return [...fragments.filter((f) => f.fragment.mode !== 'End'), ...input, ...fragments.filter((f) => f.fragment.mode === 'End')];
  }
  const at = Math.min(template.index ?? 0, fragments.length);
  return [...fragments.slice(0, at), ...input, ...fragments.slice(at)];
}

function localName(key: string): string {
  const base = path.posix.basename(key).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return base === '' ? 'output' : base;
}

export function createConcatRunner(deps: ConcatRunnerDeps): ConcatRunner {
  return async (job, ctx) => {
    const template = concatTemplateOf(job);
    if (!template) throw new JobError('InvalidArgument', 'the job has no concat parameters (TemplateId or ConcatTemplate)');
    const limits = deps.limits ?? NO_LIMITS;
    const root = path.join(deps.dataDir, 'jobs');
    await mkdir(root, { recursive: true });
    await checkFreeDisk(root, limits.minFreeDiskBytes);
    const dir = await mkdtemp(path.join(root, `${job.jobId}-`));
    try {
      return await withJobTimeout(limits.timeoutSec, ctx.signal, (signal) => runInDir(deps, job, template, dir, { ...ctx, signal }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

async function runInDir(deps: ConcatRunnerDeps, job: JobRecord, template: ConcatTemplate, dir: string, ctx: RunContext): Promise<JobResult> {
  const { log, signal } = ctx;
  const limits = deps.limits ?? NO_LIMITS;
  const resolve = (field: string, url: string): SourceRef => {
    try {
      return resolveSourceUrl(url, job.bucket, deps.s3Endpoint, deps.fetchAllowedHosts ?? []);
    } catch (err) {
      if (err instanceof UrlRefused) throw new JobError('InvalidArgument', `${field}: ${err.message}`);
      throw err;
    }
  };

  const inputs: InputSpec[] = orderSources(job.request, template).map((s) => ({ field: s.field, ref: resolve(s.field, s.url), fragment: s.fragment }));
  const audioRemoved = template.audio?.remove === true;
  const mixes = audioRemoved ? [] : template.audioMix ? [template.audioMix] : template.audioMixArray;
  const bgmInputs = mixes.map((m, i) => ({ field: template.audioMix ? 'AudioMix.AudioSource' : `AudioMixArray[${i}].AudioSource`, ref: resolve('AudioSource', m.audioSource) }));
  // Image watermarks are inputs too: resolved and fetched like the fragments.
  const watermarks = watermarksOf(job);
  const markInputs = watermarks.flatMap((w, i) => (w.type === 'Image' && w.image ? [{ index: i, field: `Watermark[${i}].Image.Url`, ref: resolve(`Watermark[${i}].Image.Url`, w.image.url) }] : []));

  const output = job.request.operation.output;
  // The output bucket is checked while the inputs come in; a missing one is reported first, before ffmpeg runs.
  const bucketChecked = assertBucketExists(deps.s3, output.bucket, 'Output.Bucket');

  // Fetch everything in parallel, and probe each file as soon as it is in; each file keeps its
  // extension so probing and muxers see the real kind.
  const budget = new InputBudget(limits.maxInputBytes);
  const probeAs = async (file: string, label: string) => {
    try {
      return normalizeProbe(await probeFile(file));
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (e.code === 'ResourceNotSupported') throw new JobError('ResourceNotSupported', `${label} cannot be decoded as audio or video`);
      throw err;
    }
  };
  const fetchOne = async (spec: { field: string; ref: SourceRef }, name: string) => {
    const source = spec.ref.kind === 'object' ? (spec.ref.ref.keys[0] ?? '') : new URL(spec.ref.url).pathname;
    const ext = path.posix.extname(source).replace(/[^A-Za-z0-9.]/g, '').slice(0, 8);
    const file = path.join(dir, `${name}${ext}`);
    const got = spec.ref.kind === 'http'
      ? { key: source, ...(await downloadUrl(spec.ref.url, file, signal, budget)) }
      : await downloadObject(deps.s3, spec.ref.ref, file, signal, budget);
    return { file, key: got.key, bytes: got.bytes, probe: await probeAs(file, got.key) };
  };
  const timings: Record<string, number> = {};
  let phaseStart = Date.now();
  const phase = (name: string): void => {
    const now = Date.now();
    timings[`${name}Ms`] = now - phaseStart;
    phaseStart = now;
  };
  const [bucket, fetchedAll] = await Promise.allSettled([
    bucketChecked,
    Promise.all([
      Promise.all(inputs.map((s, i) => fetchOne(s, `in-${i}`))),
      Promise.all(bgmInputs.map((s, i) => fetchOne(s, `bgm-${i}`))),
      Promise.all(markInputs.map((s) => fetchOne(s, `wm-${s.index}`))),
    ]),
  ]);
  if (bucket.status === 'rejected') throw bucket.reason;
  if (fetchedAll.status === 'rejected') throw fetchedAll.reason;
  const [fetched, fetchedBgm, fetchedMarks] = fetchedAll.value;
  phase('fetchAndProbe');
  const all = [...fetched, ...fetchedBgm, ...fetchedMarks];
  log.info({ inputs: all.length, bytes: all.reduce((n, f) => n + f.bytes, 0), ms: timings.fetchAndProbeMs }, 'inputs fetched and probed');
  ctx.setProgress(5);

  const sources: PlanSource[] = fetched.map((f, i) => ({
    path: f.file,
    label: f.key,
    probe: f.probe,
    startTime: inputs[i]?.fragment?.startTime,
    endTime: inputs[i]?.fragment?.endTime,
  }));
  const bgm: PlanBgmSource[] = fetchedBgm.map((f) => ({ path: f.file, label: f.key, probe: f.probe }));
  const marks: PlanWatermark[] = watermarks.map((watermark, i) => {
    const k = markInputs.findIndex((m) => m.index === i);
    const f = fetchedMarks[k];
    return { watermark, label: `Watermark[${i}]`, ...(f ? { image: { path: f.file, label: f.key, probe: f.probe } } : {}) };
  });

  const ext = EXTENSIONS[template.container.format];
  const objectKey = expandOutputObject(output.object, ext, job.jobId);
  // Checked at submit for jobs; again here for outputs made by other paths (workflows, templates).
  const keyProblem = objectKeyProblem(objectKey);
  if (keyProblem) throw new JobError('InvalidArgument', `Output.Object: ${JSON.stringify(objectKey.slice(0, 200))} ${keyProblem}`);
  const outDir = path.join(dir, 'out');
  await mkdir(outDir, { recursive: true });
  const plan = planConcat({ sources, template, bgm, outputPath: path.join(outDir, localName(objectKey)), workDir: dir, watermarks: marks, fontAvailable: existsSync });
  log.info({ plan: summarizePlan(plan) }, 'plan');
  checkOutputDuration(plan.durationSec, limits.maxOutputDurationSec);

  phase('plan');
  await concat(plan, {
    signal,
    onProgress: (p) => ctx.setProgress(5 + p * 0.9),
    log: (event, data) => log.debug({ event, ...data }, event),
  });
  phase('ffmpeg');
  ctx.setProgress(95);

  // Upload: HLS segments first (the playlist names them relative to itself), then the main file.
  const keyDir = path.posix.dirname(objectKey) === '.' ? '' : `${path.posix.dirname(objectKey)}/`;
  const mainName = path.basename(plan.outputPath);
  const extra = template.container.format === 'hls' ? (await readdir(outDir)).filter((f) => f !== mainName).sort() : [];
  // Marks the object as the engine's own output: creating it starts no workflow.
  const engineMeta = { [ENGINE_OUTPUT_META]: job.jobId };
  // The output is described (ffprobe) while it uploads; segments go up a few at a time.
  const described = probeFile(plan.outputPath);
  described.catch(() => undefined);
  for (let k = 0; k < extra.length; k += 4) {
    await Promise.all(extra.slice(k, k + 4).map((name) => uploadFile(deps.s3, output.bucket, `${keyDir}${name}`, path.join(outDir, name), 'video/mp2t', engineMeta)));
  }
  const md5 = await uploadFile(deps.s3, output.bucket, objectKey, plan.outputPath, CONTENT_TYPES[ext] ?? 'application/octet-stream', engineMeta);
  const mediaInfo = toMediaInfo(await described);
  phase('upload');
  log.info({ object: objectKey, bucket: output.bucket, segments: extra.length, durationSec: mediaInfo.Format.Duration, ...timings }, 'output uploaded');

  return {
    mediaInfo: mediaInfo as unknown as Record<string, unknown>,
    mediaResult: {
      OutputFile: {
        Bucket: output.bucket,
        Region: output.region,
        ObjectPrefix: '',
        ObjectName: objectKey,
        Md5Info: { Md5: md5, ObjectName: objectKey },
      },
    },
  };
}

/** The plan without bulky repetition, for the job's log line. */
function summarizePlan(plan: ReturnType<typeof planConcat>): Record<string, unknown> {
  const base = { kind: plan.kind, durationSec: plan.durationSec, container: plan.container };
  if (plan.kind === 'copy') return { ...base, segments: plan.segments.map((s) => ({ label: s.label, durationSec: s.durationSec })) };
  return {
    ...base,
    video: plan.video,
    audio: plan.audio,
    bgm: plan.bgm,
    transition: plan.transition,
    watermarks: plan.watermarks,
    segments: plan.segments.map((s) => ({ label: s.label, trim: s.trim, durationSec: s.durationSec, video: s.video, audio: s.audio, scale: s.scale, pad: s.pad, changeFps: s.changeFps, resample: s.resample })),
  };
}
