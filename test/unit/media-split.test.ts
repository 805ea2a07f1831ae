// planSplit / segmentSpans / planFingerprint and the split runs' argv, over plans made from frozen ffprobe
// fixtures (1280x720 at 30 fps, 10 s): where the chunk edges fall and why, what each chunk reads, when a plan
// is not split and the sentence that says why, and the exact ffmpeg argument lists of a chunk, the audio track
// and the stitch.
import { describe, expect, it } from 'vitest';
import type { ConcatTemplate } from '../../src/domain/concat-types.js';
import { planConcat, type EncodePlan, type PlanSource } from '../../src/media/plan.js';
import { normalizeProbe, type MediaProbe } from '../../src/media/probe.js';
import { planFingerprint, planSplit, segmentSpans, type SplitPlan, type SplitSettings } from '../../src/media/split.js';
import { buildAudioTrackArgs, buildChunkArgs, buildChunkGraph, buildStitchArgs, buildStitchListFile } from '../../src/media/split-args.js';
import { verifySpecOfSplit } from '../../src/media/verify.js';
import { loadProbeFixture } from '../helpers/media.js';

const LAND = normalizeProbe(loadProbeFixture('landscape-1280x720-30fps-aac'));
const MUSIC = normalizeProbe(loadProbeFixture('music-44100-stereo-mp3'));

function src(label: string, p: MediaProbe = LAND, extra: Partial<PlanSource> = {}): PlanSource {
  return { path: `/in/${label}`, label, probe: p, ...extra };
}

function tpl(over: Partial<ConcatTemplate> = {}): ConcatTemplate {
  return { fragments: [], container: { format: 'mp4' }, audioMixArray: [], directConcat: false, ...over };
}

function encodePlan(sources: PlanSource[], template: ConcatTemplate = tpl(), outputPath = '/out/out.mp4'): EncodePlan {
  const plan = planConcat({ sources, template, bgm: [], outputPath });
  if (plan.kind !== 'encode') throw new Error('expected an encode plan');
  return plan;
}

function split(plan: EncodePlan, settings: Partial<SplitSettings> = {}): SplitPlan {
  const decided = planSplit(plan, { minSec: 0, chunkSec: 4, ...settings });
  if (!decided.split) throw new Error(`not split: ${decided.reason}`);
  return decided.split;
}

const chunk = (index: number, startFrame: number, frames: number, segments: number[]) => ({
  index,
  startFrame,
  frames,
  startSec: startFrame / 30,
  durationSec: frames / 30,
  segments,
});

