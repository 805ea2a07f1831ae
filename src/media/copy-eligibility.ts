// When may a Concat job copy the fragments' streams instead of encoding them, and if not, why not.
// Two sides must agree: the request must leave nothing for an encoder to do (no new size, rate, codec,
// quality, drawing or mixing), and the fragments must be interchangeable to a decoder reading one stream
// (the same codec, parameter sets, timing and picture format), because a copied stream keeps the first
// fragment's header for all of them. Each refusal is one sentence a user reads in the job log.
// Pure: the planner (plan.ts) calls it with probe data and turns the answer into a plan.
import type { ConcatTemplate, ContainerFormat } from '../domain/concat-types.js';
import type { MediaProbe } from './probe.js';

type VideoProbe = NonNullable<MediaProbe['video']>;
type AudioProbe = NonNullable<MediaProbe['audio']>;

/** One field two fragments disagree on: `what` the fragment has, `ref` what the first one has. */
export interface StreamDifference {
  what: string;
  ref: string;
}

export interface CopySource {
  label: string;
  probe: MediaProbe;
  /** StartTime/EndTime cut the fragment (the whole clip is not used) and no smart-cut takes it. */
  trimmed: boolean;
  /** Why a smart-cut of the trimmed fragment was refused, when one was tried. */
  smartCutRefusal?: string;
  /**
   * Its keyframes as the runner scanned them (H.264 in MP4/MOV): how many there are and how many are IDR
   * pictures. Absent when not scanned.
   */
  keyframes?: { keyframes: number; idr: number; firstIsIdr: boolean; unreadable: boolean };
}

/** 'copy': every stream of the output is copied; 'hybrid': the picture is copied, the audio encoded once. */
export interface CopyDecision {
  path: 'copy' | 'hybrid' | 'encode';
  reason: string;
}

function sameFps(a: number, b: number): boolean {
  return Math.abs(a - b) < 0.01;
}

function fpsText(fps: number): string {
  return String(Math.round(fps * 1000) / 1000);
}

/** A hash as a log reads it: its first 12 hex digits, or 'unknown'. */
function hashText(hash: string | undefined): string {
  return hash ? hash.replace(/^SHA256:/i, '').slice(0, 12) : 'unknown';
}

/**
 * Parameter-set hashes agree when both are known and equal, or when neither fragment has one: then the
 * parameter sets travel in-band with the pictures (Annex B streams) or the probe predates hashing, and
 * there is nothing to compare. One known and one unknown cannot be compared, so they count as different.
 */
function sameHash(a: string | undefined, b: string | undefined): boolean {
  return a === b;
}

/**
 * The first difference between two fragments' pictures that a copied stream cannot carry. `timeBase`
 * (default true) also compares the stream time bases: the concat demuxer rescales a differing one, so
 * frames land within a tick of their place, which DirectConcat accepts and the automatic path does not.
 */
export function videoDifference(v: VideoProbe, ref: VideoProbe, opts: { timeBase?: boolean } = {}): StreamDifference | undefined {
  if (v.codec !== ref.codec) return { what: `video codec ${v.codec}`, ref: ref.codec };
  if (v.width !== ref.width || v.height !== ref.height) return { what: `video ${v.width}x${v.height}`, ref: `${ref.width}x${ref.height}` };
  if (v.rotation !== ref.rotation) return { what: `video rotation ${v.rotation}`, ref: String(ref.rotation) };
  if (v.pixFmt !== ref.pixFmt) return { what: `pixel format ${v.pixFmt}`, ref: ref.pixFmt };
  if (v.profile !== ref.profile) return { what: `video profile ${v.profile || 'unknown'}`, ref: ref.profile || 'unknown' };
  if (!sameFps(v.fps, ref.fps)) return { what: `${fpsText(v.fps)} fps`, ref: fpsText(ref.fps) };
  if (v.level !== ref.level) return { what: `video level ${v.level}`, ref: String(ref.level) };
  if (v.sar !== ref.sar) return { what: `sample aspect ratio ${v.sar || 'unknown'}`, ref: ref.sar || 'unknown' };
  if ((opts.timeBase ?? true) && v.timeBase !== ref.timeBase) {
    return { what: `video time base ${v.timeBase || 'unknown'}`, ref: ref.timeBase || 'unknown' };
  }
  if (v.hasBFrames !== ref.hasBFrames) return { what: `B-frame reorder depth (has_b_frames) ${v.hasBFrames}`, ref: String(ref.hasBFrames) };
  if (v.fieldOrder !== ref.fieldOrder) return { what: `field order ${v.fieldOrder || 'unknown'}`, ref: ref.fieldOrder || 'unknown' };
  if (v.colorPrimaries !== ref.colorPrimaries) return { what: `colour primaries ${v.colorPrimaries}`, ref: ref.colorPrimaries };
  if (v.colorTransfer !== ref.colorTransfer) return { what: `colour transfer ${v.colorTransfer}`, ref: ref.colorTransfer };
  if (v.colorSpace !== ref.colorSpace) return { what: `colour space ${v.colorSpace}`, ref: ref.colorSpace };
  if (v.colorRange !== ref.colorRange) return { what: `colour range ${v.colorRange}`, ref: ref.colorRange };
  if (!sameHash(v.extradataHash, ref.extradataHash)) {
    return { what: `video parameter sets (extradata) ${hashText(v.extradataHash)}`, ref: hashText(ref.extradataHash) };
  }
  return undefined;
}

