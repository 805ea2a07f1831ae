// What a stream-copied output must look like before it is uploaded, and how to tell cheaply. A copy
// joins packets the engine did not encode, so a mistake (a fragment that differs in a way the planner
// did not see, timestamps that do not line up at a join, a damaged source) would otherwise reach the
// user. Two checks, both far cheaper than decoding the whole output:
//  - a packet scan (ffprobe, demux only) of the whole file: the planned number of pictures, decode
//    timestamps strictly increasing, presentation timestamps one frame apart with no gap or overlap,
//    a keyframe first, and the audio there and as long as the picture;
//  - a decode (`ffmpeg -v error`, silent = pass) of windows only: around every join, from the last
//    keyframe before it when that GOP is at most 2 s long (the end of the fragment before, whose last
//    pictures reference it; a longer one is the source's own pictures, each counted and timed by the
//    scan, and decoding it would cost more than the copy) to the first keyframe after it or one second
//    after it, whichever comes first (the fragment after starts with an IDR picture at the join: a
//    missing parameter set or a broken start shows in its first pictures, and what follows is the
//    source's own GOP, unchanged), plus any span the engine re-encoded.
// A split encode's stitched output (split.ts) is checked the same way, its chunk seams taking the joins' place.
// Pure: the spec from the plan, the ffprobe/ffmpeg argv, the parsing and the checks. ffmpeg.ts runs them.
import type { ConcatPlan, CopyPlan, EncodePlan } from './plan.js';
import type { SplitPlan, VideoChunk } from './split.js';

/** A span of the output to decode, in seconds from its first picture (its first audio sample without video). */
export interface VerifyWindow {
  startSec: number;
  endSec: number;
  /** Names the span in a failure, e.g. `join of "a.mp4" and "b.mp4"`. */
  why: string;
}

export interface VerifySpec {
  video: boolean;
  /** Pictures the output must hold; 0 without video. */
  frames: number;
  /** One picture's duration; 0 when the rate is unknown (the scan then uses the most common step). */
  frameSec: number;
  /** Where two fragments meet, from the first picture: each is decoded from the last keyframe before it (when
   * at most 2 s before, else from the join) to the first keyframe after it or one second after it,
   * whichever is first, found by the packet scan. */
  joins: { atSec: number; why: string }[];
  /** More spans decoded as they are, e.g. re-encoded pieces; the decode starts at the keyframe before each. */
  windows: VerifyWindow[];
  audio: boolean;
  /** The planned length: what the audio of an output without video is held to. */
  durationSec: number;
  /** Fragments joined: an output without video may be off by two audio frames per fragment. */
  fragments: number;
  /**
   * How a window is read. 'seek': `-ss` finds the keyframe at or before it through the file's index
   * (MP4, FLV). 'seek-forward': the HLS demuxer skips to the first keyframe at or after `-ss`. 'bytes':
   * MPEG-TS has no index and its timestamp search can land mid-GOP, so the window is read as the byte
   * range from its first keyframe's packet up to the next window end's keyframe (the demuxer picks up the
   * programme tables the muxer repeats; every picture of such a range decodes).
   */
  seek: 'seek' | 'seek-forward' | 'bytes';
}

/** Which check failed; the first word of every failure reason. */
export type VerifyCheck =
  /** ffmpeg could not write the copy at all (the runner's own check). */
  | 'copy'
  /** A split encode's chunks do not fit together: frame counts or parameter sets. */
  | 'chunks'
  | 'scan'
  | 'video-missing'
  | 'timestamps'
  | 'frame-count'
  | 'first-keyframe'
  | 'dts-order'
  | 'pts-gap'
  | 'pts-overlap'
  | 'audio-missing'
  | 'audio-dts-order'
  | 'audio-length'
  | 'decode';

export type VerifyVerdict = { ok: true } | { ok: false; check: VerifyCheck; reason: string };

