// probe -> plan: every decision of a Concat job (trims, output size/fps/audio format, per-fragment
// normalisation, generated silence or black, encoders, muxer, background-audio mix, transitions,
// watermarks (watermarks.ts), stream copy or not, the expected duration) made once, from probe data
// and the template, as a plain loggable value.
// Pure: no I/O. args.ts turns a plan into ffmpeg arguments; ffmpeg.ts runs them.
import { invalid, round6, secs } from './units.js';
import path from 'node:path';
import type {
  AudioCodec,
  AudioMix,
  AudioParams,
  ConcatTemplate,
  ContainerFormat,
  H264Profile,
  SceneChangeInfo,
  VideoParams,
} from '../domain/concat-types.js';
import {
  audioCopyDifference,
  audioFormatDifference,
  decideCopyPath,
  differenceText,
  videoDifference,
  type CopySource,
} from './copy-eligibility.js';
import { MediaPlanError } from './errors.js';
import { layoutForChannels, type MediaProbe } from './probe.js';
import type { KeyframeIndex } from './keyframes.js';
import { planSmartCut, type SmartCut } from './smart-cut.js';
import { planWatermarks, type PlanWatermark, type WatermarkPlan } from './watermarks.js';

export type { PlanWatermark } from './watermarks.js';

export interface PlanSource {
  path: string;
  /** How messages name the fragment, e.g. its object key. */
  label: string;
  probe: MediaProbe;
  startTime?: number;
  endTime?: number;
  /** The picture's keyframe index, when the runner scanned it: a trimmed fragment may then be smart-cut,
   * and any is copied only when it starts with an IDR picture and is not open-GOP. */
  keyframes?: KeyframeIndex;
  /** The runner tried to scan the keyframes and could not: the fragment is not copied. */
  keyframesUnreadable?: boolean;
}

export interface PlanBgmSource {
  path: string;
  label: string;
  probe: MediaProbe;
}

interface PlanConcatInput {
  /** In final order. */
  sources: PlanSource[];
  template: ConcatTemplate;
  /** The resolved AudioMix / AudioMixArray files, in the same order as the mix items. */
  bgm: PlanBgmSource[];
  outputPath: string;
  /** Where helper files (the concat list, watermark text) go; defaults to the output's directory. */
  workDir?: string;
  /** Operation.Watermark, in order, each with its fetched image when Type is Image. */
  watermarks?: PlanWatermark[];
  /** Whether a font file is installed (Text watermarks fall back to Noto Sans CJK); default: all are. */
  fontAvailable?: (file: string) => boolean;
  /** Without DirectConcat, copy what the request leaves unchanged (copy-eligibility.ts) instead of
   * encoding everything. The deployment switch AUTO_COPY; off unless asked for. */
  autoCopy?: boolean;
}

type Muxer = 'mp4' | 'flv' | 'mpegts' | 'hls' | 'mp3' | 'adts';

export interface ContainerPlan {
  format: ContainerFormat;
  muxer: Muxer;
  /** mp4: move the index to the front so players can start before the whole file is read. */
  faststart: boolean;
  /** hls: segments next to the playlist, named `<base>-00000.ts`, referenced by relative names. */
  hls?: { segmentSec: number; segmentPattern: string };
}

interface Trim {
  startSec: number;
  durationSec: number;
  /** The trim runs to the end of the clip: the picture stops where the source's does, not after durationSec
   * (a split encode, split.ts, counts the fragment's frames by it). */
  toEnd?: true;
}

export interface EncodeSegment {
  path: string;
  label: string;
  /** Input trim; absent when the whole clip is used. */
  trim?: Trim;
  /** Length this fragment takes in the output. */
  durationSec: number;
  /** 'black' when the output has video but the fragment has none. */
  video: 'source' | 'black' | 'none';
  /** 'silence' when the output carries the fragments' audio but this one has none. */
  audio: 'source' | 'silence' | 'none';
  // What normalisation changes for this fragment (the filters always run: they are no-ops when nothing
  // differs, and they guarantee the concat filter gets identical formats); logged to explain slow jobs.
  scale: boolean;
  pad: boolean;
  changeFps: boolean;
  resample: boolean;
}

type RateControl = { mode: 'crf'; crf: number } | { mode: 'bitrate'; kbps: number };

export interface VideoOutputPlan {
  encoder: 'libx264';
  profile: H264Profile;
  rate: RateControl;
  width: number;
  height: number;
  fps: number;
  /** fps as ffmpeg should read it: "25", "30000/1001". */
  frameRate: string;
  pixFmt: 'yuv420p';
  /** Clockwise degrees applied to every fragment's picture, [0, 360); 0 = none. */
  rotate: number;
  /** Force a keyframe this often (hls: so segments can be cut at hls_time). */
  keyframeEverySec?: number;
}

export interface AudioOutputPlan {
  codec: AudioCodec;
  encoder: 'aac' | 'libmp3lame';
  sampleRate: number;
  channels: number;
  channelLayout: string;
  bitrateKbps?: number;
}

