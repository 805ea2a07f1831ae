// Smart-cut: a trimmed H.264 fragment made from copied GOPs and a few re-encoded pictures. Given the
// fragment's keyframe index and a trim [A, B) in seconds, it keeps exactly the frames the encode path shows
// for the same trim (keptFrames), re-encodes only the head (A up to the first IDR picture) and the tail (the
// last IDR picture up to B) with encoder settings matched to the source, and
// copies the whole GOPs in between bit for bit. It refuses, with a reason, material where a copy would not
// be exact: other codecs, containers without an avcC, open GOPs at the cut, variable frame rate, interlaced
// or rotated pictures, and formats the matched encoder cannot reproduce. Pure: args.ts turns pieces into
// ffmpeg arguments, ffmpeg.ts runs them.
import path from 'node:path';
import type { KeyframeIndex } from './keyframes.js';
import type { MediaProbe } from './probe.js';
import { round6 } from './units.js';

export interface SmartCutInput {
  path: string;
  label: string;
  probe: MediaProbe;
  index: KeyframeIndex;
  /** The trim as the request gives it, seconds from the file's start; endSec absent = to the end. */
  startSec: number;
  endSec?: number;
  /** Where the pieces go, and how their names start (one prefix per fragment). */
  workDir: string;
  name: string;
}

/** libx264 settings that reproduce the source's stream format, so re-encoded and copied pictures join. */
export interface PieceEncoder {
  profile: 'baseline' | 'main' | 'high';
  /** "3.1". */
  level: string;
  pixFmt: 'yuv420p';
  /** -bf: chosen so the B-frame reorder depth (has_b_frames) equals the source's. */
  bFrames: number;
  crf: number;
  /** A parameter set id the source does not use, so a decoder never mixes the two sets up. */
  x264Params: string;
  /** Colour tags copied from the source (only those it sets). */
  colorPrimaries?: string;
  colorTransfer?: string;
  colorSpace?: string;
  colorRange?: string;
}

interface PieceBase {
  source: string;
  /** Display-order frame number of the piece's first picture in the source, and how many the piece has. */
  firstFrame: number;
  frameCount: number;
  /** Source time of the first picture, seconds from the file start (what `-ss` counts from). */
  startSec: number;
  /** frameCount frames at the source rate: the concat list's `duration` line. */
  durationSec: number;
}

/** Re-encoded pictures, written to a file of their own before the join. */
export interface EncodePiece extends PieceBase {
  kind: 'encode';
  /** The first picture is shown twice (the encode path's fps filter does so at some cuts); frameCount
   * includes the repeat. */
  holdFirst?: boolean;
  /** One frame at the source rate, seconds: the piece seeks half of it early. */
  frameSec: number;
  outputPath: string;
  /** The source time base's denominator: the piece keeps the source's timescale. */
  timescale: number;
  /** The source picture's MP4 track id: the piece keeps it, so a concat list that reads one track id
   * from every file finds the piece's picture too. */
  trackId?: number;
  encoder: PieceEncoder;
}

/**
 * Whole GOPs read straight from the source by the concat list, never rewritten: from the IDR picture at
 * `inpointSec` (the demuxer seeks to the keyframe at or before it) up to, not including, the first packet
 * decoded at or after `outpointSec` (the next IDR picture; absent: to the end of the file). Both are stream
 * timestamps in seconds, as the list's `inpoint`/`outpoint` take them.
 */
export interface CopyPiece extends PieceBase {
  kind: 'copy';
  inpointSec: number;
  outpointSec?: number;
}

export type SmartCutPiece = EncodePiece | CopyPiece;

export interface SmartCut {
  /** The first kept frame (display order) and the output's frame count: the frames up to
   * firstFrame + frameCount - heldFrames, after heldFrames repeats of the first one. */
  firstFrame: number;
  frameCount: number;
  heldFrames: 0 | 1;
  /** Time of the first kept frame and of the end of the last one, seconds from the file start: where the
   * fragment's audio is cut so it matches the picture sample for sample. */
  startSec: number;
  endSec: number;
  /** The file's start time: startSec/endSec plus this are the audio's own timestamps. */
  fileStartSec: number;
  durationSec: number;
  pieces: SmartCutPiece[];
  /** The picture's MP4 track id in the source (and in every re-encoded piece). */
  trackId?: number;
  /** Re-encoded pieces carry their own SPS/PPS: the joined MP4 must carry parameter sets in-band (avc3). */
  inBandParameterSets: boolean;
}

export type SmartCutDecision = { ok: true; cut: SmartCut } | { ok: false; reason: string };

