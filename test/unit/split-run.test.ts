// The split path of the concat runner with fake ports: a fake chunk queue stands for BullMQ and the
// chunk workers (its children finish, or fail, as each case says), the fake media records what is
// stitched or run, the fake storage what is fetched, uploaded and removed. Each case checks what the
// job does and leaves: one call adding every child, what each child is told to fetch, the stitch of
// the chunks in order, the job's result, and the temporary prefix gone whatever the end.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SplitConfig } from '../../src/config.js';
import { failureOf } from '../../src/domain/errors.js';
import type { JobRecord, JobResult } from '../../src/domain/job.js';
import type { Logger } from '../../src/logger.js';
import type { ConcatPlan, EncodePlan } from '../../src/media/plan.js';
import { planFingerprint, type SplitPlan } from '../../src/media/split.js';
import type { VerifyVerdict } from '../../src/media/verify.js';
import type { ChildSpec, ChildState, ParentRef, TempPrefix } from '../../src/queue/split-queue.js';
import type { SourceRef } from '../../src/storage/resolve-url.js';
import { parseConcatJobRequest } from '../../src/wire/concat-request.js';
import { createConcatRunner } from '../../src/worker/concat-runner.js';
import type { MediaPort, ObjectsPort } from '../../src/worker/ports.js';
import type { SplitParent, SplitQueuePort } from '../../src/worker/split-ports.js';
import type { SplitChildResult, SplitChildTask } from '../../src/worker/split-task.js';
import { loadProbeFixture, type ProbeFixture } from '../helpers/media.js';

type Tree = Record<string, unknown>;

const S3 = 'http://127.0.0.1:9000';
const BUCKET = 'media-1250000000';
const JOB_ID = 'j0123456789abcdef0123456789abcdef';

const FIXTURES: Record<string, ProbeFixture> = {
  'clips/a.mp4': 'landscape-1280x720-30fps-aac',
  'clips/b.mp4': 'landscape-1280x720-30fps-aac',
  'music/bgm.mp3': 'music-44100-stereo-mp3',
  'art/logo.png': 'logo-200x100-png',
};

/** What the fake chunk workers do with each child: finish it, or fail it for good with a reason. */
type ChildFate = { ok: true } | { ok: false; reason: string; tries: number };

class Fakes {
  readonly fetched: string[] = [];
  readonly uploads: string[] = [];
  readonly removed: { bucket: string; prefix: string }[] = [];
  readonly runs: ConcatPlan[] = [];
  readonly stitched: { plan: EncodePlan; split: SplitPlan; chunkFiles: string[]; audioFile?: string }[] = [];
  readonly dispatches: { parent: ParentRef; children: ChildSpec<SplitChildTask>[]; jobLevel: number }[] = [];
  readonly discarded: string[] = [];
  readonly progress: number[] = [];
  readonly logs: { msg: string; fields: unknown }[] = [];
  readonly temps = new Map<string, TempPrefix>();
  /** Every noted prefix, in order: noted before any child is added. */
  readonly noted: string[] = [];
  workers = 2;
  verdict: VerifyVerdict = { ok: true };
  fate: (task: SplitChildTask) => ChildFate = () => ({ ok: true });
  /** Reads of the children's states before they are all reported finished. */
  pollsBeforeDone = 2;
  /** Reads before one child is reported finished; pollsBeforeDone for any it does not name. */
  pollsBeforeDoneOf: (task: SplitChildTask) => number | undefined = () => undefined;
  /** What had been fetched at each read of the children's states. */
  fetchedAtPoll: string[][] = [];
  /** The read of the children's states after which each chunk was checked. */
  checkedAtPoll: number[] = [];
  leftChildren: string[] = [];
  private readonly keyOf = new Map<string, string>();
  private readonly tasks = new Map<string, SplitChildTask>();
  private polls = 0;