/** A copy plan's output, made and checked before it may be uploaded. */
export interface CopyOutcome {
  verdict: VerifyVerdict;
  /** Time spent checking; a hybrid copy's picture is checked while its sound is encoded. */
  verifyMs: number;
}

export function failed(check: VerifyCheck, detail: string): VerifyVerdict {
  return { ok: false, check, reason: `${check}: ${detail}` };
}

/** The checks a copy plan's output must pass. */
export function verifySpecOf(plan: CopyPlan): VerifySpec {
  const fps = plan.video && plan.fps && plan.fps > 0 ? plan.fps : 0;
  const framesOf = (s: CopyPlan['segments'][number]): number => s.frames ?? Math.round((s.videoDurationSec ?? s.durationSec) * fps);
  const joins: VerifySpec['joins'] = [];
  const windows: VerifyWindow[] = [];
  let frames = 0;
  let atSec = 0;
  plan.segments.forEach((s, i) => {
    if (i > 0) joins.push({ atSec, why: `join of "${plan.segments[i - 1]!.label}" and "${s.label}"` });
    // A smart-cut fragment's re-encoded pieces are decoded whole: the engine made those pictures.
    let pieceAt = atSec;
    for (const p of s.smartCut?.pieces ?? []) {
      const last = p.firstFrame + p.frameCount - 1 - (p.kind === 'encode' && p.holdFirst ? 1 : 0);
      if (p.kind === 'encode') {
        windows.push({
          startSec: pieceAt,
          endSec: pieceAt + p.durationSec,
          why: `re-encoded frames ${p.firstFrame}-${last} of "${s.label}"`,
        });
      }
      pieceAt += p.durationSec;
    }
    if (plan.video) {
      frames += framesOf(s);
      atSec = fps > 0 ? frames / fps : atSec + (s.videoDurationSec ?? s.durationSec);
    } else {
      atSec += s.durationSec;
    }
  });
  return {
    video: plan.video,
    frames,
    frameSec: fps > 0 ? 1 / fps : 0,
    joins,
    windows,
    audio: plan.audio,
    durationSec: plan.durationSec,
    fragments: plan.segments.length,
    seek: seekOf(plan),
  };
}

function seekOf(plan: ConcatPlan): VerifySpec['seek'] {
  return plan.container.muxer === 'mpegts' ? 'bytes' : plan.container.muxer === 'hls' ? 'seek-forward' : 'seek';
}

/** The checks a split encode's stitched output must pass: the split's frames, every chunk seam decoded as a join. */
export function verifySpecOfSplit(plan: EncodePlan, split: SplitPlan): VerifySpec {
  return {
    video: true,
    frames: split.frames,
    frameSec: 1 / split.fps,
    joins: split.chunks.slice(1).map((c) => ({ atSec: c.startFrame / split.fps, why: `seam of chunks ${c.index - 1} and ${c.index}` })),
    windows: [],
    audio: split.audio,
    durationSec: split.frames / split.fps,
    fragments: split.chunks.length,
    seek: seekOf(plan),
  };
}

/** What a chunk file's probe says: its packets counted, its parameter sets hashed. */
export interface ChunkFacts {
  frames: number;
  /** The picture's parameter sets (sample description extradata), hashed. */
  extradata: string;
  codec: string;
  timeBase: string;
}

/** What the stitch needs to know of one chunk's file: its facts, and whether it passed its own checks. */
export interface ChunkCheck {
  index: number;
  file: string;
  facts: ChunkFacts;
  verdict: VerifyVerdict;
}

/**
 * One chunk's own checks (an MP4 of its picture): its frames, and a decode of the two ends that meet a seam once
 * stitched: from its first picture (an IDR) one second on, and its last GOP when that is short (the "join" at its
 * end). Together over every chunk these are the stitched output's seam windows.
 */