/** Quality of the re-encoded head and tail: visually lossless next to the copied GOPs (>= 45 dB PSNR). With
 * x264's ultrafast preset (args.ts) measured 48.8-54.2 dB at 320x240 and 53 dB or more at 1280x720, in a
 * third less time than veryfast at CRF 14 (46.5-53 dB at 320x240), for about 1.7x the bits in those frames. */
export const SMART_CUT_CRF = 18;

const PROFILES: Record<string, PieceEncoder['profile']> = {
  'Constrained Baseline': 'baseline',
  Baseline: 'baseline',
  Main: 'main',
  High: 'high',
};

/** x264 -bf for a reorder depth: 1 B-frame without pyramid reorders by 1; 3 with the default pyramid by 2. */
const B_FRAMES_FOR_DEPTH: Record<number, number> = { 0: 0, 1: 1, 2: 3 };

const INTERLACED = new Set(['tt', 'bb', 'tb', 'bt']);

function refuse(reason: string): SmartCutDecision {
  return { ok: false, reason };
}

function isMp4Family(probe: MediaProbe): boolean {
  const names = probe.formatName.split(',');
  return names.includes('mp4') || names.includes('mov');
}

function levelText(level: number): string {
  return `${Math.floor(level / 10)}.${level % 10}`;
}

function encoderFor(index: KeyframeIndex): PieceEncoder | string {
  const s = index.stream;
  const profile = PROFILES[s.profile];
  if (!profile) return `profile ${s.profile || 'unknown'} cannot be matched by the re-encode (baseline, main or high only)`;
  if (s.pixFmt !== 'yuv420p') return `pixel format ${s.pixFmt} cannot be matched by the re-encode (yuv420p only)`;
  const bFrames = B_FRAMES_FOR_DEPTH[s.hasBFrames];
  if (bFrames === undefined) return `a B-frame reorder depth of ${s.hasBFrames} cannot be matched by the re-encode`;
  if (!(s.level > 0)) return 'the stream does not state its level';
  const tag = (v: string): string | undefined => (v && v !== 'unknown' && v !== 'unspecified' ? v : undefined);
  const colour = {
    colorPrimaries: tag(s.colorPrimaries),
    colorTransfer: tag(s.colorTransfer),
    colorSpace: tag(s.colorSpace),
    colorRange: tag(s.colorRange),
  };
  return {
    profile,
    level: levelText(s.level),
    pixFmt: 'yuv420p',
    bFrames,
    crf: SMART_CUT_CRF,
    x264Params: 'sps-id=1',
    ...(Object.fromEntries(Object.entries(colour).filter(([, v]) => v !== undefined)) as Partial<PieceEncoder>),
  };
}

/** Ticks of the stream time base per frame, when every frame lasts the same (±1 tick of rounding). */
function constantFrameTicks(index: KeyframeIndex): number | undefined {
  const { frames, packets, stream } = index;
  const { num, den } = stream.frameRate;
  if (!(num > 0 && den > 0)) return undefined;
  const nominal = (stream.timeBase.den * den) / (stream.timeBase.num * num);
  for (let k = 1; k < frames.length; k++) {
    const step = packets[frames[k]!]!.pts - packets[frames[k - 1]!]!.pts;
    if (Math.abs(step - nominal) > 1) return undefined;
  }
  return nominal;
}

/**
 * The frames the encode path shows for the same trim (`-ss A -t D` before the input, then the fps filter):
 * from the first frame at or after A, every frame less than D after that first one; and when that first frame
 * starts half a frame or more after A, the fps filter shows it twice (it fills the output's first slot). The
 * same frames here, so both paths give the same frame count for the same request.
 */