  readonly media: MediaPort = {
    probe: (file) => {
      if (file.includes(`${path.sep}out${path.sep}`)) return Promise.resolve(loadProbeFixture('landscape-1280x720-30fps-aac'));
      return Promise.resolve(loadProbeFixture(FIXTURES[this.keyOf.get(file) ?? ''] ?? 'landscape-1280x720-30fps-aac'));
    },
    keyframes: () => Promise.reject(new Error('no keyframe scan expected')),
    run: (plan) => {
      this.runs.push(plan);
      return Promise.resolve();
    },
    copy: () => Promise.reject(new Error('a split job makes no copy')),
    encodeChunk: () => Promise.reject(new Error('the parent encodes no chunk')),
    encodeAudioTrack: () => Promise.reject(new Error('the parent encodes no audio track')),
    checkChunk: (_plan, _split, chunk, file) => {
      this.checkedAtPoll.push(this.polls);
      return Promise.resolve({
        index: chunk.index,
        file,
        facts: { frames: chunk.frames, extradata: 'x', codec: 'h264', timeBase: '1/12800' },
        verdict: { ok: true },
      });
    },
    stitch: (plan, split, chunks, audioFile, opts) => {
      this.stitched.push({ plan, split, chunkFiles: chunks.map((c) => c.file), ...(audioFile !== undefined ? { audioFile } : {}) });
      opts.onProgress(100);
      return Promise.resolve(this.verdict);
    },
  };

  readonly objects: ObjectsPort = {
    fetch: (source: SourceRef, file) => {
      const key = source.kind === 'object' ? source.ref.keys[0]! : source.url;
      this.fetched.push(key);
      this.keyOf.set(file, key);
      return Promise.resolve({ key, bytes: 1000 });
    },
    upload: (_bucket, key) => {
      this.uploads.push(key);
      return Promise.resolve(`md5-of-${key}`);
    },
    bucketExists: () => Promise.resolve(),
    removePrefix: (bucket, prefix) => {
      this.removed.push({ bucket, prefix });
      return Promise.resolve(3);
    },
  };

  readonly queue: SplitQueuePort = {
    workers: () => Promise.resolve(this.workers),
    dispatch: <T>(parent: ParentRef, children: readonly ChildSpec<T>[], jobLevel: number) => {
      const specs = children as unknown as ChildSpec<SplitChildTask>[];
      this.dispatches.push({ parent, children: [...specs], jobLevel });
      for (const c of specs) this.tasks.set(c.id, c.data);
      return Promise.resolve();
    },
    states: <R>(ids: readonly string[]) => {
      this.polls++;
      this.fetchedAtPoll.push([...this.fetched]);
      return Promise.resolve(
        ids.map((id): ChildState<R> => {
          const task = this.tasks.get(id);
          if (!task) return { id, state: 'missing', progress: 0, attemptsMade: 0 };
          const done = this.polls > (this.pollsBeforeDoneOf(task) ?? this.pollsBeforeDone);
          const fate = this.fate(task);
          if (!fate.ok) return { id, state: 'failed', progress: 10, attemptsMade: fate.tries, failedReason: fate.reason };
          if (!done) return { id, state: 'active', progress: 50, attemptsMade: 0 };
          const result: SplitChildResult = { kind: task.kind, ...(task.chunk !== undefined ? { chunk: task.chunk } : {}), key: task.key };
          return { id, state: 'completed', progress: 100, attemptsMade: 1, result: result as R };
        }),
      );
    },
    discard: (ids) => {
      this.discarded.push(...ids);
      return Promise.resolve();
    },
    noteTemp: (t) => {
      this.temps.set(t.jobId, t);
      this.noted.push(`${t.bucket}/${t.prefix}@${this.dispatches.length}`);
      return Promise.resolve();
    },
    dropTemp: (jobId) => {
      this.temps.delete(jobId);
      return Promise.resolve();
    },
    temps: () => Promise.resolve([...this.temps.values()]),
  };

  readonly parent: SplitParent = {
    ref: { id: JOB_ID, queue: 'ci:bull:media-p1' },
    generation: 3,
    // An earlier run's leftovers, and this run's children, until they are removed.
    pendingChildren: () =>
      Promise.resolve(
        [...this.leftChildren, ...this.dispatches.flatMap((d) => d.children.map((c) => c.id))].filter((id) => !this.discarded.includes(id)),
      ),
  };

