// Smart-cut planning on synthetic keyframe indexes: 4 s at 30 fps in a 1/15360 time base, one B-frame between
// references (decode order I0 P2 B1 P4 B3 ...), an IDR picture every 30 frames. Which frames are kept
// (the same as the encode path's trim), which are re-encoded and which copied, the matched encoder, and
// every refusal with its reason.
import { describe, expect, it } from 'vitest';
import { buildKeyframeIndex, keyframeSamplesToRead } from '../../src/media/keyframes.js';
import type { ContainerFormat } from '../../src/domain/concat-types.js';
import { planConcat, type PlanSource } from '../../src/media/plan.js';
import { normalizeProbe, type MediaProbe } from '../../src/media/probe.js';
import { verifySpecOf } from '../../src/media/verify.js';
import { loadProbeFixture } from '../helpers/media.js';
import { planSmartCut, SMART_CUT_CRF, type SmartCutDecision, type SmartCutInput } from '../../src/media/smart-cut.js';
import {
  H264_STREAM as STREAM,
  IDR_SAMPLE as IDR,
  syntheticKeyframeIndex,
  syntheticPackets as clip,
  TICKS_30FPS as TICKS,
  type SyntheticClip as Clip,
} from '../helpers/keyframes.js';

const PROBE: MediaProbe = {
  durationSec: 4,
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
  video: {
    codec: 'h264',
    width: 320,
    height: 240,
    fps: 30,
    pixFmt: 'yuv420p',
    profile: 'High',
    level: 31,
    rotation: 0,
    frameCount: 120,
    timeBase: '1/15360',
    hasBFrames: 1,
    sar: '1:1',
    fieldOrder: 'progressive',
    colorPrimaries: 'unknown',
    colorTransfer: 'bt709',
    colorSpace: 'bt709',
    colorRange: 'tv',
    variableFrameRate: false,
    extradataHash: 'SHA256:abc',
  },
};

function decide(startSec: number, endSec: number | undefined, spec: Clip = {}, probe: MediaProbe = PROBE): SmartCutDecision {
  const index = syntheticKeyframeIndex(spec);
  const input: SmartCutInput = { path: '/in/a.mp4', label: 'a.mp4', probe, index, startSec, workDir: '/data/jobs/j1', name: 'f0' };
  if (endSec !== undefined) input.endSec = endSec;
  return planSmartCut(input);
}

function pieces(d: SmartCutDecision): [string, number, number][] {
  if (!d.ok) throw new Error(d.reason);
  return d.cut.pieces.map((p) => [p.kind, p.firstFrame, p.frameCount]);
}

describe('buildKeyframeIndex', () => {
  it('orders frames by display time, finds the IDR keyframes by NAL type and reads the avcC length size', () => {
    const { packets, samples } = clip();
    const index = buildKeyframeIndex(STREAM, 0, packets, samples);
    expect(index.frames).toHaveLength(120);
    expect(index.frames.map((p) => index.packets[p]!.pts)).toEqual(Array.from({ length: 120 }, (_, f) => f * TICKS));
    expect(index.idrPackets.map((p) => index.packets[p]!.frame)).toEqual([0, 30, 60, 90]);
    expect(index.stream).toMatchObject({
      nalLengthSize: 4,
      timeBase: { num: 1, den: 15360 },
      frameRate: { num: 30, den: 1 },
      hasBFrames: 1,
    });
  });

  it('does not count an open-GOP I picture or a keyframe whose bytes are missing as an IDR', () => {
    const open = clip({ openGop: true });
    expect(buildKeyframeIndex(STREAM, 0, open.packets, open.samples).idrPackets).toEqual([0]);
    const { packets } = clip();
    expect(buildKeyframeIndex(STREAM, 0, packets, new Map()).idrPackets).toEqual([]);
  });

  it('reads the samples of keyframes only', () => {
    const { packets } = clip();
    expect(keyframeSamplesToRead(packets).map((s) => s.packet)).toEqual([0, 30, 60, 90]);
    expect(keyframeSamplesToRead(packets)[1]).toEqual({ packet: 30, pos: 4000, size: IDR.length });
  });
});

