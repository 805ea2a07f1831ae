// The concat runner with fake ports: frozen ffprobe fixtures stand for the fetched files, the fake run
// records the plan it is handed, the fake upload records what goes up. Each case asserts the exact plan
// and the exact ffmpeg argv (buildConcatArgs of that plan) a job leads to.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConcatJobRequest } from '../../src/wire/concat-request.js';
import type { JobRecord, JobResult } from '../../src/domain/job.js';
import { buildConcatArgs, buildCopyAudioArgs, buildCopyPictureArgs } from '../../src/media/args.js';
import { MediaProcessError } from '../../src/media/errors.js';
import type { ConcatPlan } from '../../src/media/plan.js';
import type { VerifyVerdict } from '../../src/media/verify.js';
import { StorageError } from '../../src/storage/errors.js';
import type { SourceRef } from '../../src/storage/resolve-url.js';
import type { Logger } from '../../src/logger.js';
import { createConcatRunner } from '../../src/worker/concat-runner.js';
import { newRunReport, type JobRunReport } from '../../src/metrics/engine-metrics.js';
import { failureOf } from '../../src/domain/errors.js';
import type { MediaPort, ObjectsPort } from '../../src/worker/ports.js';
import { syntheticKeyframeIndex } from '../helpers/keyframes.js';
import { loadProbeFixture, type ProbeFixture } from '../helpers/media.js';

/** A request tree as the XML reader hands it to the parser. */
type Tree = Record<string, unknown>;

const S3 = 'http://127.0.0.1:9000';
const BUCKET = 'media-1250000000';

/** Which fixture each object key stands for. */
const FIXTURES: Record<string, ProbeFixture> = {
  'clips/a.mp4': 'landscape-1280x720-30fps-aac',
  'clips/b.mp4': 'portrait-720x1280-25fps-aac',
  'input/main.mp4': 'landscape-1280x720-30fps-aac',
  'music/bgm.mp3': 'music-44100-stereo-mp3',
  'art/logo.png': 'logo-200x100-png',
  'clips/doc.txt': 'landscape-1280x720-30fps-aac',
};

interface Upload {
  bucket: string;
  key: string;
  file: string;
  contentType: string;
  metadata: Record<string, string>;
}

/** Fakes of both ports and what they saw. */
class Fakes {
  readonly fetched: { source: SourceRef; file: string }[] = [];
  readonly uploads: Upload[] = [];
  readonly plans: ConcatPlan[] = [];
  readonly progress: number[] = [];
  readonly logLines: string[] = [];
  /** The fields logged with each line, by its message. */
  readonly logFields = new Map<string, unknown>();
  /** Local file -> object key it was fetched from. */
  private readonly keyOf = new Map<string, string>();
  bucketMissing = false;
  failFetch?: string;
  notMedia?: string;
  /** Object keys whose keyframes were scanned, in order. */
  readonly scanned: string[] = [];
  failScan = false;
  /** Files the fake run leaves in the output directory besides the main file (HLS segments). */
  segments: string[] = [];
  /** What a copy run rejects with, if anything. */
  copyRunError?: MediaProcessError;
  /** Files only a copy run leaves in the output directory. */
  copyFiles: string[] = [];
  /** What verify answers for every copy output. */
  verdict: VerifyVerdict = { ok: true };
  readonly verified: ConcatPlan[] = [];
  /** The output directory's files after each run. */
  readonly outputs: string[][] = [];

  readonly media: MediaPort = {
    probe: (file) => {
      if (file.includes(`${path.sep}out${path.sep}`)) return Promise.resolve(loadProbeFixture('landscape-1280x720-30fps-aac'));
      const key = this.keyOf.get(file) ?? '';
      if (key === this.notMedia)
        return Promise.reject(new MediaProcessError('ResourceNotSupported', `"${path.basename(file)}" has no audio or video stream`));
      return Promise.resolve(loadProbeFixture(FIXTURES[key] ?? 'landscape-1280x720-30fps-aac'));
    },
    keyframes: (file) => {
      this.scanned.push(this.keyOf.get(file) ?? file);
      return this.failScan
        ? Promise.reject(new Error('ffprobe failed: truncated file'))
        : Promise.resolve(syntheticKeyframeIndex({ frames: 300, stream: { has_b_frames: 2 } }));
    },
    run: async (plan, opts) => {
      this.plans.push(plan);
      opts.onProgress(50);
      for (const name of this.segments) await writeFile(path.join(path.dirname(plan.outputPath), name), '');
      this.outputs.push(await readdir(path.dirname(plan.outputPath)));
    },
    copy: async (plan, opts) => {
      this.plans.push(plan);
      if (this.copyRunError) throw this.copyRunError;
      opts.onProgress(50);
      for (const name of [...this.segments, ...this.copyFiles]) await writeFile(path.join(path.dirname(plan.outputPath), name), '');
      this.outputs.push(await readdir(path.dirname(plan.outputPath)));
      this.verified.push(plan);
      return { verdict: this.verdict, verifyMs: 3 };
    },
    encodeChunk: () => Promise.reject(new Error('this runner does not split')),
    encodeAudioTrack: () => Promise.reject(new Error('this runner does not split')),
    checkChunk: () => Promise.reject(new Error('this runner does not split')),
    stitch: () => Promise.reject(new Error('this runner does not split')),
  };

  readonly objects: ObjectsPort = {
    fetch: (source, file) => {
      this.fetched.push({ source, file });
      const key = source.kind === 'object' ? source.ref.keys[0]! : new URL(source.url).pathname;
      if (key === this.failFetch)
        return Promise.reject(new StorageError('ResourceNotFound', `object ${key} does not exist in bucket ${BUCKET}`));
      this.keyOf.set(file, key);
      return Promise.resolve({ key, bytes: 1000 });
    },
    upload: (bucket, key, file, contentType, metadata) => {
      this.uploads.push({ bucket, key, file, contentType, metadata });
      return Promise.resolve(`md5-of-${key}`);
    },
    bucketExists: (bucket, field) => {
      if (this.bucketMissing)
        return Promise.reject(new StorageError('ResourceNotFound', `${field}: bucket ${bucket} does not exist in the storage`));
      return Promise.resolve();
    },
    removePrefix: () => Promise.resolve(0),
  };