export function verifySpecOfChunk(split: SplitPlan, chunk: VideoChunk): VerifySpec {
  return {
    video: true,
    frames: chunk.frames,
    frameSec: 1 / split.fps,
    joins: chunk.index < split.chunks.length - 1 ? [{ atSec: chunk.durationSec, why: `end of chunk ${chunk.index}` }] : [],
    windows:
      chunk.index > 0 ? [{ startSec: 0, endSec: Math.min(AFTER_JOIN_SEC, chunk.durationSec), why: `start of chunk ${chunk.index}` }] : [],
    audio: false,
    durationSec: chunk.durationSec,
    fragments: 1,
    seek: 'seek',
  };
}

/** The checks of a hybrid copy's picture before it is muxed with its sound: the picture's own (an MP4 of it alone). */
export function pictureSpecOf(spec: VerifySpec): VerifySpec {
  return { ...spec, audio: false, seek: 'seek' };
}

// ---------------------------------------------------------------------------------------------- scan

export interface ScannedPacket {
  /** In ticks of the stream's time base; NaN when the container has none. */
  pts: number;
  dts: number;
  duration: number;
  /** Byte offset in the file; NaN when unknown. */
  pos: number;
  key: boolean;
  /** Marked to be dropped after decoding (AAC priming in MP4): not part of what plays. */
  discard: boolean;
}

export interface ScannedStream {
  /** Seconds per tick. */
  timeBase: number;
  packets: ScannedPacket[];
}

export interface PacketScan {
  /** The container's start time: what `-ss` positions count from. */
  startSec: number;
  video?: ScannedStream;
  audio?: ScannedStream;
}

/** ffprobe argv (no leading 'ffprobe') listing every packet's timestamps and flags, and each stream's time base, as CSV. */
export function buildScanArgs(file: string): string[] {
  return [
    ...['-v', 'error', '-protocol_whitelist', 'file'],
    ...['-show_entries', 'packet=stream_index,pts,dts,duration,pos,flags:stream=index,codec_type,time_base:format=start_time'],
    ...['-of', 'csv', '-i', file.startsWith('-') ? `./${file}` : file],
  ];
}

function rational(text: string | undefined): number {
  const [num, den] = (text ?? '').split('/').map(Number);
  return num !== undefined && den !== undefined && num > 0 && den > 0 ? num / den : NaN;
}

function ticks(text: string | undefined): number {
  return text === undefined || text === '' || text === 'N/A' ? NaN : Number(text);
}

/** Reads buildScanArgs' CSV: the first video and the first audio stream with their packets in file order. */
export function parsePacketScan(csv: string): PacketScan {
  const packets = new Map<number, ScannedPacket[]>();
  const streams: { index: number; type: string; timeBase: number }[] = [];
  let startSec = 0;
  for (const line of csv.split(/\r?\n/)) {
    // Packets with side data carry more fields after the flags; only the first ones are ours.
    const f = line.split(',');
    if (f[0] === 'packet' && f.length >= 7) {
      const index = Number(f[1]);
      const list = packets.get(index) ?? [];
      const flags = f[6] ?? '';
      const packet = { pts: ticks(f[2]), dts: ticks(f[3]), duration: ticks(f[4]), pos: ticks(f[5]) };
      list.push({ ...packet, key: flags.includes('K'), discard: flags.includes('D') });
      packets.set(index, list);
    } else if (f[0] === 'stream' && f.length >= 4) {
      streams.push({ index: Number(f[1]), type: f[2]!, timeBase: rational(f[3]) });
    } else if (f[0] === 'format' && f.length >= 2) {
      const start = Number(f[1]);
      if (Number.isFinite(start) && f[1] !== '') startSec = start;
    }
  }
  const pick = (type: string): ScannedStream | undefined => {
    const s = streams.find((x) => x.type === type);
    return s ? { timeBase: s.timeBase, packets: packets.get(s.index) ?? [] } : undefined;
  };
  const scan: PacketScan = { startSec };
  const video = pick('video');
  const audio = pick('audio');
  if (video) scan.video = video;
  if (audio) scan.audio = audio;
  return scan;
}

const durationOf = (p: ScannedPacket): number => (Number.isFinite(p.duration) ? p.duration : 0);

