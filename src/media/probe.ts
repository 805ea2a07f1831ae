// ffprobe JSON -> the facts the planner needs (MediaProbe) and the CI MediaInfo tree of an output.
// Pure: ffmpeg.ts runs ffprobe and hands its JSON here.
import { avcCOfStream } from './h264-nal.js';

/** One stream of `ffprobe -print_format json -show_format -show_streams`: only the fields we read. */
interface FfprobeStream {
  index: number;
  /** The container's own stream id (MP4 track id, MPEG-TS PID) as "0x1". */
  id?: string;
  codec_name?: string;
  codec_long_name?: string;
  profile?: string;
  codec_type?: string;
  codec_tag_string?: string;
  codec_tag?: string;
  /** Gone from ffprobe since 5.0; older outputs still carry it. */
  codec_time_base?: string;
  width?: number;
  height?: number;
  has_b_frames?: number;
  sample_aspect_ratio?: string;
  display_aspect_ratio?: string;
  pix_fmt?: string;
  level?: number;
  color_range?: string;
  color_space?: string;
  color_transfer?: string;
  color_primaries?: string;
  field_order?: string;
  refs?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  time_base?: string;
  start_time?: string;
  duration?: string;
  bit_rate?: string;
  nb_frames?: string;
  sample_fmt?: string;
  sample_rate?: string;
  channels?: number;
  channel_layout?: string;
  /** With `-show_data_hash sha256`: "SHA256:<hex>" of the codec's global header (H.264: SPS/PPS). */
  extradata_hash?: string;
  /** With `-show_data`: ffprobe's hex dump of the codec's global header (H.264 in MP4: the avcC record). */
  extradata?: string;
  disposition?: Record<string, number>;
  tags?: Record<string, string>;
  side_data_list?: { side_data_type?: string; rotation?: number }[];
}

interface FfprobeFormat {
  filename?: string;
  nb_streams?: number;
  nb_programs?: number;
  format_name?: string;
  format_long_name?: string;
  start_time?: string;
  duration?: string;
  size?: string;
  bit_rate?: string;
  tags?: Record<string, string>;
}

export interface FfprobeJson {
  streams?: FfprobeStream[];
  format?: FfprobeFormat;
}

interface VideoProbe {
  codec: string;
  /** Display size: coded size with a 90/270 degree rotation applied, as ffmpeg's autorotate delivers frames. */
  width: number;
  height: number;
  fps: number;
  pixFmt: string;
  profile: string;
  level: number;
  bitrateKbps?: number;
  /** Degrees in [0, 360) as ffprobe reports them (display matrix, else the legacy `rotate` tag). */
  rotation: number;
  /** The stream's frame count (nb_frames) and own duration, when the container says: a stream copy
   * places each fragment's joins by its pictures, not by the container's (audio-inclusive) length. */
  frameCount?: number;
  durationSec?: number;
  /** The container's id for the picture (MP4 track id, MPEG-TS PID) when it is set and names it alone:
   * a concat list can then read only this stream from every fragment. */
  streamId?: number;
  // What a stream copy must find equal in every fragment (copy-eligibility.ts); '' or 'unknown' when
  // ffprobe does not say.
  /** The stream's time base, e.g. "1/15360". */
  timeBase: string;
  /** B-frame reorder depth. */
  hasBFrames: number;
  /** Sample aspect ratio, e.g. "1:1". */
  sar: string;
  /** "progressive", "tt", "bb", "tb", "bt" or ''. */
  fieldOrder: string;
  colorPrimaries: string;
  colorTransfer: string;
  colorSpace: string;
  colorRange: string;
  /** r_frame_rate and avg_frame_rate are both known and differ. */
  variableFrameRate: boolean;
  /** "SHA256:<hex>" of the parameter sets in the stream's global header; absent when ffprobe gives none. */
  extradataHash?: string;
  /** H.264 in MP4/MOV: the bytes before each NAL unit of a sample (the avcC record's length size), which the
   * keyframe scan needs to read a sample's NAL types; absent for other codecs and containers. */
  nalLengthSize?: number;
}

interface AudioProbe {
  codec: string;
  sampleRate: number;
  channels: number;
  channelLayout: string;
  bitrateKbps?: number;
  profile: string;
  /** "SHA256:<hex>" of the decoder configuration (AAC: AudioSpecificConfig), when ffprobe gives one. */
  extradataHash?: string;
  /** The stream's own duration, when the container says. */
  durationSec?: number;
}

export interface MediaProbe {
  durationSec: number;
  formatName: string;
  video?: VideoProbe;
  audio?: AudioProbe;
}

const CHANNEL_LAYOUTS: Record<number, string> = { 1: 'mono', 2: 'stereo', 3: '2.1', 4: '4.0', 5: '5.0', 6: '5.1', 7: '6.1', 8: '7.1' };

/** The layout name ffmpeg uses for a plain channel count. */
export function layoutForChannels(channels: number): string {
  return CHANNEL_LAYOUTS[channels] ?? `${channels}c`;
}