  logger(): Logger {
    const line = (obj: unknown, msg?: string): void => {
      this.logLines.push(typeof obj === 'string' ? obj : (msg ?? ''));
      if (typeof obj !== 'string' && msg) this.logFields.set(msg, obj);
    };
    return { info: line, debug: () => undefined, warn: line, error: line } as unknown as Logger;
  }
}

let dataDir: string;
let fakes: Fakes;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'concat-runner-'));
  fakes = new Fakes();
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function jobOf(operation: Tree, extra: Tree = {}): JobRecord {
  const request = parseConcatJobRequest({
    Tag: 'Concat',
    ...extra,
    Operation: { Output: { Region: 'ap-guangzhou', Bucket: BUCKET, Object: 'out/${jobid}.${ext}' }, ...operation },
  });
  return {
    jobId: 'j0123456789abcdef0123456789abcdef',
    tag: 'Concat',
    bucket: BUCKET,
    region: 'ap-guangzhou',
    queueId: 'p0123456789abcdef0123456789abcdef',
    creationMs: 0,
    request,
    state: 'Running',
    progress: 0,
    code: '',
    message: '',
    callback: { delivery: 'None', attempts: 0 },
  };
}

async function run(job: JobRecord, autoCopy?: boolean, report?: JobRunReport): Promise<JobResult> {
  const runner = createConcatRunner({
    media: fakes.media,
    objects: fakes.objects,
    s3Endpoint: S3,
    dataDir,
    ...(autoCopy !== undefined ? { autoCopy } : {}),
  });
  return runner(job, {
    log: fakes.logger(),
    signal: new AbortController().signal,
    setProgress: (p) => fakes.progress.push(p),
    ...(report ? { report } : {}),
  });
}

/** The one plan handed to run, with the job's temp directory written as $DIR. */
function planAndArgs(): { plan: unknown; args: string[]; runs: string[][] } {
  expect(fakes.plans).toHaveLength(1);
  const plan = fakes.plans[0]!;
  const dir = plan.workDir;
  const scrub = <T>(v: T): T => JSON.parse(JSON.stringify(v).split(dir).join('$DIR')) as T;
  const args = buildConcatArgs(plan);
  // A hybrid copy's picture and sound are made first, then muxed by the run that writes the output.
  const before =
    plan.kind === 'copy' && plan.parts && plan.audioEncode
      ? [buildCopyPictureArgs(plan, plan.parts), buildCopyAudioArgs(plan, plan.audioEncode, plan.parts)]
      : [];
  return { plan: scrub(plan), args: scrub(args), runs: scrub([...before, args]) };
}

/** The three runs of a hybrid copy of the two 10 s fragments: the picture, the sound encoded with `a`, their mux. */
function hybridRuns(a: { rate: number; layout: string; channels: number; kbps: number }): string[][] {
  const head = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'level+warning'];
  const job = '$DIR/j0123456789abcdef0123456789abcdef';
  const fragment = (i: number) =>
    `[${i}:a:0]aresample=${a.rate},aformat=sample_fmts=fltp:channel_layouts=${a.layout},atrim=end=10,apad=whole_dur=10[a${i}]`;
  return [
    [
      ...head,
      ...['-f', 'concat', '-safe', '0', '-protocol_whitelist', 'file', '-i', `${job}.concat.txt`],
      ...['-map', '0:v:0', '-c:v', 'copy', '-f', 'mp4', `${job}.picture.mp4`],
    ],
    [
      ...head,
      ...['-protocol_whitelist', 'file', '-i', '$DIR/in-0.mp4', '-protocol_whitelist', 'file', '-i', '$DIR/in-1.mp4'],
      '-filter_complex',
      `${fragment(0)};${fragment(1)};[a0][a1]concat=n=2:v=0:a=1[aout]`,
      ...['-map', '[aout]', '-c:a', 'aac', '-ar', String(a.rate), '-ac', String(a.channels), '-b:a', `${a.kbps}k`],
      ...['-progress', 'pipe:1', '-nostats', '-f', 'mp4', `${job}.audio.mp4`],
    ],
    [
      ...head,
      '-copyts',
      ...['-protocol_whitelist', 'file', '-i', `${job}.picture.mp4`],
      ...['-protocol_whitelist', 'file', '-i', `${job}.audio.mp4`],
      ...['-map', '0:v:0', '-map', '1:a:0', '-c', 'copy'],
      ...['-f', 'mp4', '-movflags', '+faststart', '-progress', 'pipe:1', '-nostats'],
      '$DIR/out/j0123456789abcdef0123456789abcdef.mp4',
    ],
  ];
}

async function runFailure(job: JobRecord, autoCopy?: boolean): Promise<{ code: string; message: string }> {
  const err = await run(job, autoCopy).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeDefined();
  return failureOf(err);
}

const FRAGMENT = (url: string, extra: Tree = {}): Tree => ({ Url: url, ...extra });