  logger(): Logger {
    const line = (obj: unknown, msg?: string): void => {
      this.logs.push(typeof obj === 'string' ? { msg: obj, fields: {} } : { msg: msg ?? '', fields: obj });
    };
    return { info: line, debug: () => undefined, warn: line, error: line } as unknown as Logger;
  }

  logged(msg: string): unknown {
    return this.logs.find((l) => l.msg === msg)?.fields;
  }
}

let dataDir: string;
let fakes: Fakes;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'split-run-'));
  fakes = new Fakes();
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const SETTINGS: SplitConfig = { enabled: true, minSec: 5, chunkSec: 6, threads: 1 };

/** Two 10 s fragments, an image watermark and background music: 20 s, three chunks at SPLIT_CHUNK_SECONDS 6. */
function longJob(extra: Tree = {}): JobRecord {
  const request = parseConcatJobRequest({
    Tag: 'Concat',
    Operation: {
      Output: { Region: 'ap-guangzhou', Bucket: BUCKET, Object: 'out/${jobid}.${ext}' },
      JobLevel: '1',
      ConcatTemplate: {
        ConcatFragment: [{ Url: 'clips/a.mp4' }, { Url: 'clips/b.mp4' }],
        Container: { Format: 'mp4' },
        AudioMix: { AudioSource: 'music/bgm.mp3', MixMode: 'Repeat', Replace: 'false' },
      },
      Watermark: [
        {
          Type: 'Image',
          Pos: 'TopRight',
          LocMode: 'Absolute',
          Dx: '10',
          Dy: '10',
          Image: { Url: 'art/logo.png', Mode: 'Original', Transparency: '80' },
        },
      ],
      ...extra,
    },
  });
  return {
    jobId: JOB_ID,
    tag: 'Concat',
    bucket: BUCKET,
    region: 'ap-guangzhou',
    queueId: 'p1',
    creationMs: 0,
    request,
    state: 'Running',
    progress: 0,
    code: '',
    message: '',
    callback: { delivery: 'None', attempts: 0 },
  };
}

async function run(job: JobRecord, settings: SplitConfig = SETTINGS, withParent = true, timeoutSec = 0): Promise<JobResult> {
  const runner = createConcatRunner({
    media: fakes.media,
    objects: fakes.objects,
    s3Endpoint: S3,
    dataDir,
    autoCopy: true,
    split: { settings, queue: fakes.queue, pollMs: 1 },
    limits: { maxInputBytes: 0, maxOutputDurationSec: 0, timeoutSec, minFreeDiskBytes: 0 },
  });
  return runner(job, {
    log: fakes.logger(),
    signal: new AbortController().signal,
    setProgress: (p) => fakes.progress.push(p),
    ...(withParent ? { parent: fakes.parent } : {}),
  });
}

async function failure(job: JobRecord): Promise<{ code: string; message: string }> {
  const err = await run(job).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeDefined();
  return failureOf(err);
}

const INPUT_KEYS = ['clips/a.mp4', 'clips/b.mp4', 'music/bgm.mp3', 'art/logo.png'];