describe('planSmartCut: kept frames and pieces', () => {
  it('cuts inside GOPs: re-encodes up to the next IDR and from the last IDR, copies the GOPs between', () => {
    // 0.52 s is 0.6 frame into frame 15; the kept frames run less than 2.85 s from frame 16: 16..101.
    const d = decide(0.52, 3.37);
    expect(pieces(d)).toEqual([
      ['encode', 16, 14],
      ['copy', 30, 60],
      ['encode', 90, 12],
    ]);
    if (!d.ok) return;
    expect(d.cut).toMatchObject({ firstFrame: 16, frameCount: 86, heldFrames: 0, startSec: 0.533333, endSec: 3.4, durationSec: 2.866667 });
    expect(d.cut.inBandParameterSets).toBe(true);
    const [head, body, tail] = d.cut.pieces;
    expect(head).toMatchObject({
      startSec: 0.533333,
      durationSec: 0.466667,
      outputPath: '/data/jobs/j1/f0-0.mp4',
      timescale: 15360,
      frameSec: 0.033333,
    });
    // The GOPs are read from the source: from the IDR picture of frame 30 (1 s) to the midpoint between the
    // decode times of the last packet before frame 90's IDR picture and of that IDR picture.
    expect(body).toEqual({
      kind: 'copy',
      source: '/in/a.mp4',
      firstFrame: 30,
      frameCount: 60,
      startSec: 1,
      durationSec: 2,
      inpointSec: 1,
      outpointSec: ((88 + 89) / 2) * (512 / 15360),
    });
    expect(tail).toMatchObject({ startSec: 3, durationSec: 0.4, outputPath: '/data/jobs/j1/f0-2.mp4' });
  });
  it('keeps a frame that starts exactly on the start cut and drops the one that starts exactly at the end', () => {
    expect(decide(0.5, 1.8)).toMatchObject({ ok: true, cut: { firstFrame: 15, frameCount: 39, heldFrames: 0 } });
    expect(decide(0.5, 1.81)).toMatchObject({ ok: true, cut: { firstFrame: 15, frameCount: 40, heldFrames: 0 } });
  });

  it('counts the duration from the first kept frame, as the encode path does', () => {
    // 2.48 s after frame 16 (0.533 s) reaches past frame 90 (3.0 s): kept, though 3.0 is the EndTime.
    expect(decide(0.52, 3)).toMatchObject({ ok: true, cut: { firstFrame: 16, frameCount: 75 } });
  });

  it('has no head when the start is an IDR picture, and no tail when the end is an IDR picture', () => {
    expect(pieces(decide(1, 3.37))).toEqual([
      ['copy', 30, 60],
      ['encode', 90, 12],
    ]);
    expect(pieces(decide(0.52, 2.98))).toEqual([
      ['encode', 16, 14],
      ['copy', 30, 60],
    ]);
  });

  it('copies to the end of the clip when the trim runs to it (no EndTime, or one past the end)', () => {
    expect(pieces(decide(0.52, undefined))).toEqual([
      ['encode', 16, 14],
      ['copy', 30, 90],
    ]);
    expect(pieces(decide(0.52, 9))).toEqual(pieces(decide(0.52, undefined)));
  });

  it('re-encodes the whole range as one piece when no whole GOP lies between the cuts', () => {
    const d = decide(1.1, 1.6);
    expect(pieces(d)).toEqual([['encode', 33, 15]]);
    if (d.ok) expect(d.cut.inBandParameterSets).toBe(true);
  });

  it('shows the first frame twice when it starts half a frame or more after the cut, as the encode path does', () => {
    // 0.51 s: frame 16 starts 0.7 frame later.
    const d = decide(0.51, 3.37);
    expect(pieces(d)).toEqual([
      ['encode', 16, 15],
      ['copy', 30, 60],
      ['encode', 90, 12],
    ]);
    if (!d.ok) return;
    expect(d.cut).toMatchObject({ firstFrame: 16, frameCount: 87, heldFrames: 1, startSec: 0.5 });
    expect(d.cut.pieces.map((p) => p.kind === 'encode' && p.holdFirst === true)).toEqual([true, false, false]);
  });

  it('makes the held frame a piece of its own when the first kept frame is an IDR picture', () => {
    // 0.98 s: frame 30 (an IDR) starts 0.6 frame later.
    const d = decide(0.98, 2.5);
    expect(pieces(d)).toEqual([
      ['encode', 30, 1],
      ['copy', 30, 30],
      ['encode', 60, 16],
    ]);
    if (d.ok) expect(d.cut.pieces[0]).toMatchObject({ holdFirst: true, startSec: 1 });
  });

  it('matches the encoder to the source: profile, level, reorder depth, colour tags; a distinct SPS id', () => {
    const d = decide(0.52, 3.37);
    if (!d.ok) throw new Error(d.reason);
    const [head, body] = d.cut.pieces;
    expect(head?.kind === 'encode' && head.encoder).toEqual({
      profile: 'high',
      level: '3.1',
      pixFmt: 'yuv420p',
      bFrames: 1,
      crf: SMART_CUT_CRF,
      x264Params: 'sps-id=1',
      colorRange: 'tv',
      colorSpace: 'bt709',
      colorTransfer: 'bt709',
    });
    expect(body?.kind).toBe('copy');
    const depth2 = decide(0.52, 3.37, { stream: { has_b_frames: 2, profile: 'Constrained Baseline', level: 13 } });
    if (!depth2.ok) throw new Error(depth2.reason);
    const head2 = depth2.cut.pieces[0];
    expect(head2?.kind === 'encode' && head2.encoder).toMatchObject({ bFrames: 3, profile: 'baseline', level: '1.3' });
  });
});