function num(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** "30000/1001" -> 29.97; "0/0" and garbage -> undefined. */
export function parseRate(rate: string | undefined): number | undefined {
  if (!rate) return undefined;
  const [n, d = '1'] = rate.split('/');
  const value = Number(n) / Number(d);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

function rotationOf(stream: FfprobeStream): number {
  const fromMatrix = stream.side_data_list?.find((s) => typeof s.rotation === 'number')?.rotation;
  const raw = fromMatrix ?? num(stream.tags?.rotate) ?? 0;
  return ((Math.round(raw) % 360) + 360) % 360;
}

function kbps(bitRate: string | undefined): number | undefined {
  const bps = num(bitRate);
  return bps === undefined ? undefined : bps / 1000;
}

// Cover art in mp3/m4a files is a video stream flagged attached_pic; it is not the picture of the media.
function isRealVideo(s: FfprobeStream): boolean {
  return s.codec_type === 'video' && s.disposition?.attached_pic !== 1;
}

export function normalizeProbe(json: FfprobeJson): MediaProbe {
  const streams = json.streams ?? [];
  const v = streams.find(isRealVideo);
  const a = streams.find((s) => s.codec_type === 'audio');
  const streamDurations = streams.map((s) => num(s.duration) ?? 0);
  const probe: MediaProbe = {
    durationSec: num(json.format?.duration) ?? Math.max(0, ...streamDurations),
    formatName: json.format?.format_name ?? '',
  };
  if (v) {
    const rotation = rotationOf(v);
    const swap = rotation === 90 || rotation === 270;
    const width = v.width ?? 0;
    const height = v.height ?? 0;
    const bitrateKbps = kbps(v.bit_rate);
    const frameCount = num(v.nb_frames);
    const durationSec = num(v.duration);
    const streamId = v.id !== undefined ? Number(v.id) : NaN;
    const rRate = parseRate(v.r_frame_rate);
    const avgRate = parseRate(v.avg_frame_rate);
    const idAlone = Number.isInteger(streamId) && streamId > 0 && streams.filter((s) => s.id === v.id).length === 1;
    probe.video = {
      codec: v.codec_name ?? 'unknown',
      width: swap ? height : width,
      height: swap ? width : height,
      fps: avgRate ?? rRate ?? 0,
      pixFmt: v.pix_fmt ?? 'unknown',
      profile: v.profile ?? '',
      level: v.level ?? 0,
      ...(bitrateKbps !== undefined ? { bitrateKbps } : {}),
      rotation,
      ...(frameCount !== undefined && frameCount > 0 ? { frameCount } : {}),
      ...(durationSec !== undefined && durationSec > 0 ? { durationSec } : {}),
      ...(idAlone ? { streamId } : {}),
      timeBase: v.time_base ?? '',
      hasBFrames: v.has_b_frames ?? 0,
      sar: v.sample_aspect_ratio ?? '',
      fieldOrder: v.field_order ?? '',
      colorPrimaries: v.color_primaries ?? 'unknown',
      colorTransfer: v.color_transfer ?? 'unknown',
      colorSpace: v.color_space ?? 'unknown',
      colorRange: v.color_range ?? 'unknown',
      // A hundredth of a frame per second apart, as the planner compares rates everywhere else.
      variableFrameRate: rRate !== undefined && avgRate !== undefined && Math.abs(rRate - avgRate) >= 0.01,
      ...(v.extradata_hash ? { extradataHash: v.extradata_hash } : {}),
      ...nalLengthSizeOf(v),
    };
  }
  if (a) {
    const channels = a.channels ?? 0;
    const bitrateKbps = kbps(a.bit_rate);
    const durationSec = num(a.duration);
    probe.audio = {
      codec: a.codec_name ?? 'unknown',
      sampleRate: num(a.sample_rate) ?? 0,
      channels,
      channelLayout: a.channel_layout ?? layoutForChannels(channels),
      ...(bitrateKbps !== undefined ? { bitrateKbps } : {}),
      profile: a.profile ?? '',
      ...(a.extradata_hash ? { extradataHash: a.extradata_hash } : {}),
      ...(durationSec !== undefined && durationSec > 0 ? { durationSec } : {}),
    };
  }
  return probe;
}

// ---- CI MediaInfo (section 2.5): PascalCase, every value a string, floats with 6 decimals like ffprobe.
// A field ffprobe does not report becomes "0"/"0.000000" for numbers, "" for text, "unknown" for colour
// fields and "und" for Language, so the tree always has the same shape.

interface MediaInfoFormat {
  NumStream: string;
  NumProgram: string;
  FormatName: string;
  FormatLongName: string;
  StartTime: string;
  Duration: string;
  Bitrate: string;
  Size: string;
}

interface MediaInfoVideo {
  Index: string;
  CodecName: string;
  CodecLongName: string;
  CodecTimeBase: string;
  CodecTagString: string;
  CodecTag: string;
  ColorPrimaries: string;
  ColorRange: string;
  ColorTransfer: string;
  Profile: string;
  Width: string;
  Height: string;
  HasBFrame: string;
  RefFrames: string;
  Sar: string;
  Dar: string;
  PixFormat: string;
  FieldOrder: string;
  Level: string;
  Fps: string;
  AvgFps: string;
  Timebase: string;
  StartTime: string;
  Duration: string;
  Bitrate: string;
  NumFrames: string;
  Language: string;
  Rotation: string;
}

interface MediaInfoAudio {
  Index: string;
  CodecName: string;
  CodecLongName: string;
  CodecTimeBase: string;
  CodecTagString: string;
  CodecTag: string;
  SampleFmt: string;
  SampleRate: string;
  Channel: string;
  ChannelLayout: string;
  Timebase: string;
  StartTime: string;
  Duration: string;
  Bitrate: string;
  Language: string;
}

interface MediaInfoSubtitle {
  Index: string;
  Language: string;
}

interface MediaInfo {
  Format: MediaInfoFormat;
  Stream: { Video: MediaInfoVideo[]; Audio: MediaInfoAudio[]; Subtitle: MediaInfoSubtitle[] };
}

function f6(value: number | undefined): string {
  return (value ?? 0).toFixed(6);
}

function int(value: number | string | undefined): string {
  const n = num(value);
  return n === undefined ? '0' : String(Math.round(n));
}

function language(s: FfprobeStream): string {
  return s.tags?.language ?? 'und';
}

function videoInfo(s: FfprobeStream): MediaInfoVideo {
  return {
    Index: String(s.index),
    CodecName: s.codec_name ?? '',
    CodecLongName: s.codec_long_name ?? '',
    CodecTimeBase: s.codec_time_base ?? s.time_base ?? '',
    CodecTagString: s.codec_tag_string ?? '',
    CodecTag: s.codec_tag ?? '',
    ColorPrimaries: s.color_primaries ?? 'unknown',
    ColorRange: s.color_range ?? 'unknown',
    ColorTransfer: s.color_transfer ?? 'unknown',
    Profile: s.profile ?? '',
    Width: int(s.width),
    Height: int(s.height),
    HasBFrame: int(s.has_b_frames),
    RefFrames: int(s.refs),
    Sar: s.sample_aspect_ratio ?? '',
    Dar: s.display_aspect_ratio ?? '',
    PixFormat: s.pix_fmt ?? '',
    FieldOrder: s.field_order ?? '',
    Level: int(s.level),
    Fps: f6(parseRate(s.r_frame_rate)),
    AvgFps: f6(parseRate(s.avg_frame_rate)),
    Timebase: s.time_base ?? '',
    StartTime: f6(num(s.start_time)),
    Duration: f6(num(s.duration)),
    Bitrate: f6(kbps(s.bit_rate)),
    NumFrames: int(s.nb_frames),
    Language: language(s),
    Rotation: f6(rotationOf(s)),
  };
}

function audioInfo(s: FfprobeStream): MediaInfoAudio {
  return {
    Index: String(s.index),
    CodecName: s.codec_name ?? '',
    CodecLongName: s.codec_long_name ?? '',
    CodecTimeBase: s.codec_time_base ?? (s.sample_rate ? `1/${s.sample_rate}` : ''),
    CodecTagString: s.codec_tag_string ?? '',
    CodecTag: s.codec_tag ?? '',
    SampleFmt: s.sample_fmt ?? '',
    SampleRate: int(s.sample_rate),
    Channel: int(s.channels),
    ChannelLayout: s.channel_layout ?? '',
    Timebase: s.time_base ?? '',
    StartTime: f6(num(s.start_time)),
    Duration: f6(num(s.duration)),
    Bitrate: f6(kbps(s.bit_rate)),
    Language: language(s),
  };
}

export function toMediaInfo(json: FfprobeJson): MediaInfo {
  const streams = json.streams ?? [];
  const format = json.format ?? {};
  const video = streams.filter(isRealVideo);
  const audio = streams.filter((s) => s.codec_type === 'audio');
  const subtitle = streams.filter((s) => s.codec_type === 'subtitle');
  return {
    Format: {
      NumStream: String(video.length + audio.length + subtitle.length),
      NumProgram: int(format.nb_programs),
      FormatName: format.format_name ?? '',
      FormatLongName: format.format_long_name ?? '',
      StartTime: f6(num(format.start_time)),
      Duration: f6(num(format.duration)),
      Bitrate: f6(kbps(format.bit_rate)),
      Size: int(format.size),
    },
    Stream: {
      Video: video.map(videoInfo),
      Audio: audio.map(audioInfo),
      Subtitle: subtitle.map((s) => ({ Index: String(s.index), Language: language(s) })),
    },
  };
}

function nalLengthSizeOf(v: FfprobeStream): { nalLengthSize?: number } {
  const avcC = avcCOfStream(v.codec_name, v.extradata);
  return avcC ? { nalLengthSize: avcC.lengthSize } : {};
}