/** The first difference between two fragments' sound that a decoder joining them would notice. */
export function audioFormatDifference(a: AudioProbe, ref: AudioProbe): StreamDifference | undefined {
  if (a.codec !== ref.codec) return { what: `audio codec ${a.codec}`, ref: ref.codec };
  if (a.sampleRate !== ref.sampleRate) return { what: `audio at ${a.sampleRate} Hz`, ref: String(ref.sampleRate) };
  if (a.channels !== ref.channels) return { what: `${a.channels} audio channel(s)`, ref: String(ref.channels) };
  return undefined;
}

/** As audioFormatDifference, plus what a copied audio stream keeps from the first fragment only: the
 * codec profile, the channel layout and the decoder configuration. */
export function audioCopyDifference(a: AudioProbe, ref: AudioProbe): StreamDifference | undefined {
  const format = audioFormatDifference(a, ref);
  if (format) return format;
  if (a.profile !== ref.profile) return { what: `audio profile ${a.profile || 'unknown'}`, ref: ref.profile || 'unknown' };
  if (a.channelLayout !== ref.channelLayout) return { what: `audio channel layout ${a.channelLayout}`, ref: ref.channelLayout };
  if (!sameHash(a.extradataHash, ref.extradataHash)) {
    return { what: `audio decoder configuration (extradata) ${hashText(a.extradataHash)}`, ref: hashText(ref.extradataHash) };
  }
  return undefined;
}

/** "<frag>" has X but "<first>" has Y. */
export function differenceText(label: string, diff: StreamDifference, refLabel: string): string {
  return `"${label}" has ${diff.what} but "${refLabel}" has ${diff.ref}`;
}

// ---------------------------------------------------------------------------------------------- request

/** Containers a copied H.264 picture goes into as it is. HLS cuts segments at forced keyframes, which a
 * copy cannot place; mp3 and aac hold no picture. */
const COPY_CONTAINERS: ReadonlySet<ContainerFormat> = new Set(['mp4', 'ts', 'flv']);

/** The encoder the request asks for, by the codec name ffprobe gives the sources. */
const REQUEST_CODEC: Record<string, string> = { 'H.264': 'h264' };

/** What the request asks an encoder to do, in its own words; undefined when nothing. */
function requestBlocker(template: ConcatTemplate, fragments: number, watermarks: number): string | undefined {
  const format = template.container.format;
  if (!COPY_CONTAINERS.has(format)) {
    return format === 'hls'
      ? 'Container hls: segments are cut at forced keyframes, so the picture is encoded'
      : `Container ${format} holds audio only`;
  }
  const v = template.video;
  if (v?.remove) return 'Video.Remove is set: the output has no picture to copy';
  if (v?.crf !== undefined) return 'Video.Crf is set';
  if (typeof v?.bitrate === 'number') return 'Video.Bitrate is set';
  if (v?.rotate !== undefined && ((Math.round(v.rotate) % 360) + 360) % 360 !== 0) return 'Video.Rotate is set';
  if (watermarks > 0) return 'a Watermark is drawn on the picture';
  const scene = template.sceneChangeInfo?.mode;
  if (scene !== undefined && scene !== 'Default' && fragments > 1) return `SceneChangeInfo ${scene} blends the joins`;
  if (template.audioMix || template.audioMixArray.length > 0) return 'AudioMix mixes in background audio';
  return undefined;
}

/** Video.Profile as ffprobe names the sources' profiles. */
function profileMatches(requested: string, source: string): boolean {
  const s = source.toLowerCase();
  return requested === 'baseline' ? s === 'baseline' || s === 'constrained baseline' : s === requested;
}