interface BgmTrackPlan {
  path: string;
  label: string;
  durationSec: number;
  /** Loop the file without end (`-stream_loop -1`); the mix is cut at the output duration. */
  loop: boolean;
}

export interface BgmPlan {
  /** Played one after the other from the output start. */
  tracks: BgmTrackPlan[];
  /** The background track replaces the fragments' audio instead of being mixed under it. */
  replace: boolean;
  /** Overlap of track 1's end and track 2's start. */
  crossfadeSec?: number;
  fadeInSec?: number;
  fadeOut?: { startSec: number; durationSec: number };
}

/**
 * SceneChangeInfo FADE or GRADIENT between 2+ fragments. Every fragment is first cut or padded to exactly
 * its planned length so the joins fall where planned. FADE: at each cut the outgoing fragment fades to
 * black (and silence) over its last Time/2 s and the next one fades in over its first Time/2 s; nothing
 * overlaps, the output keeps the sum of the fragments. GRADIENT: consecutive fragments overlap by Time s,
 * picture cross-dissolving (xfade) and sound cross-fading (acrossfade); each join shortens the output by Time.
 */
export interface TransitionPlan {
  mode: 'FADE' | 'GRADIENT';
  /** SceneChangeInfo.Time. */
  durationSec: number;
  /** Each join's transition on the output timeline: FADE centred on the cut, GRADIENT the overlap. */
  joins: { startSec: number; endSec: number }[];
}

/** Which way the output is made, cheapest first: every stream copied; the picture copied and the audio
 * encoded once; frame-exact cuts with only the cut GOPs re-encoded; everything encoded. */
export type PlanPath = 'copy' | 'hybrid' | 'smartcut' | 'encode';

interface PlanBase {
  path: PlanPath;
  /** Why this path, in one sentence for the job log. */
  reason: string;
  outputPath: string;
  workDir: string;
  /** Expected output duration: drives progress and the time limit. */
  durationSec: number;
  container: ContainerPlan;
}

export interface EncodePlan extends PlanBase {
  kind: 'encode';
  segments: EncodeSegment[];
  video?: VideoOutputPlan;
  audio?: AudioOutputPlan;
  bgm?: BgmPlan;
  transition?: TransitionPlan;
  /** Drawn on the joined picture, in order. */
  watermarks?: WatermarkPlan[];
}

export interface CopySegment {
  path: string;
  label: string;
  durationSec: number;
  /** Frames / fps of the fragment's picture: where the next fragment starts (the list's `duration` line),
   * and how long its audio is made. Absent when the output has no video. */
  videoDurationSec?: number;
  /** Pictures this fragment puts in the output: the stream's frame count, or, when the container does
   * not say, videoDurationSec x fps rounded to a whole frame. Absent when the output has no video. The
   * output is checked against their sum before it is uploaded (verify.ts). */
  frames?: number;
  /** A trimmed fragment cut frame-exact (smart-cut.ts): its picture is these pieces, made before the join,
   * and its audio is the fragment's sound from the first kept frame to the end of the last. */
  smartCut?: SmartCut;
}

export interface CopyPlan extends PlanBase {
  kind: 'copy';
  segments: CopySegment[];
  /** The concat demuxer list ffmpeg.ts writes before running. */
  listFilePath: string;
  video: boolean;
  audio: boolean;
  /** The fragments' common frame rate (they match to 0.01 fps); absent when the output has no video. */
  fps?: number;
  /** MP4/MOV fragments with the same picture track id: the concat list declares that one stream so only
   * the picture is read. Their AAC priming packets carry negative timestamps (the edit list hides them
   * from a direct read) that would otherwise move the whole picture later than the separately decoded
   * audio. Other containers keep every stream: their picture and audio are placed from the same file start
   * either way (and ffmpeg 5.1 cannot match a declared stream by index in MPEG-TS or FLV). */
  listStream?: { exactStreamId: number };
  /**
   * Video and audio: the picture is copied, the sound is not. A copied AAC fragment keeps its encoder
   * priming and padding, so each join would push the audio later than the picture; instead each fragment's
   * audio is decoded, cut or padded to its picture's length and the whole is encoded once with this.
   */
  audioEncode?: AudioOutputPlan;
}

export type ConcatPlan = EncodePlan | CopyPlan;

const MUXERS: Record<ContainerFormat, Muxer> = { mp4: 'mp4', flv: 'flv', ts: 'mpegts', hls: 'hls', mp3: 'mp3', aac: 'adts' };
const AUDIO_ONLY: ReadonlySet<ContainerFormat> = new Set(['mp3', 'aac']);
const HLS_SEGMENT_SEC = 10;
const DEFAULT_CRF = 25;
const DEFAULT_FPS = 25;

// Rates the encoders accept, highest first.
const SAMPLE_RATES: Record<AudioCodec, readonly number[]> = {
  aac: [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350],
  mp3: [48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000],
};
const MAX_CHANNELS: Record<AudioCodec, number> = { aac: 8, mp3: 2 };
const MAX_BITRATE_KBPS: Record<AudioCodec, number> = { aac: 1000, mp3: 320 };