describe('planSplit: chunk edges', () => {
  it('two 10 s fragments in chunks of about 4 s: five chunks of 120 frames, each listing the fragments it reads', () => {
    const plan = encodePlan([src('a.mp4'), src('b.mp4')]);
    expect(planSplit(plan, { minSec: 0, chunkSec: 4, threads: 1 })).toEqual({
      split: {
        chunks: [
          chunk(0, 0, 120, [0]),
          chunk(1, 120, 120, [0]),
          chunk(2, 240, 120, [0, 1]),
          chunk(3, 360, 120, [1]),
          chunk(4, 480, 120, [1]),
        ],
        frames: 600,
        fps: 30,
        audio: true,
        threads: 1,
      },
    });
  });

  it('an edge within a quarter chunk of a fragment join moves onto the join', () => {
    // Joins at frames 300 and 480 (the middle fragment trimmed to 6 s); even edges would be 156, 312, 468, 624.
    const plan = encodePlan([src('a.mp4'), src('b.mp4', LAND, { endTime: 6 }), src('c.mp4')]);
    const s = split(plan, { chunkSec: 5 });
    expect(s.chunks.map((c) => [c.startFrame, c.frames, c.segments])).toEqual([
      [0, 156, [0]],
      [156, 144, [0]],
      [300, 180, [1]],
      [480, 144, [2]],
      [624, 156, [2]],
    ]);
    expect(s.frames).toBe(780);
  });

  it("with the fragments' keyframes known, an edge without a join near moves to half a second after a keyframe: the chunk worker's seek decodes only that half second", () => {
    // Keyframes every 250 frames; even edges at 120, 240, 360, 480 (join at 300). 15 frames is the seek margin at 30 fps.
    const plan = encodePlan([src('a.mp4'), src('b.mp4')]);
    const keyframes = [
      [0, 100, 250],
      [0, 250],
    ];
    const s = planSplit(plan, { minSec: 0, chunkSec: 4 }, keyframes).split!;
    expect(s.chunks.map((c) => [c.startFrame, c.frames, c.segments])).toEqual([
      [0, 115, [0]],
      [115, 150, [0]],
      [265, 95, [0, 1]],
      [360, 120, [1]],
      [480, 120, [1]],
    ]);
    const margin = 15;
    // Each moved chunk is entered by a seek to exactly a keyframe's time.
    expect(buildChunkArgs(plan, s, s.chunks[1]!, '/w/c1.mp4')).toEqual(expect.arrayContaining(['-ss', String(100 / 30).slice(0, 8)]));
    expect(s.chunks[1]!.startFrame - margin).toBe(100);
    expect(s.chunks[2]!.startFrame - margin).toBe(250);
    // Unknown keyframes, trims and transitions keep the even edges.
    expect(planSplit(plan, { minSec: 0, chunkSec: 4 }).split!.chunks.map((c) => c.startFrame)).toEqual([0, 120, 240, 360, 480]);
    const trimmed = encodePlan([src('a.mp4', LAND, { startTime: 1 }), src('b.mp4')]);
    expect(planSplit(trimmed, { minSec: 0, chunkSec: 4 }, keyframes).split!.chunks.map((c) => c.startFrame)).toEqual(
      planSplit(trimmed, { minSec: 0, chunkSec: 4 }).split!.chunks.map((c) => c.startFrame),
    );
    const faded = encodePlan([src('a.mp4'), src('b.mp4')], tpl({ sceneChangeInfo: { mode: 'FADE', time: 1 } }));
    expect(planSplit(faded, { minSec: 0, chunkSec: 4 }, keyframes).split!.chunks.map((c) => c.startFrame)).toEqual(
      planSplit(faded, { minSec: 0, chunkSec: 4 }).split!.chunks.map((c) => c.startFrame),
    );
  });

  it('FADE: an edge never falls inside a fade; the join at 10 s moves to the fade-out start (9.5 s)', () => {
    const plan = encodePlan([src('a.mp4'), src('b.mp4')], tpl({ sceneChangeInfo: { mode: 'FADE', time: 1 } }));
    const s = split(plan, { chunkSec: 2 });
    const starts = s.chunks.map((c) => c.startFrame);
    expect(starts).toEqual([0, 60, 120, 180, 240, 285, 360, 420, 480, 540]);
    expect(s.chunks[5]!.segments).toEqual([0, 1]);
  });

  it('GRADIENT: the output is shorter by the dissolve, and no chunk starts inside it', () => {
    const plan = encodePlan([src('a.mp4'), src('b.mp4')], tpl({ sceneChangeInfo: { mode: 'GRADIENT', time: 1 } }));
    expect(segmentSpans(plan)).toEqual([
      { startFrame: 0, frames: 300, held: false },
      { startFrame: 270, frames: 300, held: false },
    ]);
    const s = split(plan, { chunkSec: 2.5 });
    expect(s.frames).toBe(570);
    for (const c of s.chunks) expect(c.startFrame <= 270 || c.startFrame >= 300).toBe(true);
    // 8 chunks of 71.25 frames; the edge at 285 would fall inside the dissolve (frames 270-300): it takes the join
    // (the dissolve's first frame, 270), a quarter chunk away.
    expect(s.chunks.map((c) => c.startFrame)).toEqual([0, 71, 143, 214, 270, 356, 428, 499]);
  });

  it('chunks cover every frame once, in order, and the same plan always gives the same chunks', () => {
    const plan = encodePlan([src('a.mp4', LAND, { startTime: 1.05, endTime: 3 }), src('b.mp4'), src('c.mp4', LAND, { startTime: 8.51 })]);
    const one = planSplit(plan, { minSec: 0, chunkSec: 1.3 });
    const two = planSplit(structuredClone(plan), { minSec: 0, chunkSec: 1.3 });
    expect(two).toEqual(one);
    const s = one.split!;
    let next = 0;
    for (const [k, c] of s.chunks.entries()) {
      expect(c.index).toBe(k);
      expect(c.startFrame).toBe(next);
      expect(c.frames).toBeGreaterThan(0);
      next += c.frames;
    }
    expect(next).toBe(s.frames);
  });
});