describe('planSmartCut: refusals', () => {
  const reason = (d: SmartCutDecision): string => (d.ok ? 'accepted' : d.reason);

  it('refuses other codecs and containers without avcC', () => {
    expect(reason(decide(0.52, 3.37, { stream: { codec_name: 'hevc' } }))).toBe('the video is hevc, not H.264');
    expect(reason(decide(0.52, 3.37, {}, { ...PROBE, formatName: 'mpegts' }))).toBe(
      'the file is not MP4/MOV with an avcC sample description',
    );
    expect(reason(decide(0.52, 3.37, { stream: { extradata: '' } }))).toBe('the file is not MP4/MOV with an avcC sample description');
  });

  it('refuses an open GOP at a cut', () => {
    expect(reason(decide(0.52, 3.37, { openGop: true }))).toBe('open GOP: the keyframe at frame 30 is not an IDR picture');
  });

  it('refuses a variable frame rate', () => {
    expect(reason(decide(0.52, 3.37, { jitter: { 50: 200 } }))).toBe('the video has a variable frame rate');
  });

  it('refuses interlaced and rotated pictures', () => {
    expect(reason(decide(0.52, 3.37, { stream: { field_order: 'tt' } }))).toBe('the video is interlaced (field order tt)');
    expect(reason(decide(0.52, 3.37, {}, { ...PROBE, video: { ...PROBE.video!, rotation: 90 } }))).toBe(
      'the video is rotated by 90 degrees',
    );
  });

  it('refuses formats the matched encoder cannot reproduce', () => {
    expect(reason(decide(0.52, 3.37, { stream: { profile: 'High 10' } }))).toMatch(/^profile High 10 cannot be matched/);
    expect(reason(decide(0.52, 3.37, { stream: { pix_fmt: 'yuv422p' } }))).toMatch(/^pixel format yuv422p cannot be matched/);
    expect(reason(decide(0.52, 3.37, { stream: { has_b_frames: 3 } }))).toMatch(/reorder depth of 3 cannot be matched/);
  });

  it('refuses when the copied GOPs are not contiguous in decode order', () => {
    // Frame 89 decoded after the IDR picture of frame 90.
    const late89 = (order: number[]): number[] => {
      const rest = order.filter((f) => f !== 89);
      rest.splice(rest.indexOf(90) + 1, 0, 89);
      return rest;
    };
    expect(reason(decide(0.52, 3.37, { reorder: late89 }))).toBe('frames 30..89 are not contiguous in decode order');
  });
});