function evenRound(x: number): number {
  return Math.max(2, 2 * Math.round(x / 2));
}

function evenFloor(x: number): number {
  return Math.max(2, 2 * Math.floor(x / 2));
}

/** The frame rate as ffmpeg should read it; NTSC rates stay exact rationals. */
export function frameRateOf(fps: number): string {
  const whole = Math.round(fps);
  if (Math.abs(fps - whole) < 0.0005) return String(whole);
  const ntsc = Math.round(fps * 1.001);
  if (Math.abs(fps - ntsc / 1.001) < 0.0005) return `${ntsc * 1000}/1001`;
  return String(Math.round(fps * 1000) / 1000);
}

function normalizeDegrees(deg: number | undefined): number {
  return ((Math.round(deg ?? 0) % 360) + 360) % 360;
}

function rotated(size: { width: number; height: number }, rotate: number): { width: number; height: number } {
  return rotate === 90 || rotate === 270 ? { width: size.height, height: size.width } : size;
}

// ---------------------------------------------------------------------------------------------- copy

type StreamCopyCheck = { ok: true } | { ok: false; message: string };

function sameFps(a: number, b: number): boolean {
  return Math.abs(a - b) < 0.01;
}

/** What differs between two fragments' streams that the concat demuxer cannot join without re-encoding.
 * `audioCopied`: the audio is copied too (no picture to copy), so all that its decoder keeps is compared. */
function copyDifference(probe: MediaProbe, ref: MediaProbe, audioCopied: boolean): { what: string; ref: string } | undefined {
  const v = probe.video;
  const rv = ref.video;
  if (!v !== !rv) return v ? { what: 'a video stream', ref: 'none' } : { what: 'no video stream', ref: 'one' };
  // The time base is left out: the demuxer rescales it, placing frames within a tick, and refusing would
  // turn away fragments from different tools that DirectConcat has always joined.
  const video = v && rv ? videoDifference(v, rv, { timeBase: false }) : undefined;
  if (video) return video;
  const a = probe.audio;
  const ra = ref.audio;
  if (!a !== !ra) return a ? { what: 'an audio stream', ref: 'none' } : { what: 'no audio stream', ref: 'one' };
  if (a && ra) return audioCopied ? audioCopyDifference(a, ra) : audioFormatDifference(a, ra);
  return undefined;
}

/** Whether the fragments can be joined by the concat demuxer with `-c copy`; if not, the first difference.
 * `audioCopied` (default true): compare everything a copied audio stream keeps, not only its format. */
export function checkStreamCopy(sources: readonly { label: string; probe: MediaProbe }[], audioCopied = true): StreamCopyCheck {
  const [first, ...rest] = sources;
  if (!first) return { ok: true };
  const copied = audioCopied || !first.probe.video;
  for (const s of rest) {
    const diff = copyDifference(s.probe, first.probe, copied);
    if (diff) {
      return {
        ok: false,
        message: `cannot stream-copy: ${differenceText(s.label, diff, first.label)}; set DirectConcat to false to re-encode`,
      };
    }
  }
  return { ok: true };
}

/** DirectConcat: never re-encode the picture; refuse, naming the difference, what a copy cannot do. */
function planDirectConcat(input: PlanConcatInput, container: ContainerPlan, workDir: string): CopyPlan {
  const { sources, template } = input;
  const audioOnly = AUDIO_ONLY.has(template.container.format);
  // With a picture to copy, the audio is decoded and encoded once: only its format must agree.
  const check = checkStreamCopy(sources, audioOnly);
  if (!check.ok) throw invalid(check.message);
  if (template.audioMix || template.audioMixArray.length > 0) {
    throw invalid('cannot stream-copy: AudioMix needs the audio re-encoded; set DirectConcat to false to mix background audio');
  }
  const scene = template.sceneChangeInfo?.mode;
  if (scene !== undefined && scene !== 'Default' && sources.length > 1) {
    throw invalid(`cannot stream-copy: SceneChangeInfo ${scene} needs the fragments re-encoded; set DirectConcat to false for transitions`);
  }
  if ((input.watermarks ?? []).length > 0) {
    throw invalid(
      'cannot stream-copy: a Watermark needs the picture re-encoded (a stream copy cannot draw); set DirectConcat to false to draw watermarks',
    );
  }
  const first = sources[0]!.probe;
  const format = template.container.format;
  if (audioOnly) {
    const want: AudioCodec = format === 'mp3' ? 'mp3' : 'aac';
    if (first.audio?.codec !== want) {
      const has = first.audio ? `${first.audio.codec} audio` : 'no audio';
      throw invalid(
        `cannot stream-copy: "${sources[0]!.label}" has ${has} but Container ${format} needs ${want}; set DirectConcat to false to re-encode`,
      );
    }
  }
  const video = !!first.video && !audioOnly;
  const audio = !!first.audio;
  const audioEncode = video && audio ? planAudio(template, first.audio) : undefined;
  const plan = copyPlanOf(input, container, workDir, { video, audio, audioEncode });
  plan.path = audioEncode ? 'hybrid' : 'copy';
  plan.reason = 'DirectConcat';
  return plan;
}

