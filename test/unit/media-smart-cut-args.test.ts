// Smart-cut as ffmpeg arguments: each piece's command line (seek, exact frame count, matched encoder, the
// source's timescale and track id), the concat list that names every piece, the audio cut to the kept frames,
// and the avc3 tag of a join whose pieces carry their own parameter sets.
import { describe, expect, it } from 'vitest';
import {
  buildConcatArgs,
  buildConcatListFile,
  buildCopyAudioGraph,
  buildCopyPictureArgs,
  buildSmartCutPieceArgs,
  copyListEntries,
} from '../../src/media/args.js';
import { planConcat, type CopyPlan } from '../../src/media/plan.js';
import { normalizeProbe } from '../../src/media/probe.js';
import type { CopyPiece, EncodePiece, SmartCut } from '../../src/media/smart-cut.js';
import { loadProbeFixture } from '../helpers/media.js';

const LAND = normalizeProbe(loadProbeFixture('landscape-1280x720-30fps-aac'));
const HEAD = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'level+warning'];

const ENCODER = { profile: 'high', level: '3.1', pixFmt: 'yuv420p', bFrames: 3, crf: 16, x264Params: 'sps-id=1' } as const;
const piece = (over: Partial<EncodePiece>): EncodePiece => ({
  kind: 'encode',
  source: '/in/a.mp4',
  firstFrame: 16,
  frameCount: 14,
  startSec: 0.533333,
  durationSec: 0.466667,
  frameSec: 0.033333,
  outputPath: '/job/f0-0.mp4',
  timescale: 15360,
  trackId: 1,
  encoder: { ...ENCODER },
  ...over,
});

const COPY: CopyPiece = {
  kind: 'copy',
  source: '/in/a.mp4',
  firstFrame: 30,
  frameCount: 60,
  startSec: 1,
  durationSec: 2,
  inpointSec: 1,
  outpointSec: 2.916667,
};

const CUT: SmartCut = {
  firstFrame: 16,
  frameCount: 86,
  heldFrames: 0,
  startSec: 0.533333,
  endSec: 3.4,
  fileStartSec: 0,
  durationSec: 2.866667,
  inBandParameterSets: true,
  trackId: 1,
  pieces: [piece({}), COPY, piece({ firstFrame: 90, frameCount: 12, startSec: 3, durationSec: 0.4, outputPath: '/job/f0-2.mp4' })],
};

/** A DirectConcat plan of two fragments whose first one is smart-cut. */
function planWithCut(format: 'mp4' | 'ts' = 'mp4'): CopyPlan {
  const plan = planConcat({
    sources: [
      { path: '/in/a.mp4', label: 'a.mp4', probe: LAND },
      { path: '/in/b.mp4', label: 'b.mp4', probe: LAND },
    ],
    template: { fragments: [], container: { format }, audioMixArray: [], directConcat: true },
    bgm: [],
    outputPath: `/out/o.${format}`,
  }) as CopyPlan;
  plan.segments[0] = { ...plan.segments[0]!, durationSec: CUT.durationSec, videoDurationSec: CUT.durationSec, smartCut: CUT };
  return plan;
}

describe('buildSmartCutPieceArgs', () => {
  it('an encode piece: seeks half a frame early, passes timestamps through, stops after its frames, matched x264', () => {
    expect(buildSmartCutPieceArgs(piece({}))).toEqual([
      ...HEAD,
      ...['-ss', '0.516666', '-protocol_whitelist', 'file', '-i', '/in/a.mp4'],
      ...['-map', '0:v:0', '-vf', 'setpts=PTS-STARTPTS', '-fps_mode', 'passthrough', '-frames:v', '14'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'high', '-level:v', '3.1', '-pix_fmt', 'yuv420p', '-bf', '3'],
      ...['-crf', '16', '-x264-params', 'sps-id=1'],
      ...['-streamid', '0:1', '-use_stream_ids_as_track_ids', '1', '-video_track_timescale', '15360'],
      ...['-map_metadata', '-1', '-f', 'mp4', '/job/f0-0.mp4'],
    ]);
  });

  it('an encode piece holding its first frame clones it once; colour tags are passed when the source sets them', () => {
    const argv = buildSmartCutPieceArgs(
      piece({
        holdFirst: true,
        frameCount: 15,
        encoder: { ...ENCODER, colorPrimaries: 'bt709', colorTransfer: 'bt709', colorSpace: 'bt709', colorRange: 'tv' },
      }),
    );
    expect(argv[argv.indexOf('-vf') + 1]).toBe('setpts=PTS-STARTPTS,tpad=start=1:start_mode=clone');
    expect(argv[argv.indexOf('-frames:v') + 1]).toBe('15');
    expect(argv.slice(argv.indexOf('-color_primaries'), argv.indexOf('-color_primaries') + 8)).toEqual([
      ...['-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709', '-color_range', 'tv'],
    ]);
  });

  it('keeps the source track id only when the source has one', () => {
    expect(buildSmartCutPieceArgs(piece({ trackId: undefined }))).not.toContain('-streamid');
  });
});

describe('a copy plan with a smart-cut fragment', () => {
  it('lists every piece with its exact duration, the copied GOPs straight from the source, then the next fragment', () => {
    expect(copyListEntries(planWithCut())).toEqual([
      { path: '/job/f0-0.mp4', durationSec: 0.466667 },
      { path: '/in/a.mp4', inpointSec: 1, outpointSec: 2.916667, durationSec: 2 },
      { path: '/job/f0-2.mp4', durationSec: 0.4 },
      { path: '/in/b.mp4', durationSec: 10 },
    ]);
    expect(buildConcatListFile(copyListEntries(planWithCut()).slice(0, 2), { exactStreamId: 1 })).toBe(
      [
        'ffconcat version 1.0',
        'stream',
        'exact_stream_id 1',
        "file '/job/f0-0.mp4'",
        'duration 0.466667',
        "file '/in/a.mp4'",
        'inpoint 1',
        'outpoint 2.916667',
        'duration 2',
        '',
      ].join('\n'),
    );
  });

  it("cuts the fragment's audio to its kept frames on decoded samples, then to the picture's length", () => {
    const plan = planWithCut();
    expect(buildCopyAudioGraph(plan, plan.audioEncode!).split(';')).toEqual([
      '[0:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,atrim=start=0.533333:end=3.4,asetpts=PTS-STARTPTS,atrim=end=2.866667,apad=whole_dur=2.866667[a0]',
      '[1:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,atrim=end=10,apad=whole_dur=10[a1]',
      '[a0][a1]concat=n=2:v=0:a=1[aout]',
    ]);
  });

  it('tags the MP4 picture avc3 when pieces carry their own parameter sets (the picture part always, the output not in MPEG-TS, neither without them)', () => {
    const avc3 = (argv: string[]): boolean => argv.join(' ').includes('-tag:v avc3');
    const picture = (plan: CopyPlan): string[] => buildCopyPictureArgs(plan, plan.parts!);
    expect(avc3(picture(planWithCut()))).toBe(true);
    expect(avc3(buildConcatArgs(planWithCut()))).toBe(true);
    expect(avc3(picture(planWithCut('ts')))).toBe(true);
    expect(avc3(buildConcatArgs(planWithCut('ts')))).toBe(false);
    const copiedOnly = planWithCut();
    copiedOnly.segments[0]!.smartCut = { ...CUT, inBandParameterSets: false, pieces: [COPY] };
    expect(avc3(picture(copiedOnly))).toBe(false);
    expect(avc3(buildConcatArgs(copiedOnly))).toBe(false);
  });
});