describe('a split job (fake chunk queue and workers)', () => {
  it('adds one child per chunk and one for the audio in one call, under the job, at its JobLevel, with deterministic ids', async () => {
    await run(longJob());
    expect(fakes.dispatches).toHaveLength(1);
    const [d] = fakes.dispatches;
    expect(d!.parent).toEqual({ id: JOB_ID, queue: 'ci:bull:media-p1' });
    expect(d!.jobLevel).toBe(1);
    // The audio first: the short run is taken while the chunks start, not left alone at the end.
    expect(d!.children.map((c) => [c.id, c.name])).toEqual([
      [`${JOB_ID}-g3-audio`, 'audio'],
      [`${JOB_ID}-g3-chunk-0000`, 'chunk'],
      [`${JOB_ID}-g3-chunk-0001`, 'chunk'],
      [`${JOB_ID}-g3-chunk-0002`, 'chunk'],
    ]);
    const [audioTask, ...tasks] = d!.children.map((c) => c.data);
    tasks.push(audioTask!);
    const split = tasks[0]!.split;
    expect(split.chunks.map((c) => [c.startFrame, c.frames, c.segments])).toEqual([
      [0, 200, [0]],
      [200, 200, [0, 1]],
      [400, 200, [1]],
    ]);
    expect(split).toMatchObject({ frames: 600, fps: 30, audio: true, threads: 1 });
    // Each chunk fetches the fragments its frames come from and the watermark image; the audio every
    // fragment and the music; every child knows every input's probe.
    const fetches = tasks.map((t) => t.fetch.map((i) => INPUT_KEYS[i]));
    expect(fetches).toEqual([
      ['clips/a.mp4', 'art/logo.png'],
      ['clips/a.mp4', 'clips/b.mp4', 'art/logo.png'],
      ['clips/b.mp4', 'art/logo.png'],
      ['clips/a.mp4', 'clips/b.mp4', 'music/bgm.mp3'],
    ]);
    for (const t of tasks) {
      expect(t.inputs.map((i) => i.key)).toEqual(INPUT_KEYS);
      expect(t).toMatchObject({ jobId: JOB_ID, generation: 3, bucket: BUCKET });
    }
    expect(tasks.map((t) => t.key)).toEqual([
      `.ci-split/${JOB_ID}/g3/chunk-0000.mp4`,
      `.ci-split/${JOB_ID}/g3/chunk-0001.mp4`,
      `.ci-split/${JOB_ID}/g3/chunk-0002.mp4`,
      `.ci-split/${JOB_ID}/g3/audio.m4a`,
    ]);
    // The fingerprint is the stitched plan's: what a chunk worker re-planning the job must find.
    expect(new Set(tasks.map((t) => t.fingerprint))).toEqual(new Set([planFingerprint(fakes.stitched[0]!.plan)]));
  });

  it('stitches the chunks in index order with the audio into the output, uploads it as one pass would, and runs no encode itself', async () => {
    const result = await run(longJob());
    expect(fakes.runs).toEqual([]);
    expect(fakes.stitched).toHaveLength(1);
    const s = fakes.stitched[0]!;
    expect(s.chunkFiles.map((f) => path.basename(f))).toEqual(['chunk-0000.mp4', 'chunk-0001.mp4', 'chunk-0002.mp4']);
    expect(path.basename(s.audioFile!)).toBe('audio.m4a');
    expect(s.plan.kind).toBe('encode');
    expect(path.basename(s.plan.outputPath)).toBe(`${JOB_ID}.mp4`);
    // The inputs once, then the children's files from the temporary prefix.
    expect(fakes.fetched).toEqual([
      ...INPUT_KEYS,
      `.ci-split/${JOB_ID}/g3/audio.m4a`,
      `.ci-split/${JOB_ID}/g3/chunk-0000.mp4`,
      `.ci-split/${JOB_ID}/g3/chunk-0001.mp4`,
      `.ci-split/${JOB_ID}/g3/chunk-0002.mp4`,
    ]);
    expect(fakes.uploads).toEqual([`out/${JOB_ID}.mp4`]);
    expect(result.mediaResult).toEqual({
      OutputFile: {
        Bucket: BUCKET,
        Region: 'ap-guangzhou',
        ObjectPrefix: '',
        ObjectName: `out/${JOB_ID}.mp4`,
        Md5Info: { Md5: `md5-of-out/${JOB_ID}.mp4`, ObjectName: `out/${JOB_ID}.mp4` },
      },
    });
    expect(fakes.logged('split: the chunks and the audio track go to the chunk workers')).toMatchObject({ chunks: 3, workers: 2 });
  });

  it("fetches each child's file as soon as the child is done, while the others still run", async () => {
    fakes.pollsBeforeDone = 4;
    fakes.pollsBeforeDoneOf = (t) => (t.kind === 'chunk' && t.chunk === 1 ? 1 : undefined);
    await run(longJob());
    const chunk1 = `.ci-split/${JOB_ID}/g3/chunk-0001.mp4`;
    // Read 2 finds chunk 1 done (its fetch starts then); reads 3 and 4 still find the others running.
    expect(fakes.fetchedAtPoll[1]).not.toContain(chunk1);
    expect(fakes.fetchedAtPoll[2]).toContain(chunk1);
    expect(fakes.fetchedAtPoll[3]).toEqual([...INPUT_KEYS, chunk1]);
    // ... and checked then too: one chunk before the last read, the other two after it.
    expect(fakes.checkedAtPoll.filter((p) => p < 5)).toHaveLength(1);
    expect(fakes.checkedAtPoll).toHaveLength(3);
    expect(fakes.stitched[0]!.chunkFiles.map((f) => path.basename(f))).toEqual(['chunk-0000.mp4', 'chunk-0001.mp4', 'chunk-0002.mp4']);
  });

  it("combines the children's progress into the job's, never going back", async () => {
    fakes.pollsBeforeDone = 3;
    await run(longJob());
    // Half of every child done reads as 5 + 80 x 0.5; then all done, the stitch, the upload.
    const near = (v: number): boolean => fakes.progress.some((p) => Math.abs(p - v) < 1e-9);
    expect([near(45), near(85), near(95)]).toEqual([true, true, true]);
    expect(fakes.progress).toEqual([...fakes.progress].sort((a, b) => a - b));
  });

  it('notes the temporary prefix before adding the children, then removes it and every child when the job succeeds', async () => {
    await run(longJob());
    expect(fakes.noted).toEqual([`${BUCKET}/.ci-split/${JOB_ID}/@0`]);
    expect(fakes.removed).toEqual([{ bucket: BUCKET, prefix: `.ci-split/${JOB_ID}/` }]);
    expect(fakes.temps.size).toBe(0);
    expect(new Set(fakes.discarded)).toEqual(new Set(fakes.dispatches[0]!.children.map((c) => c.id)));
  });

  it('a child that fails for good fails the job with its Code and a message naming the chunk; nothing is uploaded and the prefix is removed', async () => {
    fakes.fate = (t) =>
      t.chunk === 1 ? { ok: false, reason: 'ResourceNotFound: object clips/b.mp4 does not exist in bucket x', tries: 3 } : { ok: true };
    expect(await failure(longJob())).toEqual({
      code: 'ResourceNotFound',
      message: 'video chunk 2 of 3 (output 6.667 s to 13.333 s) failed after 3 tries: object clips/b.mp4 does not exist in bucket x',
    });
    expect(fakes.uploads).toEqual([]);
    expect(fakes.stitched).toEqual([]);
    expect(fakes.removed).toEqual([{ bucket: BUCKET, prefix: `.ci-split/${JOB_ID}/` }]);
    expect(fakes.temps.size).toBe(0);
    expect(fakes.discarded).toHaveLength(4);
  });

  it('an audio child failing with a reason of no CI Code fails the job InternalError naming the audio track', async () => {
    fakes.fate = (t) => (t.kind === 'audio' ? { ok: false, reason: 'ffmpeg exited with code 1', tries: 1 } : { ok: true });
    expect(await failure(longJob())).toEqual({
      code: 'InternalError',
      message: 'the audio track failed after 1 try: ffmpeg exited with code 1',
    });
  });

  it('a chunk worker that planned the job differently makes the job encode in one pass, not fail', async () => {
    const reason = "PlanMismatch: the chunk worker on w2 planned the job differently from the job's own worker";
    fakes.fate = (t) => (t.chunk === 2 ? { ok: false, reason, tries: 1 } : { ok: true });
    await run(longJob());
    expect(fakes.stitched).toEqual([]);
    expect(fakes.runs).toHaveLength(1);
    expect(fakes.uploads).toEqual([`out/${JOB_ID}.mp4`]);
    expect(fakes.logged('a chunk worker planned the job differently; encoding in one pass')).toEqual({ reason });
    expect(fakes.removed).toEqual([{ bucket: BUCKET, prefix: `.ci-split/${JOB_ID}/` }]);
    expect(new Set(fakes.discarded)).toEqual(new Set(fakes.dispatches[0]!.children.map((c) => c.id)));
  });

  it('a stitched output that fails its check is thrown away and the job is encoded in one pass, with a warning', async () => {
    fakes.verdict = { ok: false, check: 'frame-count', reason: 'frame-count: 599 pictures, 600 planned' };
    await run(longJob());
    expect(fakes.runs).toHaveLength(1);
    expect(fakes.runs[0]!.kind).toBe('encode');
    expect(fakes.uploads).toEqual([`out/${JOB_ID}.mp4`]);
    expect(fakes.logged('stitched output failed verification; encoding in one pass')).toEqual({
      check: 'frame-count',
      reason: 'frame-count: 599 pictures, 600 planned',
    });
    expect(fakes.removed).toHaveLength(1);
  });

  it('one pass, exactly as before, with fewer than two chunk workers, SPLIT off, no parent, or an output too short', async () => {
    const cases: [string, () => Promise<unknown>][] = [
      [
        'one worker',
        () => {
          fakes.workers = 1;
          return run(longJob());
        },
      ],
      ['SPLIT off', () => run(longJob(), { ...SETTINGS, enabled: false })],
      ['no parent', () => run(longJob(), SETTINGS, false)],
      ['too short', () => run(longJob(), { ...SETTINGS, minSec: 60 })],
    ];
    for (const [what, go] of cases) {
      fakes = new Fakes();
      await go();
      expect({ what, runs: fakes.runs.length, dispatches: fakes.dispatches.length, noted: fakes.noted.length }).toEqual({
        what,
        runs: 1,
        dispatches: 0,
        noted: 0,
      });
    }
  });

  it('one pass when the chunk workers cannot be counted (a Redis that refuses CLIENT LIST), with a warning', async () => {
    fakes.queue.workers = () => Promise.reject(new Error("ERR unknown command 'CLIENT'"));
    await run(longJob());
    expect({ runs: fakes.runs.length, dispatches: fakes.dispatches.length }).toEqual({ runs: 1, dispatches: 0 });
    expect(fakes.logged('the chunk workers cannot be counted')).toEqual({ err: "ERR unknown command 'CLIENT'" });
  });

  it('says in the log why a job is not split', async () => {
    fakes.workers = 1;
    await run(longJob());
    expect(fakes.logged('one pass: fewer than two chunk workers serve the chunk queue')).toEqual({ workers: 1 });
    fakes = new Fakes();
    await run(longJob(), { ...SETTINGS, minSec: 60 });
    expect(fakes.logged('one pass: the encode is not split')).toEqual({
      reason: 'the output lasts 20 s, less than the 60 s worth splitting',
    });
  });

  it('a job that runs out of time while its children run fails JobTimeout, and its children are removed before it ends', async () => {
    fakes.pollsBeforeDone = Infinity;
    const err = await run(longJob(), SETTINGS, true, 1).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failureOf(err).code).toBe('JobTimeout');
    expect(new Set(fakes.discarded)).toEqual(new Set(fakes.dispatches[0]!.children.map((c) => c.id)));
    expect(fakes.uploads).toEqual([]);
  });

  it('removes what an earlier run of the job left: its children still queued and its temporary objects', async () => {
    fakes.leftChildren = [`${JOB_ID}-g2-chunk-0001`, `${JOB_ID}-g2-audio`];
    fakes.temps.set(JOB_ID, { jobId: JOB_ID, bucket: BUCKET, prefix: `.ci-split/${JOB_ID}/` });
    fakes.workers = 1;
    await run(longJob());
    expect(fakes.discarded).toEqual([`${JOB_ID}-g2-chunk-0001`, `${JOB_ID}-g2-audio`]);
    expect(fakes.removed).toEqual([{ bucket: BUCKET, prefix: `.ci-split/${JOB_ID}/` }]);
    expect(fakes.temps.size).toBe(0);
  });
});