/**
 * The concat-demuxer plan: each fragment's picture placed by its frame count (the list's `duration`
 * lines); with `audioEncode`, each fragment's audio decoded, cut or padded to its picture and encoded once
 * ('hybrid'), else every kept stream copied ('copy'). The caller sets the reason.
 */
function copyPlanOf(
  input: PlanConcatInput,
  container: ContainerPlan,
  workDir: string,
  streams: { video: boolean; audio: boolean; audioEncode: AudioOutputPlan | undefined },
): CopyPlan {
  const { sources } = input;
  const { video, audio, audioEncode } = streams;
  const first = sources[0]!.probe;
  const base = path.basename(input.outputPath).replace(/\.[^.]*$/, '');
  const segments: CopySegment[] = sources.map((s) => ({
    path: s.path,
    label: s.label,
    durationSec: s.probe.durationSec,
    ...(video ? { videoDurationSec: videoDurationOf(s.probe), frames: framesOf(s.probe) } : {}),
  }));
  const plan: CopyPlan = {
    kind: 'copy',
    path: audioEncode ? 'hybrid' : 'copy',
    reason: '',
    outputPath: input.outputPath,
    workDir,
    durationSec: round6(segments.reduce((sum, s) => sum + (s.videoDurationSec ?? s.durationSec), 0)),
    container,
    segments,
    listFilePath: path.join(workDir, `${base}.concat.txt`),
    video,
    audio,
  };
  if (video && first.video!.fps > 0) plan.fps = first.video!.fps;
  const id = first.video?.streamId;
  if (video && id !== undefined && sources.every((s) => s.probe.video?.streamId === id && isMp4Family(s.probe))) {
    plan.listStream = { exactStreamId: id };
  }
  if (audioEncode) plan.audioEncode = audioEncode;
  return plan;
}

function isMp4Family(probe: MediaProbe): boolean {
  return probe.formatName.split(',').includes('mp4') || probe.formatName.split(',').includes('mov');
}

/** A fragment's picture length: its frames over its rate when both are known, else what the stream or file says. */
function videoDurationOf(probe: MediaProbe): number {
  const v = probe.video;
  if (v?.frameCount && v.fps > 0) return round6(v.frameCount / v.fps);
  return v?.durationSec ?? probe.durationSec;
}

/** A fragment's picture count: what the stream says, else its picture length at its rate, rounded. */
function framesOf(probe: MediaProbe): number {
  const v = probe.video;
  if (v?.frameCount) return v.frameCount;
  return v && v.fps > 0 ? Math.round(videoDurationOf(probe) * v.fps) : 0;
}

// ---------------------------------------------------------------------------------------------- encode

function planTrim(s: PlanSource): { trim?: Trim; durationSec: number } {
  const full = s.probe.durationSec;
  const start = s.startTime ?? 0;
  if (start < 0) throw invalid(`fragment "${s.label}": StartTime ${secs(start)} must not be negative`);
  if (start >= full) {
    throw invalid(`fragment "${s.label}": StartTime ${secs(start)} s is at or after the end of the clip (real duration ${secs(full)} s)`);
  }
  // An EndTime past the end means "to the end": probe durations and the caller's idea of them differ by
  // a frame or two often enough that refusing would be unhelpful.
  const end = Math.min(s.endTime ?? full, full);
  if (end <= start) {
    throw invalid(`fragment "${s.label}": EndTime ${secs(end)} s is not after StartTime ${secs(start)} s`);
  }
  const durationSec = round6(end - start);
  if (start === 0 && end === full) return { durationSec };
  return { trim: { startSec: round6(start), durationSec, ...(end === full && start > 0 ? { toEnd: true as const } : {}) }, durationSec };
}

function planVideo(template: ConcatTemplate, sources: PlanSource[]): VideoOutputPlan {
  const params: VideoParams | undefined = template.video;
  const firstVideo = sources.find((s) => s.probe.video)!.probe.video!;
  const rotate = normalizeDegrees(params?.rotate);
  const base = rotated(firstVideo, rotate);
  let width: number;
  let height: number;
  if (params?.width && params.height) {
    width = evenRound(params.width);
    height = evenRound(params.height);
  } else if (params?.width) {
    width = evenRound(params.width);
    height = evenRound((params.width * base.height) / base.width);
  } else if (params?.height) {
    height = evenRound(params.height);
    width = evenRound((params.height * base.width) / base.height);
  } else {
    // Rounded down so an odd source is never upscaled by a pixel.
    width = evenFloor(base.width);
    height = evenFloor(base.height);
  }
  const fps = params?.fps ?? (firstVideo.fps > 0 ? firstVideo.fps : DEFAULT_FPS);
  // Crf wins over Bitrate; no Bitrate (or 'auto') means CRF 25, as CI documents.
  const rate: RateControl =
    params?.crf !== undefined
      ? { mode: 'crf', crf: params.crf }
      : typeof params?.bitrate === 'number'
        ? { mode: 'bitrate', kbps: params.bitrate }
        : { mode: 'crf', crf: DEFAULT_CRF };
  return {
    encoder: 'libx264',
    profile: params?.profile ?? 'high',
    rate,
    width,
    height,
    fps,
    frameRate: frameRateOf(fps),
    pixFmt: 'yuv420p',
    rotate,
    ...(template.container.format === 'hls' ? { keyframeEverySec: HLS_SEGMENT_SEC } : {}),
  };
}