/** Where the request names a picture other than the sources'. */
function requestVersusSources(template: ConcatTemplate, v: VideoProbe): string | undefined {
  const p = template.video;
  const want = REQUEST_CODEC[p?.codec ?? 'H.264'];
  if (v.codec !== want) return `Video.Codec ${p?.codec ?? 'H.264'} but the fragments are ${v.codec}`;
  if (!p) return undefined;
  if (p.width !== undefined && p.width !== v.width) return `Video.Width ${p.width} differs from the fragments' ${v.width}`;
  if (p.height !== undefined && p.height !== v.height) return `Video.Height ${p.height} differs from the fragments' ${v.height}`;
  if (p.fps !== undefined && !sameFps(p.fps, v.fps)) return `Video.Fps ${p.fps} differs from the fragments' ${fpsText(v.fps)}`;
  if (p.profile !== undefined && !profileMatches(p.profile, v.profile)) {
    return `Video.Profile ${p.profile} differs from the fragments' ${v.profile || 'unknown'}`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------- fragments

const INTERLACED = new Set(['tt', 'bb', 'tb', 'bt']);

/** What makes one fragment's picture unfit to copy on its own, whatever the others are. */
function fragmentBlocker(s: CopySource): string | undefined {
  const v = s.probe.video;
  if (!v) return `fragment "${s.label}" has no video stream`;
  if (s.trimmed) {
    return s.smartCutRefusal
      ? `fragment "${s.label}" is trimmed and cannot be cut frame-exact by copying: ${s.smartCutRefusal}`
      : `fragment "${s.label}" is trimmed`;
  }
  if (v.variableFrameRate) return `fragment "${s.label}" has a variable frame rate`;
  if (INTERLACED.has(v.fieldOrder)) return `fragment "${s.label}" is interlaced (field order ${v.fieldOrder})`;
  // The encode path always writes 4:2:0 8-bit, the format every player decodes.
  if (v.pixFmt !== 'yuv420p') return `fragment "${s.label}" has pixel format ${v.pixFmt}, not yuv420p`;
  // A copy would keep the rotation as metadata that the concat demuxer does not carry over reliably.
  if (v.rotation !== 0) return `fragment "${s.label}" is rotated ${v.rotation} degrees`;
  // Each fragment's length in the list is its frames over its rate: without a frame count it is a guess.
  if (!v.frameCount) return `the frame count of fragment "${s.label}" is unknown`;
  // A copied fragment is decoded from its first picture on: one that is not an IDR (a recording cut at a
  // recovery point) has leading pictures that reference what is not there. Open-GOP material (keyframes
  // that are not IDR pictures) is left to the encoder as a whole, as is a fragment whose keyframes could
  // not be read.
  const k = s.keyframes;
  if (k) {
    if (k.unreadable) return `the keyframes of fragment "${s.label}" could not be read`;
    if (!k.firstIsIdr) return `fragment "${s.label}" does not start with an IDR picture`;
    if (k.idr < k.keyframes)
      return `fragment "${s.label}" is open-GOP (${k.keyframes - k.idr} of its ${k.keyframes} keyframes are not IDR pictures)`;
  }
  return undefined;
}

/**
 * The cheapest correct path for a job without DirectConcat: 'copy' when every stream of the output can
 * be copied, 'hybrid' when the picture can, else 'encode', each with the reason.
 *
 * A full copy is offered only for outputs without audio. Copied AAC (and MP3) fragments keep their
 * encoder priming and padding: measured on H.264+AAC MP4 fragments whose audio lasts as long as their
 * picture (within 1 ms), each join puts the beeps 21 ms (1.6 s fragments) to 39 ms (2.5 s fragments)
 * later than their flashes on decoded PCM. The
 * hybrid path decodes each fragment's audio, cuts or pads it to its picture and encodes it once, which
 * keeps every join within 1 ms, for about 1% of a video encode.
 */
export function decideCopyPath(input: {
  template: ConcatTemplate;
  sources: readonly CopySource[];
  watermarks: number;
  /** The output carries audio (the fragments have some and Audio.Remove is not set). */
  audioOut: boolean;
}): CopyDecision {
  const { template, sources } = input;
  const encode = (reason: string): CopyDecision => ({ path: 'encode', reason });
  const request = requestBlocker(template, sources.length, input.watermarks);
  if (request) return encode(request);
  for (const s of sources) {
    const blocked = fragmentBlocker(s);
    if (blocked) return encode(blocked);
  }
  const first = sources[0]!;
  const ref = first.probe.video!;
  for (const s of sources.slice(1)) {
    const diff = videoDifference(s.probe.video!, ref);
    if (diff) return encode(differenceText(s.label, diff, first.label));
    if (!s.probe.audio !== !first.probe.audio) {
      const has = s.probe.audio ? { what: 'an audio stream', ref: 'none' } : { what: 'no audio stream', ref: 'one' };
      return encode(differenceText(s.label, has, first.label));
    }
  }
  const asked = requestVersusSources(template, ref);
  if (asked) return encode(asked);
  if (input.audioOut)
    return { path: 'hybrid', reason: 'fragments match: picture copied, audio re-encoded once so every join stays in sync' };
  return { path: 'copy', reason: 'fragments match and the output has no audio: the picture is copied' };
}