describe('createConcatRunner with fake ports', () => {
  it('plain encode of two fragments: trims, labels, progress, log lines, upload and result', async () => {
    const result = await run(
      jobOf({
        ConcatTemplate: {
          ConcatFragment: [FRAGMENT('clips/a.mp4', { StartTime: '1', EndTime: '3' }), FRAGMENT('clips/b.mp4')],
          Container: { Format: 'mp4' },
        },
      }),
    );
    expect(fakes.fetched.map((f) => path.basename(f.file))).toEqual(['in-0.mp4', 'in-1.mp4']);
    const { plan, args } = planAndArgs();
    expect(plan).toEqual({
      path: 'encode',
      reason: 'automatic stream copy is off (AUTO_COPY)',
      kind: 'encode',
      outputPath: '$DIR/out/j0123456789abcdef0123456789abcdef.mp4',
      workDir: '$DIR',
      durationSec: 10,
      container: { format: 'mp4', muxer: 'mp4', faststart: true },
      segments: [
        {
          path: '$DIR/in-0.mp4',
          label: 'clips/a.mp4',
          durationSec: 2,
          video: 'source',
          audio: 'source',
          scale: false,
          pad: false,
          changeFps: false,
          resample: false,
          trim: { startSec: 1, durationSec: 2 },
        },
        {
          path: '$DIR/in-1.mp4',
          label: 'clips/b.mp4',
          durationSec: 8,
          video: 'source',
          audio: 'source',
          scale: true,
          pad: true,
          changeFps: true,
          resample: true,
        },
      ],
      video: {
        encoder: 'libx264',
        profile: 'high',
        rate: { mode: 'crf', crf: 25 },
        width: 1280,
        height: 720,
        fps: 30,
        frameRate: '30',
        pixFmt: 'yuv420p',
        rotate: 0,
      },
      audio: { codec: 'aac', encoder: 'aac', sampleRate: 48000, channels: 2, channelLayout: 'stereo', bitrateKbps: 128 },
    });
    expect(args).toEqual([
      '-hide_banner',
      '-nostdin',
      '-y',
      '-loglevel',
      'level+warning',
      '-ss',
      '1',
      '-t',
      '2',
      '-protocol_whitelist',
      'file',
      '-i',
      '$DIR/in-0.mp4',
      '-protocol_whitelist',
      'file',
      '-i',
      '$DIR/in-1.mp4',
      '-filter_complex',
      '[0:v:0]scale=1280:720:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30,format=yuv420p[v0];[0:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=end=2[a0];[1:v:0]scale=1280:720:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30,format=yuv420p[v1];[1:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=end=8[a1];[v0][a0][v1][a1]concat=n=2:v=1:a=1[vout][aout]',
      '-map',
      '[vout]',
      '-map',
      '[aout]',
      '-c:v',
      'libx264',
      '-profile:v',
      'high',
      '-crf',
      '25',
      '-c:a',
      'aac',
      '-ar',
      '48000',
      '-ac',
      '2',
      '-b:a',
      '128k',
      '-f',
      'mp4',
      '-movflags',
      '+faststart',
      '-progress',
      'pipe:1',
      '-nostats',
      '$DIR/out/j0123456789abcdef0123456789abcdef.mp4',
    ]);
    expect(fakes.progress).toEqual([5, 50, 95]);
    expect(fakes.logLines).toEqual(['inputs fetched and probed', 'plan', 'output uploaded']);
    expect(fakes.uploads.map(({ file: _file, ...u }) => u)).toEqual([
      {
        bucket: BUCKET,
        key: 'out/j0123456789abcdef0123456789abcdef.mp4',
        contentType: 'video/mp4',
        metadata: { 'ci-engine-job': 'j0123456789abcdef0123456789abcdef' },
      },
    ]);
    expect(result.mediaResult).toEqual({
      OutputFile: {
        Bucket: BUCKET,
        Region: 'ap-guangzhou',
        ObjectPrefix: '',
        ObjectName: 'out/j0123456789abcdef0123456789abcdef.mp4',
        Md5Info: { Md5: 'md5-of-out/j0123456789abcdef0123456789abcdef.mp4', ObjectName: 'out/j0123456789abcdef0123456789abcdef.mp4' },
      },
    });
    expect(result.mediaInfo).toMatchObject({ Format: { Duration: expect.any(String) }, Stream: expect.any(Object) });
  });

  it('the job Input placed at Index among the fragments', async () => {
    await run(
      jobOf(
        {
          ConcatTemplate: {
            ConcatFragment: [FRAGMENT('clips/a.mp4'), FRAGMENT('clips/b.mp4')],
            Index: '1',
            Container: { Format: 'mp4' },
            DirectConcat: 'false',
          },
        },
        { Input: { Object: 'input/main.mp4' } },
      ),
    );
    expect(fakes.fetched.map((f) => [path.basename(f.file), f.source])).toEqual([
      ['in-0.mp4', { kind: 'object', ref: { bucket: BUCKET, keys: ['clips/a.mp4'] } }],
      ['in-1.mp4', { kind: 'object', ref: { bucket: BUCKET, keys: ['input/main.mp4'] } }],
      ['in-2.mp4', { kind: 'object', ref: { bucket: BUCKET, keys: ['clips/b.mp4'] } }],
    ]);
    const { plan, args } = planAndArgs();
    expect(plan).toEqual({
      path: 'encode',
      reason: 'automatic stream copy is off (AUTO_COPY)',
      kind: 'encode',
      outputPath: '$DIR/out/j0123456789abcdef0123456789abcdef.mp4',
      workDir: '$DIR',
      durationSec: 28,
      container: { format: 'mp4', muxer: 'mp4', faststart: true },
      segments: [
        {
          path: '$DIR/in-0.mp4',
          label: 'clips/a.mp4',
          durationSec: 10,
          video: 'source',
          audio: 'source',
          scale: false,
          pad: false,
          changeFps: false,
          resample: false,
        },
        {
          path: '$DIR/in-1.mp4',
          label: 'input/main.mp4',
          durationSec: 10,
          video: 'source',
          audio: 'source',
          scale: false,
          pad: false,
          changeFps: false,
          resample: false,
        },
        {
          path: '$DIR/in-2.mp4',
          label: 'clips/b.mp4',
          durationSec: 8,
          video: 'source',
          audio: 'source',
          scale: true,
          pad: true,
          changeFps: true,
          resample: true,
        },
      ],
      video: {
        encoder: 'libx264',
        profile: 'high',
        rate: { mode: 'crf', crf: 25 },
        width: 1280,
        height: 720,
        fps: 30,
        frameRate: '30',
        pixFmt: 'yuv420p',
        rotate: 0,
      },
      audio: { codec: 'aac', encoder: 'aac', sampleRate: 48000, channels: 2, channelLayout: 'stereo', bitrateKbps: 128 },
    });
    expect(args).toEqual([
      '-hide_banner',
      '-nostdin',
      '-y',
      '-loglevel',
      'level+warning',
      '-protocol_whitelist',
      'file',
      '-i',
      '$DIR/in-0.mp4',
      '-protocol_whitelist',
      'file',
      '-i',
      '$DIR/in-1.mp4',
      '-protocol_whitelist',
      'file',
      '-i',
      '$DIR/in-2.mp4',
      '-filter_complex',
      '[0:v:0]scale=1280:720:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30,format=yuv420p[v0];[0:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=end=10[a0];[1:v:0]scale=1280:720:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30,format=yuv420p[v1];[1:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=end=10[a1];[2:v:0]scale=1280:720:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30,format=yuv420p[v2];[2:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=end=8[a2];[v0][a0][v1][a1][v2][a2]concat=n=3:v=1:a=1[vout][aout]',
      '-map',
      '[vout]',
      '-map',
      '[aout]',
      '-c:v',
      'libx264',
      '-profile:v',
      'high',
      '-crf',
      '25',
      '-c:a',
      'aac',
      '-ar',
      '48000',
      '-ac',
      '2',
      '-b:a',
      '128k',
      '-f',
      'mp4',
      '-movflags',
      '+faststart',
      '-progress',
      'pipe:1',
      '-nostats',
      '$DIR/out/j0123456789abcdef0123456789abcdef.mp4',
    ]);
  });

  it('DirectConcat: the picture copied through the list, the audio encoded once with the Audio settings; the plan log line says so', async () => {
    await run(
      jobOf({
        ConcatTemplate: {
          ConcatFragment: [FRAGMENT('clips/a.mp4'), FRAGMENT('input/main.mp4')],
          Container: { Format: 'mp4' },
          Audio: { Codec: 'aac', Samplerate: '44100', Bitrate: '96', Channels: '1' },
          DirectConcat: 'true',
        },
      }),
    );
    const { plan, runs } = planAndArgs();
    const audioEncode = { codec: 'aac', encoder: 'aac', sampleRate: 44100, channels: 1, channelLayout: 'mono', bitrateKbps: 96 };
    expect(plan).toEqual({
      path: 'hybrid',
      reason: 'DirectConcat',
      kind: 'copy',
      outputPath: '$DIR/out/j0123456789abcdef0123456789abcdef.mp4',
      workDir: '$DIR',
      durationSec: 20,
      container: { format: 'mp4', muxer: 'mp4', faststart: true },
      segments: [
        { path: '$DIR/in-0.mp4', label: 'clips/a.mp4', durationSec: 10, videoDurationSec: 10, frames: 300 },
        { path: '$DIR/in-1.mp4', label: 'input/main.mp4', durationSec: 10, videoDurationSec: 10, frames: 300 },
      ],
      listFilePath: '$DIR/j0123456789abcdef0123456789abcdef.concat.txt',
      video: true,
      audio: true,
      fps: 30,
      listStream: { exactStreamId: 1 },
      audioEncode,
      parts: {
        pictureFile: '$DIR/j0123456789abcdef0123456789abcdef.picture.mp4',
        audioFile: '$DIR/j0123456789abcdef0123456789abcdef.audio.mp4',
      },
    });
    expect(runs).toEqual(hybridRuns({ rate: 44100, layout: 'mono', channels: 1, kbps: 96 }));
    expect(fakes.logFields.get('plan')).toEqual({
      plan: {
        path: 'hybrid',
        reason: 'DirectConcat',
        kind: 'copy',
        durationSec: 20,
        container: { format: 'mp4', muxer: 'mp4', faststart: true },
        video: 'copy',
        audio: audioEncode,
        segments: [
          { label: 'clips/a.mp4', durationSec: 10, videoDurationSec: 10 },
          { label: 'input/main.mp4', durationSec: 10, videoDurationSec: 10 },
        ],
      },
    });
  });

  it('AUTO_COPY on: two identical fragments without DirectConcat take the hybrid path; the plan log line says which and why', async () => {
    const job = jobOf({
      ConcatTemplate: {
        ConcatFragment: [FRAGMENT('clips/a.mp4'), FRAGMENT('input/main.mp4')],
        Container: { Format: 'mp4' },
        Video: { Codec: 'H.264' },
      },
    });
    await run(job, true);
    const { plan, runs } = planAndArgs();
    const reason = 'fragments match: picture copied, audio re-encoded once so every join stays in sync';
    const audioEncode = { codec: 'aac', encoder: 'aac', sampleRate: 48000, channels: 2, channelLayout: 'stereo', bitrateKbps: 128 };
    expect(plan).toEqual({
      kind: 'copy',
      path: 'hybrid',
      reason,
      outputPath: '$DIR/out/j0123456789abcdef0123456789abcdef.mp4',
      workDir: '$DIR',
      durationSec: 20,
      container: { format: 'mp4', muxer: 'mp4', faststart: true },
      segments: [
        { path: '$DIR/in-0.mp4', label: 'clips/a.mp4', durationSec: 10, videoDurationSec: 10, frames: 300 },
        { path: '$DIR/in-1.mp4', label: 'input/main.mp4', durationSec: 10, videoDurationSec: 10, frames: 300 },
      ],
      listFilePath: '$DIR/j0123456789abcdef0123456789abcdef.concat.txt',
      video: true,
      audio: true,
      fps: 30,
      listStream: { exactStreamId: 1 },
      audioEncode,
      parts: {
        pictureFile: '$DIR/j0123456789abcdef0123456789abcdef.picture.mp4',
        audioFile: '$DIR/j0123456789abcdef0123456789abcdef.audio.mp4',
      },
    });
    expect(runs).toEqual(hybridRuns({ rate: 48000, layout: 'stereo', channels: 2, kbps: 128 }));
    expect(fakes.logFields.get('plan')).toMatchObject({
      plan: { path: 'hybrid', reason, kind: 'copy', video: 'copy', audio: audioEncode },
    });

    // The same job with AUTO_COPY off: today's encode, argv and all.
    const off = new Fakes();
    fakes = off;
    await run(job, false);
    const encoded = planAndArgs();
    expect(encoded.plan).toMatchObject({ kind: 'encode', path: 'encode', reason: 'automatic stream copy is off (AUTO_COPY)' });
    const at = encoded.args.indexOf('-c:v');
    expect(encoded.args.slice(at, at + 14)).toEqual([
      ...['-c:v', 'libx264', '-profile:v', 'high', '-crf', '25'],
      ...['-c:a', 'aac', '-ar', '48000', '-ac', '2', '-b:a', '128k'],
    ]);
    expect(off.logFields.get('plan')).toMatchObject({ plan: { path: 'encode', reason: 'automatic stream copy is off (AUTO_COPY)' } });
  });

  it('AUTO_COPY on: a job the fragments cannot be copied for gets exactly the argv of AUTO_COPY off, and says why', async () => {
    const job = jobOf({
      ConcatTemplate: {
        ConcatFragment: [FRAGMENT('clips/a.mp4'), FRAGMENT('clips/b.mp4')],
        Container: { Format: 'mp4' },
      },
    });
    await run(job, true);
    const on = planAndArgs();
    const onFakes = fakes;
    fakes = new Fakes();
    await run(job, false);
    const off = planAndArgs();
    expect(on.args).toEqual(off.args);
    expect(on.plan).toMatchObject({ path: 'encode', reason: '"clips/b.mp4" has video 720x1280 but "clips/a.mp4" has 1280x720' });
    expect(onFakes.logFields.get('plan')).toMatchObject({
      plan: { path: 'encode', reason: '"clips/b.mp4" has video 720x1280 but "clips/a.mp4" has 1280x720' },
    });
  });

  it('AUTO_COPY on: a trimmed H.264 MP4 fragment is scanned for keyframes and smart-cut; the plan log line says so', async () => {
    const job = jobOf({
      ConcatTemplate: {
        ConcatFragment: [FRAGMENT('clips/a.mp4', { StartTime: '1.52', EndTime: '8.2' }), FRAGMENT('input/main.mp4')],
        Container: { Format: 'mp4' },
      },
    });
    await run(job, true);
    // Every H.264 MP4 fragment is scanned: the untrimmed one is copied only if it starts with an IDR picture and is not open-GOP.
    expect(fakes.scanned).toEqual(['clips/a.mp4', 'input/main.mp4']);
    const { plan, runs } = planAndArgs();
    // 1.52 s is 0.6 frame into frame 45: frames 46..246 kept (less than 6.68 s after frame 46); IDR pictures every 30 frames.
    expect(plan).toMatchObject({
      kind: 'copy',
      path: 'smartcut',
      reason:
        'fragments match: picture copied, audio re-encoded once so every join stays in sync; trimmed fragment "clips/a.mp4" cut frame-exact: 21 of 501 frames re-encoded at the cuts, the rest copied',
      durationSec: 16.7,
      segments: [
        {
          label: 'clips/a.mp4',
          durationSec: 6.7,
          videoDurationSec: 6.7,
          smartCut: {
            firstFrame: 46,
            frameCount: 201,
            pieces: [
              { kind: 'encode', firstFrame: 46, frameCount: 14, outputPath: '$DIR/j0123456789abcdef0123456789abcdef-cut0-0.mp4' },
              { kind: 'copy', firstFrame: 60, frameCount: 180, inpointSec: 2, source: '$DIR/in-0.mp4' },
              { kind: 'encode', firstFrame: 240, frameCount: 7, outputPath: '$DIR/j0123456789abcdef0123456789abcdef-cut0-2.mp4' },
            ],
          },
        },
        { label: 'input/main.mp4', durationSec: 10, videoDurationSec: 10 },
      ],
    });
    // The re-encoded pieces carry their own parameter sets: avc3 in the picture's MP4 and in the output.
    const [picture, , mux] = runs;
    expect(picture!.slice(picture!.indexOf('-c:v'), picture!.indexOf('-c:v') + 4)).toEqual(['-c:v', 'copy', '-tag:v', 'avc3']);
    expect(mux!.slice(mux!.indexOf('-c'), mux!.indexOf('-c') + 4)).toEqual(['-c', 'copy', '-tag:v', 'avc3']);
    expect(fakes.logFields.get('plan')).toMatchObject({
      plan: {
        path: 'smartcut',
        segments: [{ smartCut: { firstFrame: 46, frames: 201, pieces: ['encode 46+14', 'copy 60+180', 'encode 240+7'] } }, {}],
      },
    });
  });

  it('no keyframe scan with AUTO_COPY off; a failed scan is logged and the trimmed fragment is encoded', async () => {
    const job = jobOf({
      ConcatTemplate: {
        ConcatFragment: [FRAGMENT('clips/a.mp4', { StartTime: '1.52', EndTime: '8.2' }), FRAGMENT('input/main.mp4')],
        Container: { Format: 'mp4' },
      },
    });
    await run(job, false);
    expect(fakes.scanned).toEqual([]);
    fakes = new Fakes();
    fakes.failScan = true;
    await run(job, true);
    expect(fakes.scanned).toEqual(['clips/a.mp4', 'input/main.mp4']);
    expect(fakes.logLines).toContain('keyframe scan failed');
    expect(planAndArgs().plan).toMatchObject({ kind: 'encode', path: 'encode', reason: 'fragment "clips/a.mp4" is trimmed' });
  });

  it('AudioMix background music is fetched after the fragments and mixed in', async () => {
    await run(
      jobOf({
        ConcatTemplate: {
          ConcatFragment: [FRAGMENT('clips/a.mp4')],
          Container: { Format: 'mp4' },
          AudioMix: { AudioSource: 'music/bgm.mp3', MixMode: 'Repeat', Replace: 'false' },
        },
      }),
    );
    expect(fakes.fetched.map((f) => path.basename(f.file))).toEqual(['in-0.mp4', 'bgm-0.mp3']);
    const { plan, args } = planAndArgs();
    expect(plan).toEqual({
      path: 'encode',
      reason: 'automatic stream copy is off (AUTO_COPY)',
      kind: 'encode',
      outputPath: '$DIR/out/j0123456789abcdef0123456789abcdef.mp4',
      workDir: '$DIR',
      durationSec: 10,
      container: { format: 'mp4', muxer: 'mp4', faststart: true },
      segments: [
        {
          path: '$DIR/in-0.mp4',
          label: 'clips/a.mp4',
          durationSec: 10,
          video: 'source',
          audio: 'source',
          scale: false,
          pad: false,
          changeFps: false,
          resample: false,
        },
      ],
      video: {
        encoder: 'libx264',
        profile: 'high',
        rate: { mode: 'crf', crf: 25 },
        width: 1280,
        height: 720,
        fps: 30,
        frameRate: '30',
        pixFmt: 'yuv420p',
        rotate: 0,
      },
      audio: { codec: 'aac', encoder: 'aac', sampleRate: 48000, channels: 2, channelLayout: 'stereo', bitrateKbps: 128 },
      bgm: { tracks: [{ path: '$DIR/bgm-0.mp3', label: 'music/bgm.mp3', durationSec: 6.034286, loop: true }], replace: false },
    });
    expect(args).toEqual([
      '-hide_banner',
      '-nostdin',
      '-y',
      '-loglevel',
      'level+warning',
      '-protocol_whitelist',
      'file',
      '-i',
      '$DIR/in-0.mp4',
      '-stream_loop',
      '-1',
      '-protocol_whitelist',
      'file',
      '-i',
      '$DIR/bgm-0.mp3',
      '-filter_complex',
      '[0:v:0]scale=1280:720:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30,format=yuv420p[v0];[0:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=end=10[a0];[v0][a0]concat=n=1:v=1:a=1[vout][acat];[1:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,atrim=duration=10[bgm];[acat][bgm]amix=inputs=2:duration=longest:dropout_transition=0:normalize=0,atrim=duration=10[aout]',
      '-map',
      '[vout]',
      '-map',
      '[aout]',
      '-c:v',
      'libx264',
      '-profile:v',
      'high',
      '-crf',
      '25',
      '-c:a',
      'aac',
      '-ar',
      '48000',
      '-ac',
      '2',
      '-b:a',
      '128k',
      '-f',
      'mp4',
      '-movflags',
      '+faststart',
      '-progress',
      'pipe:1',
      '-nostats',
      '$DIR/out/j0123456789abcdef0123456789abcdef.mp4',
    ]);
  });

  it('Image watermarks: each image fetched as wm-<its index> and drawn', async () => {
    const mark = (dx: string): Tree => ({
      Type: 'Image',
      Pos: 'TopRight',
      LocMode: 'Absolute',
      Dx: dx,
      Dy: '10',
      Image: { Url: 'art/logo.png', Mode: 'Original', Transparency: '80' },
    });
    await run(
      jobOf({
        ConcatTemplate: { ConcatFragment: [FRAGMENT('clips/a.mp4')], Container: { Format: 'mp4' } },
        Watermark: [mark('10'), mark('40')],
      }),
    );
    expect(fakes.fetched.map((f) => path.basename(f.file))).toEqual(['in-0.mp4', 'wm-0.png', 'wm-1.png']);
    const { plan, args } = planAndArgs();
    expect(plan).toEqual({
      path: 'encode',
      reason: 'automatic stream copy is off (AUTO_COPY)',
      kind: 'encode',
      outputPath: '$DIR/out/j0123456789abcdef0123456789abcdef.mp4',
      workDir: '$DIR',
      durationSec: 10,
      container: { format: 'mp4', muxer: 'mp4', faststart: true },
      segments: [
        {
          path: '$DIR/in-0.mp4',
          label: 'clips/a.mp4',
          durationSec: 10,
          video: 'source',
          audio: 'source',
          scale: false,
          pad: false,
          changeFps: false,
          resample: false,
        },
      ],
      video: {
        encoder: 'libx264',
        profile: 'high',
        rate: { mode: 'crf', crf: 25 },
        width: 1280,
        height: 720,
        fps: 30,
        frameRate: '30',
        pixFmt: 'yuv420p',
        rotate: 0,
      },
      audio: { codec: 'aac', encoder: 'aac', sampleRate: 48000, channels: 2, channelLayout: 'stereo', bitrateKbps: 128 },
      watermarks: [
        {
          kind: 'image',
          label: 'Watermark[0]',
          position: { mode: 'anchor', anchor: 'TopRight', dxPx: 10, dyPx: 10 },
          alpha: 0.8,
          path: '$DIR/wm-0.png',
          source: 'art/logo.png',
          width: 200,
          height: 100,
          scale: false,
        },
        {
          kind: 'image',
          label: 'Watermark[1]',
          position: { mode: 'anchor', anchor: 'TopRight', dxPx: 40, dyPx: 10 },
          alpha: 0.8,
          path: '$DIR/wm-1.png',
          source: 'art/logo.png',
          width: 200,
          height: 100,
          scale: false,
        },
      ],
    });
    expect(args).toEqual([
      '-hide_banner',
      '-nostdin',
      '-y',
      '-loglevel',
      'level+warning',
      '-protocol_whitelist',
      'file',
      '-i',
      '$DIR/in-0.mp4',
      '-protocol_whitelist',
      'file',
      '-i',
      '$DIR/wm-0.png',
      '-protocol_whitelist',
      'file',
      '-i',
      '$DIR/wm-1.png',
      '-filter_complex',
      '[0:v:0]scale=1280:720:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30,format=yuv420p[v0];[0:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=end=10[a0];[v0][a0]concat=n=1:v=1:a=1[vjoin][aout];[1:v:0]format=rgba,colorchannelmixer=aa=0.8[wmimg0];[vjoin][wmimg0]overlay=x=W-w-10:y=10[wm0];[2:v:0]format=rgba,colorchannelmixer=aa=0.8[wmimg1];[wm0][wmimg1]overlay=x=W-w-40:y=10[vout]',
      '-map',
      '[vout]',
      '-map',
      '[aout]',
      '-c:v',
      'libx264',
      '-profile:v',
      'high',
      '-crf',
      '25',
      '-c:a',
      'aac',
      '-ar',
      '48000',
      '-ac',
      '2',
      '-b:a',
      '128k',
      '-f',
      'mp4',
      '-movflags',
      '+faststart',
      '-progress',
      'pipe:1',
      '-nostats',
      '$DIR/out/j0123456789abcdef0123456789abcdef.mp4',
    ]);
  });

  it('HLS output: the segments go up first, four at a time, then the playlist', async () => {
    fakes.segments = [
      'j0123456789abcdef0123456789abcdef-00000.ts',
      'j0123456789abcdef0123456789abcdef-00001.ts',
      'j0123456789abcdef0123456789abcdef-00002.ts',
      'j0123456789abcdef0123456789abcdef-00003.ts',
      'j0123456789abcdef0123456789abcdef-00004.ts',
    ];
    const result = await run(
      jobOf({ ConcatTemplate: { ConcatFragment: [FRAGMENT('clips/a.mp4'), FRAGMENT('clips/b.mp4')], Container: { Format: 'hls' } } }),
    );
    const { plan, args } = planAndArgs();
    expect(plan).toEqual({
      path: 'encode',
      reason: 'automatic stream copy is off (AUTO_COPY)',
      kind: 'encode',
      outputPath: '$DIR/out/j0123456789abcdef0123456789abcdef.m3u8',
      workDir: '$DIR',
      durationSec: 18,
      container: {
        format: 'hls',
        muxer: 'hls',
        faststart: false,
        hls: { segmentSec: 10, segmentPattern: '$DIR/out/j0123456789abcdef0123456789abcdef-%05d.ts' },
      },
      segments: [
        {
          path: '$DIR/in-0.mp4',
          label: 'clips/a.mp4',
          durationSec: 10,
          video: 'source',
          audio: 'source',
          scale: false,
          pad: false,
          changeFps: false,
          resample: false,
        },
        {
          path: '$DIR/in-1.mp4',
          label: 'clips/b.mp4',
          durationSec: 8,
          video: 'source',
          audio: 'source',
          scale: true,
          pad: true,
          changeFps: true,
          resample: true,
        },
      ],
      video: {
        encoder: 'libx264',
        profile: 'high',
        rate: { mode: 'crf', crf: 25 },
        width: 1280,
        height: 720,
        fps: 30,
        frameRate: '30',
        pixFmt: 'yuv420p',
        rotate: 0,
        keyframeEverySec: 10,
      },
      audio: { codec: 'aac', encoder: 'aac', sampleRate: 48000, channels: 2, channelLayout: 'stereo', bitrateKbps: 128 },
    });
    expect(args).toEqual([
      '-hide_banner',
      '-nostdin',
      '-y',
      '-loglevel',
      'level+warning',
      '-protocol_whitelist',
      'file',
      '-i',
      '$DIR/in-0.mp4',
      '-protocol_whitelist',
      'file',
      '-i',
      '$DIR/in-1.mp4',
      '-filter_complex',
      '[0:v:0]scale=1280:720:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30,format=yuv420p[v0];[0:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=end=10[a0];[1:v:0]scale=1280:720:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30,format=yuv420p[v1];[1:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=end=8[a1];[v0][a0][v1][a1]concat=n=2:v=1:a=1[vout][aout]',
      '-map',
      '[vout]',
      '-map',
      '[aout]',
      '-c:v',
      'libx264',
      '-profile:v',
      'high',
      '-crf',
      '25',
      '-force_key_frames',
      'expr:gte(t,n_forced*10)',
      '-c:a',
      'aac',
      '-ar',
      '48000',
      '-ac',
      '2',
      '-b:a',
      '128k',
      '-f',
      'hls',
      '-hls_time',
      '10',
      '-hls_playlist_type',
      'vod',
      '-hls_segment_filename',
      '$DIR/out/j0123456789abcdef0123456789abcdef-%05d.ts',
      '-progress',
      'pipe:1',
      '-nostats',
      '$DIR/out/j0123456789abcdef0123456789abcdef.m3u8',
    ]);
    expect(fakes.uploads.map((u) => [u.key, u.contentType])).toEqual([
      ['out/j0123456789abcdef0123456789abcdef-00000.ts', 'video/mp2t'],
      ['out/j0123456789abcdef0123456789abcdef-00001.ts', 'video/mp2t'],
      ['out/j0123456789abcdef0123456789abcdef-00002.ts', 'video/mp2t'],
      ['out/j0123456789abcdef0123456789abcdef-00003.ts', 'video/mp2t'],
      ['out/j0123456789abcdef0123456789abcdef-00004.ts', 'video/mp2t'],
      ['out/j0123456789abcdef0123456789abcdef.m3u8', 'application/vnd.apple.mpegurl'],
    ]);
    expect(result.mediaResult).toMatchObject({
      OutputFile: {
        ObjectName: 'out/j0123456789abcdef0123456789abcdef.m3u8',
        Md5Info: { Md5: 'md5-of-out/j0123456789abcdef0123456789abcdef.m3u8' },
      },
    });
  });

  it('a missing output bucket is reported before an input that failed to fetch', async () => {
    fakes.bucketMissing = true;
    fakes.failFetch = 'clips/b.mp4';
    const failure = await runFailure(
      jobOf({ ConcatTemplate: { ConcatFragment: [FRAGMENT('clips/a.mp4'), FRAGMENT('clips/b.mp4')], Container: { Format: 'mp4' } } }),
    );
    expect(failure).toEqual({ code: 'ResourceNotFound', message: `Output.Bucket: bucket ${BUCKET} does not exist in the storage` });
    expect(fakes.plans).toEqual([]);
    expect(fakes.uploads).toEqual([]);
  });

  it('an input that failed to fetch ends the job with the storage failure', async () => {
    fakes.failFetch = 'clips/b.mp4';
    const failure = await runFailure(
      jobOf({ ConcatTemplate: { ConcatFragment: [FRAGMENT('clips/a.mp4'), FRAGMENT('clips/b.mp4')], Container: { Format: 'mp4' } } }),
    );
    expect(failure).toEqual({ code: 'ResourceNotFound', message: `object clips/b.mp4 does not exist in bucket ${BUCKET}` });
  });

  it('a file ffprobe cannot read is ResourceNotSupported naming its key', async () => {
    fakes.notMedia = 'clips/doc.txt';
    const failure = await runFailure(
      jobOf({ ConcatTemplate: { ConcatFragment: [FRAGMENT('clips/a.mp4'), FRAGMENT('clips/doc.txt')], Container: { Format: 'mp4' } } }),
    );
    expect(failure).toEqual({ code: 'ResourceNotSupported', message: 'clips/doc.txt cannot be decoded as audio or video' });
  });

  it('a refused source URL fails InvalidArgument naming the field, before anything is fetched', async () => {
    const failure = await runFailure(
      jobOf({
        ConcatTemplate: {
          ConcatFragment: [FRAGMENT('clips/a.mp4'), FRAGMENT('https://elsewhere.example.com/b.mp4')],
          Container: { Format: 'mp4' },
        },
      }),
    );
    expect(failure).toEqual({
      code: 'InvalidArgument',
      message:
        'ConcatFragment[1].Url: "https://elsewhere.example.com/b.mp4": host elsewhere.example.com is not this engine\'s storage (use <bucket>.cos.<region>.myqcloud.com, the S3 endpoint, or a key in the bucket)',
    });
    expect(fakes.fetched).toEqual([]);
  });
});