function pickSampleRate(codec: AudioCodec, requested: number | undefined, sourceRate: number): number {
  const rates = SAMPLE_RATES[codec];
  if (requested !== undefined) {
    if (!rates.includes(requested)) throw invalid(`Audio Samplerate ${requested} is not supported by ${codec}`);
    return requested;
  }
  if (rates.includes(sourceRate)) return sourceRate;
  // The closest rate not above the source's (no pointless upsampling), else the lowest there is.
  return rates.find((r) => r <= sourceRate) ?? rates[rates.length - 1]!;
}

function planAudio(template: ConcatTemplate, reference: MediaProbe['audio']): AudioOutputPlan {
  const params: AudioParams | undefined = template.audio;
  const format = template.container.format;
  const containerCodec: AudioCodec | undefined = format === 'mp3' ? 'mp3' : format === 'aac' ? 'aac' : undefined;
  if (containerCodec && params && params.codec !== containerCodec) {
    throw invalid(`Container ${format} needs Audio Codec ${containerCodec}, got ${params.codec}`);
  }
  const sourceCodec = reference?.codec === 'aac' || reference?.codec === 'mp3' ? reference.codec : undefined;
  const codec: AudioCodec = containerCodec ?? params?.codec ?? sourceCodec ?? 'aac';
  const sampleRate = pickSampleRate(codec, params?.samplerate, reference?.sampleRate ?? 44100);
  let channels: number;
  if (params?.channels !== undefined) {
    if (params.channels > MAX_CHANNELS[codec]) throw invalid(`Audio Channels ${params.channels} is not supported by ${codec}`);
    channels = params.channels;
  } else {
    channels = Math.min(Math.max(reference?.channels ?? 2, 1), MAX_CHANNELS[codec]);
  }
  // A source bitrate means something for another aac/mp3 encoding only (a PCM source's 1411 kbps does not).
  const sourceKbps = sourceCodec && reference?.bitrateKbps ? Math.round(reference.bitrateKbps) : undefined;
  const bitrateKbps = params?.bitrate ?? (sourceKbps !== undefined ? Math.min(sourceKbps, MAX_BITRATE_KBPS[codec]) : undefined);
  return {
    codec,
    encoder: codec === 'mp3' ? 'libmp3lame' : 'aac',
    sampleRate,
    channels,
    channelLayout: layoutForChannels(channels),
    ...(bitrateKbps !== undefined ? { bitrateKbps } : {}),
  };
}

/**
 * Background audio. One item: it starts with the output and either loops to the end (Repeat) or plays
 * once and leaves silence (Once). Two AudioMixArray items: CI does not say how they combine, so we play
 * them one after the other: item 1 once, then item 2; item 2's MixMode decides what follows it (Repeat
 * loops it to the end, Once leaves silence). Item 1 always plays once, or item 2 would never be heard.
 * EnableBgmFade on either item crossfades the switch over BgmFadeTime (the longer one if both set it).
 * Replace on any item replaces the fragments' audio. The start fade-in comes from item 1's EffectConfig,
 * the end fade-out from the last item's; the fade-out ends where the background ends: the output end, or
 * earlier when the last item plays once and runs out before it.
 */