function keptFrames(
  input: SmartCutInput,
  total: number,
  timeOf: (frame: number) => number,
  frameSec: number,
): { first: number; end: number; held: boolean } | undefined {
  const EPS = 1e-7;
  const full = input.probe.durationSec;
  // The numbers the encode path hands ffmpeg: 6 decimals, EndTime past the end means to the end.
  const a = round6(input.startSec);
  const d = round6(Math.min(input.endSec ?? full, full) - input.startSec);
  const firstAtOrAfter = (t: number): number => {
    let lo = 0;
    let hi = total;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (timeOf(mid) >= t - EPS) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  const first = firstAtOrAfter(a);
  if (first >= total) return undefined;
  const end = firstAtOrAfter(timeOf(first) + d);
  if (end <= first) return undefined;
  return { first, end, held: (timeOf(first) - a) / frameSec >= 0.5 - 1e-6 };
}

/** Whether a trimmed fragment can be smart-cut, and if so its pieces. */
export function planSmartCut(input: SmartCutInput): SmartCutDecision {
  const { index, probe } = input;
  const s = index.stream;
  if (s.codec !== 'h264') return refuse(`the video is ${s.codec}, not H.264`);
  if (!isMp4Family(probe) || s.nalLengthSize === undefined) return refuse('the file is not MP4/MOV with an avcC sample description');
  if (INTERLACED.has(s.fieldOrder)) return refuse(`the video is interlaced (field order ${s.fieldOrder})`);
  if ((probe.video?.rotation ?? 0) !== 0) return refuse(`the video is rotated by ${probe.video?.rotation} degrees`);
  const encoder = encoderFor(index);
  if (typeof encoder === 'string') return refuse(encoder);
  const ticks = constantFrameTicks(index);
  if (ticks === undefined) return refuse('the video has a variable frame rate');
  const total = index.frames.length;
  if (total === 0) return refuse('the video has no frames');

  const tb = s.timeBase.num / s.timeBase.den;
  const frameSec = ticks * tb;
  // A trim and `-ss` count from the file's start time.
  const timeOf = (frame: number): number => index.packets[index.frames[frame]!]!.pts * tb - index.fileStartSec;
  const keep = keptFrames(input, total, timeOf, frameSec);
  if (!keep) return refuse('the trim keeps no frame');
  const { first, end, held } = keep;

  const idrFrames = new Set(index.idrPackets.map((p) => index.packets[p]!.frame));
  for (let f = first; f < end; f++) {
    const p = index.packets[index.frames[f]!]!;
    if (p.keyframe && !idrFrames.has(f)) return refuse(`open GOP: the keyframe at frame ${f} is not an IDR picture`);
  }
  const sortedIdr = [...idrFrames].sort((x, y) => x - y);
  const k1 = sortedIdr.find((f) => f >= first);
  const k2 = end === total ? total : [...sortedIdr].reverse().find((f) => f <= end);

  const pieces: SmartCutPiece[] = [];
  const encodePiece = (from: number, to: number, hold = false): EncodePiece => {
    const frameCount = to - from + (hold ? 1 : 0);
    return {
      kind: 'encode',
      source: input.path,
      firstFrame: from,
      frameCount,
      ...(hold ? { holdFirst: true } : {}),
      startSec: round6(timeOf(from)),
      durationSec: round6(frameCount * frameSec),
      frameSec: round6(frameSec),
      outputPath: path.join(input.workDir, `${input.name}-${pieces.length}.mp4`),
      timescale: s.timeBase.den,
      ...(probe.video?.streamId !== undefined ? { trackId: probe.video.streamId } : {}),
      encoder,
    };
  };
  if (k1 === undefined || k2 === undefined || k1 >= k2) {
    pieces.push(encodePiece(first, end, held));
  } else {
    // The copied GOPs must be exactly the frames [k1, k2) in decode order too, or the list's outpoint (on
    // decode timestamps) would cut another set of pictures.
    const p1 = index.frames[k1]!;
    for (let p = p1; p < p1 + (k2 - k1); p++) {
      const f = index.packets[p]?.frame ?? -1;
      if (f < k1 || f >= k2) return refuse(`frames ${k1}..${k2 - 1} are not contiguous in decode order`);
    }
    // A held first frame with no head to carry it: a piece of that one repeated picture.
    if (first < k1 || held) pieces.push(encodePiece(first, first < k1 ? k1 : first, held));
    // Between the last copied packet's decode time and the next IDR picture's: no rounding can move it.
    const next = index.packets[p1 + (k2 - k1)];
    const last = index.packets[p1 + (k2 - k1) - 1]!;
    pieces.push({
      kind: 'copy',
      source: input.path,
      firstFrame: k1,
      frameCount: k2 - k1,
      startSec: round6(timeOf(k1)),
      durationSec: round6((k2 - k1) * frameSec),
      // Rounded up to the microsecond the list is read in: at or just after the IDR picture, less than a frame.
      inpointSec: Math.ceil(index.packets[p1]!.pts * tb * 1e6 - 1e-3) / 1e6,
      ...(next ? { outpointSec: round6(((last.dts + next.dts) / 2) * tb) } : {}),
    });
    if (k2 < end) pieces.push(encodePiece(k2, end));
  }
  const frameCount = end - first + (held ? 1 : 0);
  const startSec = timeOf(first) - (held ? frameSec : 0);
  return {
    ok: true,
    cut: {
      firstFrame: first,
      frameCount,
      heldFrames: held ? 1 : 0,
      startSec: round6(startSec),
      endSec: round6(startSec + frameCount * frameSec),
      fileStartSec: index.fileStartSec,
      ...(probe.video?.streamId !== undefined ? { trackId: probe.video.streamId } : {}),
      durationSec: round6(frameCount * frameSec),
      pieces,
      inBandParameterSets: pieces.some((p) => p.kind === 'encode'),
    },
  };
}