/** The largest value; a loop, as an hour of packets is too many arguments for Math.max. */
function largest(values: readonly number[]): number {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  return max;
}

const ms = (sec: number): string => `${Math.round(sec * 1e4) / 10} ms`;
const at = (sec: number): string => `${Math.round(sec * 1e3) / 1e3} s`;

/** The most common step between sorted timestamps: the frame duration when the plan does not know it. */
function commonStep(sorted: readonly number[]): number {
  const counts = new Map<number, number>();
  for (let i = 1; i < sorted.length; i++) {
    const step = sorted[i]! - sorted[i - 1]!;
    counts.set(step, (counts.get(step) ?? 0) + 1);
  }
  let best = 0;
  let bestCount = 0;
  for (const [step, count] of counts) if (count > bestCount) [best, bestCount] = [step, count];
  return best;
}

interface VideoFacts {
  /** Sorted presentation times of the pictures, in ticks. */
  sortedPts: number[];
  /** One picture, in ticks. */
  frameTicks: number;
}

function checkVideo(v: ScannedStream | undefined, spec: VerifySpec): VerifyVerdict | VideoFacts {
  if (!v || !(v.timeBase > 0)) return failed('video-missing', 'the output has no video stream');
  const packets = v.packets.filter((p) => !p.discard);
  if (packets.length !== spec.frames) {
    return failed('frame-count', `the output has ${packets.length} pictures, the plan ${spec.frames}`);
  }
  const missing = packets.findIndex((p) => !Number.isFinite(p.pts) || !Number.isFinite(p.dts));
  if (missing >= 0) return failed('timestamps', `picture packet ${missing} has no presentation or decode timestamp`);
  const tb = v.timeBase;
  for (let i = 1; i < packets.length; i++) {
    if (packets[i]!.dts <= packets[i - 1]!.dts) {
      return failed(
        'dts-order',
        `picture packet ${i} decodes at ${at(packets[i]!.dts * tb)}, not after packet ${i - 1} at ${at(packets[i - 1]!.dts * tb)}`,
      );
    }
  }
  const sortedPts = packets.map((p) => p.pts).sort((a, b) => a - b);
  const first = packets[0]!;
  if (!first.key || first.pts !== sortedPts[0]) {
    return failed(
      'first-keyframe',
      first.key ? 'a picture is shown before the first keyframe' : 'the first picture packet is not a keyframe',
    );
  }
  const frameTicks = spec.frameSec > 0 ? spec.frameSec / tb : commonStep(sortedPts);
  // One tick either way: a frame duration that is not a whole number of ticks alternates between two.
  const tolerance = 1 + 1e-6;
  for (let i = 1; i < sortedPts.length; i++) {
    const step = sortedPts[i]! - sortedPts[i - 1]!;
    if (Math.abs(step - frameTicks) <= tolerance) continue;
    const detail = `the picture after the one at ${at((sortedPts[i - 1]! - sortedPts[0]) * tb)} follows it by ${ms(step * tb)}; one frame is ${ms(frameTicks * tb)}`;
    return failed(step > frameTicks ? 'pts-gap' : 'pts-overlap', detail);
  }
  return { sortedPts, frameTicks };
}