function planBgm(items: AudioMix[], files: PlanBgmSource[], outputSec: number): BgmPlan {
  if (files.length !== items.length) {
    throw invalid(`expected ${items.length} background audio file(s) for AudioMix, got ${files.length}`);
  }
  const tracks: BgmTrackPlan[] = files.map((f, i) => {
    if (!f.probe.audio) throw new MediaPlanError('ResourceNotSupported', `background audio "${f.label}" has no audio stream`);
    if (!(f.probe.durationSec > 0)) throw new MediaPlanError('ResourceNotSupported', `background audio "${f.label}" has no known duration`);
    const isLast = i === files.length - 1;
    return { path: f.path, label: f.label, durationSec: f.probe.durationSec, loop: isLast && items[i]!.mixMode === 'Repeat' };
  });
  const plan: BgmPlan = { tracks, replace: items.some((m) => m.replace) };

  if (tracks.length === 2) {
    const fades = items.map((m) => m.effectConfig).filter((e) => e?.enableBgmFade && (e.bgmFadeTime ?? 0) > 0);
    if (fades.length > 0) {
      const wanted = Math.max(...fades.map((e) => e!.bgmFadeTime!));
      const limit = Math.min(tracks[0]!.durationSec, tracks[1]!.loop ? Infinity : tracks[1]!.durationSec);
      plan.crossfadeSec = round6(Math.min(wanted, limit));
    }
  }

  const first = items[0]?.effectConfig;
  if (first?.enableStartFadein && (first.startFadeinTime ?? 0) > 0) {
    plan.fadeInSec = round6(Math.min(first.startFadeinTime!, outputSec));
  }
  const last = items[items.length - 1]?.effectConfig;
  if (last?.enableEndFadeout && (last.endFadeoutTime ?? 0) > 0) {
    const lastTrack = tracks[tracks.length - 1]!;
    const playedSec = tracks.reduce((sum, t) => sum + t.durationSec, 0) - (plan.crossfadeSec ?? 0);
    const endSec = lastTrack.loop ? outputSec : Math.min(outputSec, playedSec);
    const durationSec = Math.min(last.endFadeoutTime!, endSec);
    plan.fadeOut = { startSec: round6(endSec - durationSec), durationSec: round6(durationSec) };
  }
  return plan;
}

/**
 * The transition at each join, and the output duration with it. A fragment must be at least as long as
 * the transitions it takes part in (FADE: Time/2 per join, GRADIENT: Time per join).
 */
function planTransition(info: SceneChangeInfo | undefined, sources: PlanSource[], durations: number[]): TransitionPlan | undefined {
  if (!info || info.mode === 'Default' || durations.length < 2) return undefined;
  const mode = info.mode;
  const time = info.time;
  if (!(time > 0 && time <= 5)) throw invalid(`SceneChangeInfo Time must be in (0, 5] seconds, got ${time}`);
  const perJoin = mode === 'FADE' ? time / 2 : time;
  const last = durations.length - 1;
  durations.forEach((d, i) => {
    const joins = (i > 0 ? 1 : 0) + (i < last ? 1 : 0);
    const needed = round6(perJoin * joins);
    if (d < needed) {
      const each = mode === 'FADE' ? `Time/2 = ${secs(perJoin)} s` : `Time = ${secs(perJoin)} s`;
      throw invalid(
        `fragment "${sources[i]!.label}" is ${secs(d)} s long, shorter than its transitions: SceneChangeInfo ${mode} with Time ${secs(time)} takes ${each} of it at each of its ${joins} join(s), ${secs(needed)} s in all`,
      );
    }
  });
  const joins: TransitionPlan['joins'] = [];
  let cut = 0;
  for (let k = 1; k <= last; k++) {
    cut += durations[k - 1]!;
    const start = mode === 'FADE' ? cut - time / 2 : cut - k * time;
    joins.push({ startSec: round6(start), endSec: round6(start + time) });
  }
  return { mode, durationSec: time, joins };
}

function containerPlan(format: ContainerFormat, outputPath: string): ContainerPlan {
  const plan: ContainerPlan = { format, muxer: MUXERS[format], faststart: format === 'mp4' };
  if (format === 'hls') {
    const dir = path.dirname(outputPath);
    // '%' is the muxer's pattern character; a literal one in the name must be doubled.
    const base = path
      .basename(outputPath)
      .replace(/\.[^.]*$/, '')
      .replaceAll('%', '%%');
    plan.hls = { segmentSec: HLS_SEGMENT_SEC, segmentPattern: path.join(dir, `${base}-%05d.ts`) };
  }
  return plan;
}

function checkSources(sources: PlanSource[]): void {
  if (sources.length === 0) throw invalid('no fragments to concatenate');
  for (const s of sources) {
    if (!s.probe.video && !s.probe.audio) {
      throw new MediaPlanError('ResourceNotSupported', `fragment "${s.label}" has no audio or video stream`);
    }
    if (!(s.probe.durationSec > 0)) {
      throw new MediaPlanError('ResourceNotSupported', `fragment "${s.label}" has no known duration`);
    }
  }
}