describe('planConcat: the smart-cut path of the copy ladder', () => {
  const LAND = normalizeProbe(loadProbeFixture('landscape-1280x720-30fps-aac'));
  const index = (spec: Clip = {}) => syntheticKeyframeIndex({ frames: 300, stream: { has_b_frames: 2 }, ...spec });
  const plan = (format: ContainerFormat, first: Partial<PlanSource>, autoCopy = true) =>
    planConcat({
      sources: [
        { path: '/in/a.mp4', label: 'a.mp4', probe: LAND, startTime: 1.52, endTime: 8.2, ...first },
        { path: '/in/b.mp4', label: 'b.mp4', probe: LAND },
      ],
      template: { fragments: [], container: { format }, audioMixArray: [], directConcat: false },
      bgm: [],
      outputPath: `/out/o.${format}`,
      workDir: '/job',
      autoCopy,
    });

  it('smart-cuts a trimmed fragment with a keyframe index and copies the other', () => {
    const p = plan('mp4', { keyframes: index() });
    expect(p).toMatchObject({ kind: 'copy', path: 'smartcut', durationSec: 16.7, audioEncode: { codec: 'aac' } });
    if (p.kind !== 'copy') return;
    expect(p.reason).toMatch(/; trimmed fragment "a.mp4" cut frame-exact: 21 of 501 frames re-encoded at the cuts, the rest copied$/);
    expect(p.segments[0]!.smartCut?.pieces.map((x) => x.kind)).toEqual(['encode', 'copy', 'encode']);
    expect(p.segments[1]!.smartCut).toBeUndefined();
    expect(plan('ts', { keyframes: index() }).path).toBe('smartcut');
  });

  it('has the output verified for its frame count, at the join, and over every re-encoded piece', () => {
    const p = plan('mp4', { keyframes: index() });
    if (p.kind !== 'copy') throw new Error('not a copy plan');
    const spec = verifySpecOf(p);
    expect(spec.frames).toBe(201 + 300);
    expect(spec.joins).toEqual([{ atSec: 6.7, why: 'join of "a.mp4" and "b.mp4"' }]);
    expect(spec.windows).toEqual([
      { startSec: 0, endSec: 0.466667, why: 're-encoded frames 46-59 of "a.mp4"' },
      { startSec: 6.466667, endSec: 6.7, why: 're-encoded frames 240-246 of "a.mp4"' },
    ]);
  });

  it('encodes, saying why, when the cut cannot be made by copying, without an index, into FLV, or with AUTO_COPY off', () => {
    expect(plan('mp4', { keyframes: index({ openGop: true }) })).toMatchObject({
      kind: 'encode',
      reason:
        'fragment "a.mp4" is trimmed and cannot be cut frame-exact by copying: open GOP: the keyframe at frame 60 is not an IDR picture',
    });
    expect(plan('mp4', {})).toMatchObject({ kind: 'encode', reason: 'fragment "a.mp4" is trimmed' });
    expect(plan('flv', { keyframes: index() })).toMatchObject({
      kind: 'encode',
      reason: 'Container flv cannot carry the parameter sets of frame-exact cuts',
    });
    expect(plan('mp4', { keyframes: index() }, false)).toMatchObject({ kind: 'encode', path: 'encode' });
    // The other fragment's picture on another track: the list could not read it by one track id.
    const other = { ...LAND, video: { ...LAND.video!, streamId: 2 } };
    expect(
      planConcat({
        sources: [
          { path: '/in/a.mp4', label: 'a.mp4', probe: LAND, startTime: 1.52, endTime: 8.2, keyframes: index() },
          { path: '/in/b.mp4', label: 'b.mp4', probe: other },
        ],
        template: { fragments: [], container: { format: 'mp4' }, audioMixArray: [], directConcat: false },
        bgm: [],
        outputPath: '/out/o.mp4',
        autoCopy: true,
      }),
    ).toMatchObject({ kind: 'encode', reason: 'frame-exact cuts need every fragment in MP4/MOV with its picture on the same track' });
  });
});