describe('a copy is verified before it is uploaded', () => {
  const BAD = {
    ok: false,
    check: 'pts-gap',
    reason: 'pts-gap: the picture after the one at 9.967 s follows it by 40 ms; one frame is 33.3 ms',
  } as const;
  const twoClips = (extra: Tree = {}): JobRecord =>
    jobOf({
      ConcatTemplate: { ConcatFragment: [FRAGMENT('clips/a.mp4'), FRAGMENT('input/main.mp4')], Container: { Format: 'mp4' }, ...extra },
    });

  it('a copy that passes is uploaded after one run; the verify time is in the final log line', async () => {
    await run(twoClips({ DirectConcat: 'true' }));
    expect(fakes.plans.map((p) => p.kind)).toEqual(['copy']);
    expect(fakes.verified).toEqual(fakes.plans);
    expect(fakes.uploads.map((u) => u.file)).toEqual([fakes.plans[0]!.outputPath]);
    expect(fakes.logLines).toEqual(['inputs fetched and probed', 'plan', 'output uploaded']);
    expect(fakes.logFields.get('output uploaded')).toMatchObject({ ffmpegMs: expect.any(Number), verifyMs: expect.any(Number) });
    // The copy leaves half the bar to an encode that might follow it.
    expect(fakes.progress).toEqual([5, 27.5, 95]);
  });

  it('the run report (metrics): a verified copy reports its path and each phase in seconds', async () => {
    const report = newRunReport();
    await run(twoClips(), true, report);
    expect(report.path).toBe(fakes.plans[0]!.path);
    expect(report.path).toBe('hybrid');
    expect(Object.keys(report.phases).sort()).toEqual(['fetch_and_probe', 'ffmpeg', 'plan', 'upload', 'verify']);
    const logged = fakes.logFields.get('output uploaded') as Record<string, number>;
    expect(report.phases.ffmpeg).toBe(logged.ffmpegMs! / 1000);
    expect(report.phases.upload).toBe(logged.uploadMs! / 1000);
  });

  it('the run report (metrics): a copy that fails verification reports the encode that replaced it', async () => {
    fakes.verdict = BAD;
    const report = newRunReport();
    await run(twoClips(), true, report);
    expect(report.path).toBe('encode');
    expect(report.phases).toHaveProperty('fallback_encode');
  });

  it('the run report (metrics): a job that fails fetching reports no path and no phase', async () => {
    fakes.failFetch = 'clips/b.mp4';
    const report = newRunReport();
    const job = jobOf({
      ConcatTemplate: { ConcatFragment: [FRAGMENT('clips/a.mp4'), FRAGMENT('clips/b.mp4')], Container: { Format: 'mp4' } },
    });
    await expect(run(job, true, report)).rejects.toThrow(/clips\/b\.mp4/);
    expect(report).toEqual({ phases: {} });
  });

  it('a copy that fails is encoded instead: a warn line with the reason, the encode uploaded once, nothing of the copy', async () => {
    fakes.copyFiles = ['stale-00000.ts'];
    fakes.verdict = BAD;
    await run(twoClips(), true);
    expect(fakes.plans.map((p) => p.kind)).toEqual(['copy', 'encode']);
    const [copy, encode] = fakes.plans as [ConcatPlan, ConcatPlan];
    expect(fakes.verified).toEqual([copy]);
    // The same inputs and output file, planned as the job asks without the copy.
    expect(encode).toMatchObject({
      kind: 'encode',
      outputPath: copy.outputPath,
      workDir: copy.workDir,
      segments: copy.segments.map((seg) => expect.objectContaining({ path: seg.path, label: seg.label, video: 'source', audio: 'source' })),
    });
    expect(fakes.logLines).toEqual([
      'inputs fetched and probed',
      'plan',
      'copy output failed verification; encoding instead',
      'fallback plan',
      'output uploaded',
    ]);
    expect(fakes.logFields.get('copy output failed verification; encoding instead')).toEqual({
      check: 'pts-gap',
      reason: BAD.reason,
      path: 'hybrid',
      file: copy.outputPath,
    });
    expect(fakes.outputs[0]).toContain('stale-00000.ts');
    expect(fakes.outputs[1]).toEqual([]);
    expect(fakes.uploads.map((u) => u.file)).toEqual([encode.outputPath]);
    expect(fakes.logFields.get('output uploaded')).toMatchObject({ verifyMs: expect.any(Number), fallbackEncodeMs: expect.any(Number) });
    expect(fakes.progress).toEqual([5, 27.5, 72.5, 95]);
  });

  it('a DirectConcat copy that fails ends the job Failed naming the check, and nothing is uploaded or re-encoded', async () => {
    fakes.verdict = BAD;
    const failure = await runFailure(twoClips({ DirectConcat: 'true' }));
    expect(failure).toEqual({
      code: 'ResourceNotSupported',
      message:
        'DirectConcat: the stream-copied output failed its pts-gap check and was not uploaded (pts-gap: the picture after the one at 9.967 s follows it by 40 ms; one frame is 33.3 ms); set DirectConcat to false to re-encode',
    });
    expect(fakes.plans.map((p) => p.kind)).toEqual(['copy']);
    expect(fakes.uploads).toEqual([]);
  });

  it('a copy ffmpeg fails to write is encoded instead too; for DirectConcat, or when canceled, the failure stays', async () => {
    fakes.copyRunError = new MediaProcessError('InternalError', 'mov: Non-monotonous DTS');
    await run(twoClips(), true);
    expect(fakes.plans.map((p) => p.kind)).toEqual(['copy', 'encode']);
    expect(fakes.verified).toEqual([]);
    expect(fakes.logFields.get('copy failed; encoding instead')).toMatchObject({ check: 'copy', reason: 'copy: mov: Non-monotonous DTS' });
    expect(fakes.uploads.map((u) => u.file)).toEqual([fakes.plans[1]!.outputPath]);

    fakes = new Fakes();
    fakes.copyRunError = new MediaProcessError('InternalError', 'mov: Non-monotonous DTS');
    expect(await runFailure(twoClips({ DirectConcat: 'true' }))).toEqual({ code: 'InternalError', message: 'mov: Non-monotonous DTS' });
    fakes = new Fakes();
    fakes.copyRunError = new MediaProcessError('Canceled', 'the job was canceled; ffmpeg was stopped');
    expect(await runFailure(twoClips(), true)).toEqual({ code: 'Canceled', message: 'the job was canceled; ffmpeg was stopped' });
    expect(fakes.plans.map((p) => p.kind)).toEqual(['copy']);
    expect(fakes.uploads).toEqual([]);
  });

  it('an encode plan is not verified', async () => {
    await run(twoClips());
    expect(fakes.plans.map((p) => p.kind)).toEqual(['encode']);
    expect(fakes.verified).toEqual([]);
  });
});