function checkAudio(a: ScannedStream | undefined, spec: VerifySpec, video: VideoFacts | undefined, vtb: number): VerifyVerdict | undefined {
  const packets = a && a.timeBase > 0 ? a.packets.filter((p) => !p.discard && Number.isFinite(p.pts) && Number.isFinite(p.dts)) : [];
  if (!a || packets.length === 0) return failed('audio-missing', 'the plan has audio but the output has no audio packets');
  const tb = a.timeBase;
  for (let i = 1; i < packets.length; i++) {
    if (packets[i]!.dts <= packets[i - 1]!.dts) {
      return failed(
        'audio-dts-order',
        `audio packet ${i} decodes at ${at(packets[i]!.dts * tb)}, not after ${at(packets[i - 1]!.dts * tb)}`,
      );
    }
  }
  const last = packets[packets.length - 1]!;
  const audioSec = (last.pts + durationOf(last) - packets[0]!.pts) * tb;
  const audioFrameSec = largest(packets.map(durationOf)) * tb;
  if (video) {
    const { sortedPts, frameTicks } = video;
    const videoSec = (sortedPts[sortedPts.length - 1]! + frameTicks - sortedPts[0]!) * vtb;
    // Encoder priming and padding the container cannot mark (MPEG-TS has no edit list) make the audio up
    // to one audio frame longer than what plays; the picture's own end is known to a frame.
    const tolerance = audioFrameSec + frameTicks * vtb + vtb + tb;
    if (Math.abs(audioSec - videoSec) > tolerance) {
      return failed('audio-length', `the audio lasts ${at(audioSec)} and the picture ${at(videoSec)}; they may differ by ${ms(tolerance)}`);
    }
  } else {
    // Each copied fragment keeps its encoder priming and padding where the container cannot mark them
    // (ADTS, MP3): up to two audio frames each.
    const tolerance = 2 * audioFrameSec * Math.max(1, spec.fragments) + tb;
    if (Math.abs(audioSec - spec.durationSec) > tolerance) {
      return failed(
        'audio-length',
        `the audio lasts ${at(audioSec)}, the plan ${at(spec.durationSec)}; they may differ by ${ms(tolerance)}`,
      );
    }
  }
  return undefined;
}

/** Every packet-scan check; the first that fails, or ok. */
export function checkPacketScan(scan: PacketScan, spec: VerifySpec): VerifyVerdict {
  let video: VideoFacts | undefined;
  if (spec.video) {
    const v = checkVideo(scan.video, spec);
    if ('ok' in v) return v;
    video = v;
  }
  if (spec.audio) {
    const a = checkAudio(scan.audio, spec, video, scan.video?.timeBase ?? 0);
    if (a) return a;
  }
  return { ok: true };
}

// ---------------------------------------------------------------------------------------------- decode

/** Decode spans around an output's joins without video (no GOPs: every audio packet is a keyframe). */
const AUDIO_JOIN_MARGIN_SEC = 0.5;
/** How far past a join the decode goes at most (with long GOPs the next keyframe may be seconds away). */
const AFTER_JOIN_SEC = 1;
/** The longest GOP before a join that is decoded with it (x264's default GOP is 250 pictures, 8 s at 30 fps). */
const BEFORE_JOIN_MAX_SEC = 2;

/** A span to decode as the file is read: `-ss`/`-to` positions (from the container start), and for
 * spec.seek 'bytes' the byte range that holds it (no end: to the end of the file). */
export interface DecodeWindow extends VerifyWindow {
  bytes?: { start: number; end?: number };
}

/**
 * The spans to decode, merged where they overlap: each join from the last keyframe before it to the first
 * keyframe after it, and spec.windows; placed as spec.seek says.
 */