describe('segmentSpans: the frames each fragment puts in the one-pass output', () => {
  it('a whole clip fills its length; a trim starts on the first picture at or after StartTime, repeating it when it is half a frame late or more; a trim to the end stops with the clip', () => {
    const plan = encodePlan([
      src('whole.mp4'),
      // 1.02 s = frame 30.6: first picture 31, 0.4 frame late; 1.98 s = 59.4 frames -> 60.
      src('early.mp4', LAND, { startTime: 1.02, endTime: 3 }),
      // 1.05 s = frame 31.5: first picture 32, half a frame late, shown twice; 1.95 s -> 59 frames + 1.
      src('late.mp4', LAND, { startTime: 1.05, endTime: 3 }),
      // To the end from 8.51 s: first picture 256 (held), the clip ends at frame 300: 44 pictures + 1.
      src('tail.mp4', LAND, { startTime: 8.51 }),
    ]);
    expect(plan.segments[3]!.trim).toEqual({ startSec: 8.51, durationSec: 1.49, toEnd: true });
    expect(segmentSpans(plan)).toEqual([
      { startFrame: 0, frames: 300, held: false },
      { startFrame: 300, frames: 60, held: false },
      { startFrame: 360, frames: 60, held: true },
      { startFrame: 420, frames: 45, held: true },
    ]);
  });
});

describe('planSplit: refusals, each with its reason', () => {
  const twoClips = [src('a.mp4'), src('b.mp4')];

  it.each<[string, () => ReturnType<typeof planSplit>, string]>([
    [
      'a copy plan',
      () =>
        planSplit(planConcat({ sources: twoClips, template: tpl({ directConcat: true }), bgm: [], outputPath: '/out/o.mp4' }), {
          minSec: 0,
          chunkSec: 4,
        }),
      'the hybrid path encodes no picture to split',
    ],
    [
      'an output without picture',
      () =>
        planSplit(encodePlan([src('m.mp3', MUSIC), src('n.mp3', MUSIC)], tpl({ container: { format: 'mp3' } }), '/out/o.mp3'), {
          minSec: 0,
          chunkSec: 4,
        }),
      'the output has no picture to split',
    ],
    [
      'HLS',
      () => planSplit(encodePlan(twoClips, tpl({ container: { format: 'hls' } }), '/out/o.m3u8'), { minSec: 0, chunkSec: 4 }),
      'HLS segments are cut on the one-pass keyframe cadence',
    ],
    [
      'Video.Bitrate',
      () => planSplit(encodePlan(twoClips, tpl({ video: { codec: 'H.264', bitrate: 1000, remove: false } })), { minSec: 0, chunkSec: 4 }),
      "Video.Bitrate: x264's rate control would restart at every chunk",
    ],
    [
      'a short output',
      () => planSplit(encodePlan(twoClips), { minSec: 30, chunkSec: 4 }),
      'the output lasts 20 s, less than the 30 s worth splitting',
    ],
    ['no chunk length', () => planSplit(encodePlan(twoClips), { minSec: 0, chunkSec: 0 }), 'the chunk length 0 s is not positive'],
    [
      'one chunk',
      () => planSplit(encodePlan(twoClips), { minSec: 0, chunkSec: 15 }),
      "the output's 600 frames make one chunk of 15 s outside the transitions",
    ],
  ])('%s', (_, decide, reason) => {
    expect(decide()).toEqual({ reason });
  });
});