export function planConcat(input: PlanConcatInput): ConcatPlan {
  const { sources, template } = input;
  checkSources(sources);
  const format = template.container.format;
  const container = containerPlan(format, input.outputPath);
  const workDir = input.workDir ?? path.dirname(input.outputPath);
  if (template.directConcat) return planDirectConcat(input, container, workDir);
  // The encode plan is made first in every case: it validates the request the same way whichever path
  // runs, and it is the answer whenever the fragments cannot be copied.
  const encodePlan = planEncode(input, container, workDir);
  if (!input.autoCopy) return encodePlan;
  // A trimmed fragment whose keyframes the runner scanned may be smart-cut instead of encoded.
  const base = path.basename(input.outputPath).replace(/\.[^.]*$/, '');
  const cuts = sources.map((s, i) => {
    const trim = encodePlan.segments[i]!.trim;
    if (!trim || !s.keyframes) return undefined;
    return planSmartCut({
      path: s.path,
      label: s.label,
      probe: s.probe,
      index: s.keyframes,
      startSec: trim.startSec,
      endSec: trim.startSec + trim.durationSec,
      workDir,
      name: `${base}-cut${i}`,
    });
  });
  const decision = decideCopyPath({
    template,
    sources: sources.map((s, i) => {
      const cut = cuts[i];
      return {
        label: s.label,
        probe: s.probe,
        trimmed: !!encodePlan.segments[i]!.trim && !cut?.ok,
        ...(cut && !cut.ok ? { smartCutRefusal: cut.reason } : {}),
        ...(s.keyframes ? { keyframes: keyframeSummaryOf(s.keyframes) } : {}),
        ...(s.keyframesUnreadable ? { keyframes: { keyframes: 0, idr: 0, firstIsIdr: false, unreadable: true } } : {}),
      };
    }),
    watermarks: (input.watermarks ?? []).length,
    audioOut: !!encodePlan.audio,
  });
  if (decision.path === 'encode') return { ...encodePlan, reason: decision.reason };
  const smartCuts = cuts.map((c) => (c?.ok ? c.cut : undefined));
  const cutting = smartCuts.some((c) => c?.inBandParameterSets);
  // FLV carries parameter sets only in its sequence header: re-encoded pieces could not bring their own.
  if (cutting && format === 'flv') return { ...encodePlan, reason: 'Container flv cannot carry the parameter sets of frame-exact cuts' };
  const audioEncode = decision.path === 'hybrid' ? encodePlan.audio : undefined;
  const plan = copyPlanOf(input, container, workDir, { video: true, audio: !!audioEncode, audioEncode });
  plan.reason = decision.reason;
  if (smartCuts.some((c) => c)) {
    // The list mixes piece files (one picture track) with the sources' own files (picture and sound): it must
    // read the picture by its track id in every one of them.
    if (!plan.listStream) {
      return { ...encodePlan, reason: 'frame-exact cuts need every fragment in MP4/MOV with its picture on the same track' };
    }
    applySmartCuts(plan, smartCuts);
  }
  return plan;
}

/**
 * The smart-cut fragments' pictures become their pieces and last exactly their kept frames; the plan takes
 * the 'smartcut' path and says how much of the picture was re-encoded.
 */
function applySmartCuts(plan: CopyPlan, cuts: readonly (SmartCut | undefined)[]): void {
  plan.segments = plan.segments.map((s, i) => {
    const cut = cuts[i];
    return cut ? { ...s, durationSec: cut.durationSec, videoDurationSec: cut.durationSec, frames: cut.frameCount, smartCut: cut } : s;
  });
  plan.durationSec = round6(plan.segments.reduce((sum, s) => sum + (s.videoDurationSec ?? s.durationSec), 0));
  // Every fragment has the same rate here (the copy check compares it): count frames by one cut's.
  const one = cuts.find((c) => c)!;
  const total = Math.round((plan.durationSec * one.frameCount) / one.durationSec);
  const reencoded = cuts.reduce((sum, c) => sum + (c?.pieces ?? []).reduce((n, p) => n + (p.kind === 'encode' ? p.frameCount : 0), 0), 0);
  const labels = plan.segments.filter((s) => s.smartCut).map((s) => `"${s.label}"`);
  const which =
    labels.length === 1 ? `trimmed fragment ${labels[0]!}` : `${labels.length} trimmed fragments (${[...new Set(labels)].join(', ')})`;
  plan.path = 'smartcut';
  plan.reason = `${plan.reason}; ${which} cut frame-exact: ${reencoded} of ${total} frames re-encoded at the cuts, the rest copied`;
}