export function decodeWindowsOf(scan: PacketScan, spec: VerifySpec): DecodeWindow[] {
  const spans: VerifyWindow[] = [];
  const v = spec.video ? scan.video : undefined;
  const stream = v ?? scan.audio;
  if (!stream || stream.packets.length === 0) return [];
  const tb = stream.timeBase;
  const played = stream.packets.filter((p) => !p.discard && Number.isFinite(p.pts));
  if (played.length === 0) return [];
  const origin = -largest(played.map((p) => -p.pts)) * tb;
  const end = largest(played.map((p) => p.pts + durationOf(p))) * tb - origin;
  const keys = played.filter((p) => p.key).sort((a, b) => a.pts - b.pts);
  const keyTimes = keys.map((p) => p.pts * tb - origin);
  if (v) {
    const half = spec.frameSec > 0 ? spec.frameSec / 2 : 1e-3;
    for (const j of spec.joins) {
      const before = keyTimes.filter((k) => k < j.atSec - half);
      const after = keyTimes.find((k) => k > j.atSec + half);
      // The GOP before the join is decoded when it is short; a long one (seconds of the source's own
      // pictures, whose every packet the scan has counted and timed) would cost more than the copy.
      const keyBefore = before[before.length - 1] ?? 0;
      const startSec = j.atSec - keyBefore <= BEFORE_JOIN_MAX_SEC ? keyBefore : j.atSec;
      const endSec = Math.min(after ?? end, j.atSec + AFTER_JOIN_SEC, end);
      // A join at the file's end with a long GOP before it leaves nothing to decode.
      if (endSec - startSec > half) spans.push({ startSec, endSec, why: j.why });
    }
  } else {
    for (const j of spec.joins) {
      spans.push({
        startSec: Math.max(0, j.atSec - AUDIO_JOIN_MARGIN_SEC),
        endSec: Math.min(end, j.atSec + AUDIO_JOIN_MARGIN_SEC),
        why: j.why,
      });
    }
  }
  spans.push(...spec.windows);
  const merged: VerifyWindow[] = [];
  for (const s of [...spans].sort((a, b) => a.startSec - b.startSec)) {
    const prev = merged[merged.length - 1];
    if (prev && s.startSec <= prev.endSec) {
      prev.endSec = Math.max(prev.endSec, s.endSec);
      prev.why = `${prev.why}; ${s.why}`;
    } else {
      merged.push({ ...s });
    }
  }
  const shift = origin - scan.startSec;
  // The HLS demuxer starts at the first keyframe at or after -ss: half a frame early keeps the one wanted.
  const early = spec.seek === 'seek-forward' ? (spec.frameSec > 0 ? spec.frameSec / 2 : 1e-3) : 0;
  return merged.map((w): DecodeWindow => {
    const placed: DecodeWindow = { startSec: Math.max(0, w.startSec + shift - early), endSec: w.endSec + shift, why: w.why };
    if (spec.seek === 'bytes') {
      const i = keyTimes.reduce((found, k, n) => (k <= w.startSec + 1e-6 ? n : found), 0);
      const j = keyTimes.findIndex((k) => k >= w.endSec - 1e-6);
      const start = keys[i]?.pos ?? 0;
      const stop = j >= 0 ? (keys[j]?.pos ?? NaN) : NaN;
      placed.bytes = Number.isFinite(stop) && stop > start ? { start, end: stop } : { start };
    }
    return placed;
  });
}

/** Seconds for -ss/-to, rounded up to the microsecond so a keyframe's own time seeks to it, not the one before. */
function seekSec(sec: number): string {
  return String(Math.ceil(Math.round(sec * 1e9) / 1e3) / 1e6);
}

/**
 * ffmpeg argv (no leading 'ffmpeg') decoding only `windows` of `file`, each as its own input (`-ss`/`-to`
 * input options, or an MPEG-TS byte range through the subfile protocol: nothing else is read), picture and
 * sound, into the null muxer. Errors only: a clean decode prints nothing.
 */
export function buildDecodeArgs(file: string, windows: readonly DecodeWindow[]): string[] {
  const input = file.startsWith('-') ? `./${file}` : file;
  const args = ['-hide_banner', '-nostdin', '-v', 'error'];
  for (const w of windows) {
    if (w.bytes) {
      const end = w.bytes.end !== undefined ? `,end,${w.bytes.end}` : '';
      args.push('-protocol_whitelist', 'subfile,file', '-f', 'mpegts', '-i', `subfile,,start,${w.bytes.start}${end},,:${input}`);
    } else {
      args.push('-ss', seekSec(w.startSec), '-to', seekSec(w.endSec), '-protocol_whitelist', 'file', '-i', input);
    }
  }
  windows.forEach((_, i) => args.push('-map', `${i}:v:0?`, '-map', `${i}:a:0?`));
  args.push('-fps_mode', 'passthrough', '-f', 'null', '-');
  return args;
}

/** Windows decoded by one ffmpeg process at most: each is an input, and each input reads the file's index. */
export const WINDOWS_PER_DECODE = 16;