describe('planFingerprint', () => {
  it('ignores where the files are and why the path was taken; changes with anything the output depends on', () => {
    const here = encodePlan([src('a.mp4'), src('b.mp4')]);
    const there = planConcat({
      sources: [
        { ...src('a.mp4'), path: '/elsewhere/jobs/7/a.mp4' },
        { ...src('b.mp4'), path: '/elsewhere/jobs/7/b.mp4' },
      ],
      template: tpl(),
      bgm: [],
      outputPath: '/elsewhere/out/out.mp4',
      workDir: '/elsewhere/work',
    }) as EncodePlan;
    expect(planFingerprint({ ...there, reason: 'another sentence' })).toBe(planFingerprint(here));
    expect(planFingerprint(here)).toMatch(/^[0-9a-f]{64}$/);
    const crf = encodePlan([src('a.mp4'), src('b.mp4')], tpl({ video: { codec: 'H.264', crf: 20, remove: false } }));
    expect(planFingerprint(crf)).not.toBe(planFingerprint(here));
    const trimmed = encodePlan([src('a.mp4', LAND, { startTime: 1 }), src('b.mp4')]);
    expect(planFingerprint(trimmed)).not.toBe(planFingerprint(here));
  });
});

describe('split runs: argv', () => {
  const HEAD = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'level+warning'];
  const PROGRESS = ['-progress', 'pipe:1', '-nostats'];
  const NORMALIZE =
    'scale=1280:720:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30,format=yuv420p';
  const X264 = ['-c:v', 'libx264', '-profile:v', 'high', '-crf', '25', '-x264-params', 'stitchable=1', '-threads', '1'];
  const plan = encodePlan([src('a.mp4'), src('b.mp4')]);
  const s = split(plan, { threads: 1 });

  it('a chunk inside the first fragment reads it from its start and cuts its 120 frames', () => {
    expect(buildChunkArgs(plan, s, s.chunks[0]!, '/w/chunk-0.mp4')).toEqual([
      ...HEAD,
      ...['-protocol_whitelist', 'file', '-i', '/in/a.mp4'],
      '-filter_complex',
      `[0:v:0]${NORMALIZE},setpts=PTS-STARTPTS,tpad=stop=-1:stop_mode=clone,trim=end_frame=300[v0];[v0]concat=n=1:v=1:a=0[vjoin];[vjoin]trim=start_frame=0:end_frame=120,setpts=PTS-STARTPTS[vout]`,
      ...['-map', '[vout]', '-an'],
      ...X264,
      ...['-frames:v', '120', '-f', 'mp4'],
      ...PROGRESS,
      '/w/chunk-0.mp4',
    ]);
  });

  it('a chunk across the join enters the first fragment by a seek half a second before it, on the output timeline', () => {
    // Frames 240-359: a.mp4 from frame 225 (7.5 s; 75 of its 300 frames left), then b.mp4.
    expect(buildChunkArgs(plan, s, s.chunks[2]!, '/w/chunk-2.mp4')).toEqual([
      ...HEAD,
      ...['-ss', '7.5', '-protocol_whitelist', 'file', '-i', '/in/a.mp4'],
      ...['-protocol_whitelist', 'file', '-i', '/in/b.mp4'],
      '-filter_complex',
      [
        `[0:v:0]${NORMALIZE},setpts=PTS-STARTPTS,tpad=stop=-1:stop_mode=clone,trim=end_frame=75[v0]`,
        `[1:v:0]${NORMALIZE},setpts=PTS-STARTPTS,tpad=stop=-1:stop_mode=clone,trim=end_frame=300[v1]`,
        '[v0][v1]concat=n=2:v=1:a=0[vjoin]',
        '[vjoin]setpts=PTS+7.5/TB,trim=start_frame=15:end_frame=135,setpts=PTS-STARTPTS[vout]',
      ].join(';'),
      ...['-map', '[vout]', '-an'],
      ...X264,
      ...['-frames:v', '120', '-f', 'mp4'],
      ...PROGRESS,
      '/w/chunk-2.mp4',
    ]);
  });

  it('a trimmed fragment entered by a seek keeps its trim end; a repeated first picture is made in the chunk as one pass shows it', () => {
    const trimmed = encodePlan([src('a.mp4', LAND, { startTime: 1.05, endTime: 9 }), src('b.mp4')]);
    const t = split(trimmed, { chunkSec: 2 });
    // a.mp4: 7.95 s -> 239 frames + its first shown twice = 240.
    expect(segmentSpans(trimmed)[0]).toEqual({ startFrame: 0, frames: 240, held: true });
    const first = t.chunks[0]!;
    expect(buildChunkGraph(trimmed, t, first)).toContain(
      'setpts=PTS-STARTPTS,tpad=start=1:start_mode=clone,tpad=stop=-1:stop_mode=clone,trim=end_frame=240[v0]',
    );
    // Chunk 2 (frames 120-179) seeks 105 frames in: 3.5 s, and leaves the held picture behind it.
    const args = buildChunkArgs(trimmed, t, t.chunks[2]!, '/w/c.mp4');
    expect(args.slice(5, 9)).toEqual(['-ss', '4.55', '-t', '4.45']);
    expect(buildChunkGraph(trimmed, t, t.chunks[2]!)).toBe(
      `[0:v:0]${NORMALIZE},setpts=PTS-STARTPTS,tpad=stop=-1:stop_mode=clone,trim=end_frame=134[v0];[v0]concat=n=1:v=1:a=0[vjoin];[vjoin]setpts=PTS+3.533333/TB,trim=start_frame=14:end_frame=74,setpts=PTS-STARTPTS[vout]`,
    );
  });

  it('the audio track: the one-pass audio graph, each fragment held to its picture length', () => {
    expect(buildAudioTrackArgs(plan, '/w/audio.mp4')).toEqual([
      ...HEAD,
      ...['-protocol_whitelist', 'file', '-i', '/in/a.mp4', '-protocol_whitelist', 'file', '-i', '/in/b.mp4'],
      '-filter_complex',
      [
        '[0:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=end=10[a0]',
        '[1:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=end=10[a1]',
        '[a0][a1]concat=n=2:v=0:a=1[aout]',
      ].join(';'),
      ...['-map', '[aout]', '-vn', '-c:a', 'aac', '-ar', '48000', '-ac', '2', '-b:a', '128k', '-f', 'mp4'],
      ...PROGRESS,
      '/w/audio.mp4',
    ]);
  });

  it('the stitch: chunks in index order with exact durations, picture and sound copied into the plan container', () => {
    expect(buildStitchListFile(s, ['/w/c0.mp4', '/w/c1.mp4', '/w/c2.mp4', '/w/c3.mp4', "/w/it's 4.mp4"])).toBe(
      [
        'ffconcat version 1.0',
        ...["file '/w/c0.mp4'", 'duration 4', "file '/w/c1.mp4'", 'duration 4', "file '/w/c2.mp4'", 'duration 4'],
        ...["file '/w/c3.mp4'", 'duration 4', "file '/w/it'\\''s 4.mp4'", 'duration 4', ''],
      ].join('\n'),
    );
    expect(buildStitchArgs(plan, '/w/out.chunks.txt', '/w/audio.mp4')).toEqual([
      ...HEAD,
      ...['-f', 'concat', '-safe', '0', '-protocol_whitelist', 'file', '-i', '/w/out.chunks.txt'],
      ...['-protocol_whitelist', 'file', '-i', '/w/audio.mp4'],
      ...['-map', '0:v:0', '-map', '1:a:0', '-c', 'copy', '-f', 'mp4', '-movflags', '+faststart'],
      ...PROGRESS,
      '/out/out.mp4',
    ]);
  });
});

describe('verifySpecOfSplit', () => {
  it("the stitched output holds the split's frames, each seam decoded as a join, read by seeks (MP4) or byte ranges (MPEG-TS)", () => {
    const plan = encodePlan([src('a.mp4'), src('b.mp4')]);
    const s = split(plan, { chunkSec: 10 });
    expect(verifySpecOfSplit(plan, s)).toEqual({
      video: true,
      frames: 600,
      frameSec: 1 / 30,
      joins: [{ atSec: 10, why: 'seam of chunks 0 and 1' }],
      windows: [],
      audio: true,
      durationSec: 20,
      fragments: 2,
      seek: 'seek',
    });
    const ts = encodePlan([src('a.mp4'), src('b.mp4')], tpl({ container: { format: 'ts' } }), '/out/o.ts');
    expect(verifySpecOfSplit(ts, split(ts, { chunkSec: 10 })).seek).toBe('bytes');
  });
});