function planEncode(input: PlanConcatInput, container: ContainerPlan, workDir: string): EncodePlan {
  const { sources, template } = input;
  const format = template.container.format;

  const hasVideo = !template.video?.remove && !AUDIO_ONLY.has(format) && sources.some((s) => s.probe.video);
  const audioWanted = !template.audio?.remove;
  const mixItems = template.audioMix ? [template.audioMix] : template.audioMixArray;
  const useBgm = audioWanted && mixItems.length > 0;
  const sourceAudio = sources.find((s) => s.probe.audio)?.probe.audio;
  // Fragments without any audio and no background audio: the output follows them and has none.
  const hasAudio = audioWanted && (!!sourceAudio || useBgm);
  if (!hasVideo && !hasAudio) throw invalid('the output would have neither a video nor an audio stream');

  const video = hasVideo ? planVideo(template, sources) : undefined;
  const audio = hasAudio ? planAudio(template, sourceAudio ?? input.bgm[0]?.probe.audio) : undefined;

  const trims = sources.map(planTrim);
  const transition = planTransition(
    template.sceneChangeInfo,
    sources,
    trims.map((t) => t.durationSec),
  );
  const overlap = transition?.mode === 'GRADIENT' ? transition.durationSec * transition.joins.length : 0;
  const durationSec = round6(trims.reduce((sum, t) => sum + t.durationSec, 0) - overlap);
  const marks = input.watermarks ?? [];
  if (marks.length > 0 && !video) {
    throw invalid(`${marks[0]!.label}: the output has no video stream to draw a watermark on`);
  }
  const watermarks =
    video && marks.length > 0
      ? planWatermarks(marks, {
          width: video.width,
          height: video.height,
          durationSec,
          workDir,
          ...(input.fontAvailable ? { fontAvailable: input.fontAvailable } : {}),
        })
      : undefined;
  const bgm = useBgm ? planBgm(mixItems, input.bgm, durationSec) : undefined;
  const fragmentAudio = !!audio && !bgm?.replace;

  const segments: EncodeSegment[] = sources.map((s, i) => {
    const v = s.probe.video;
    const a = s.probe.audio;
    const seg: EncodeSegment = {
      path: s.path,
      label: s.label,
      durationSec: trims[i]!.durationSec,
      video: !video ? 'none' : v ? 'source' : 'black',
      audio: !fragmentAudio ? 'none' : a ? 'source' : 'silence',
      scale: false,
      pad: false,
      changeFps: false,
      resample: false,
    };
    const trim = trims[i]!.trim;
    if (trim) seg.trim = trim;
    if (video && v) {
      const shown = rotated(v, video.rotate);
      seg.scale = shown.width !== video.width || shown.height !== video.height;
      seg.pad = shown.width * video.height !== shown.height * video.width;
      seg.changeFps = !sameFps(v.fps, video.fps);
    }
    if (audio && a && seg.audio === 'source') {
      seg.resample = a.sampleRate !== audio.sampleRate || a.channels !== audio.channels;
    }
    return seg;
  });

  const plan: EncodePlan = {
    kind: 'encode',
    path: 'encode',
    reason: 'automatic stream copy is off (AUTO_COPY)',
    outputPath: input.outputPath,
    workDir,
    durationSec,
    container,
    segments,
  };
  if (video) plan.video = video;
  if (audio) plan.audio = audio;
  if (bgm) plan.bgm = bgm;
  if (transition) plan.transition = transition;
  if (watermarks) plan.watermarks = watermarks;
  return plan;
}

/** How many keyframes a fragment has, how many are IDR pictures, and whether its first picture is one. */
function keyframeSummaryOf(index: KeyframeIndex): NonNullable<CopySource['keyframes']> {
  const keyframes = index.packets.filter((p) => p.keyframe).length;
  const first = index.frames[0];
  return {
    keyframes,
    idr: index.idrPackets.length,
    firstIsIdr: first !== undefined && index.idrPackets.includes(first),
    unreadable: keyframes > 0 && index.idrPackets.length === 0,
  };
}

/** The plan without bulky repetition (no argv, no filter graph, no probe data), for a job's log line. */
export function summarizePlan(plan: ConcatPlan): Record<string, unknown> {
  const base = { path: plan.path, reason: plan.reason, kind: plan.kind, durationSec: plan.durationSec, container: plan.container };
  if (plan.kind === 'copy') {
    return {
      ...base,
      video: plan.video ? 'copy' : undefined,
      audio: plan.audioEncode ?? (plan.audio ? 'copy' : undefined),
      segments: plan.segments.map((s) => ({
        label: s.label,
        durationSec: s.durationSec,
        videoDurationSec: s.videoDurationSec,
        ...(s.smartCut
          ? {
              smartCut: {
                firstFrame: s.smartCut.firstFrame,
                frames: s.smartCut.frameCount,
                pieces: s.smartCut.pieces.map((p) => `${p.kind} ${p.firstFrame}+${p.frameCount}`),
              },
            }
          : {}),
      })),
    };
  }
  return {
    ...base,
    video: plan.video,
    audio: plan.audio,
    bgm: plan.bgm,
    transition: plan.transition,
    watermarks: plan.watermarks,
    segments: plan.segments.map((s) => ({
      label: s.label,
      trim: s.trim,
      durationSec: s.durationSec,
      video: s.video,
      audio: s.audio,
      scale: s.scale,
      pad: s.pad,
      changeFps: s.changeFps,
      resample: s.resample,
    })),
  };
}

// ---------------------------------------------------------------------------------------------- limits

/** Time limit for a job: 60 s to start up plus 30x the output duration (a slow 2-core box encodes 1080p
 * H.264 at a few times real time; 30x leaves room for a busy machine without letting a stuck job live). */
export function jobTimeoutMs(plan: Pick<ConcatPlan, 'durationSec'>): number {
  return Math.round(60_000 + 30 * plan.durationSec * 1000);
}

/** Whole percent of the planned duration written so far, 0..100. */
export function progressPercent(outTimeSec: number, plannedDurationSec: number): number {
  if (!(plannedDurationSec > 0) || !Number.isFinite(outTimeSec)) return 0;
  return Math.min(100, Math.max(0, Math.floor((outTimeSec / plannedDurationSec) * 100)));
}
