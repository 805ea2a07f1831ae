// The keyframe index of a fragment's picture: every packet in decode order (timestamps, keyframe flag, where
// its bytes are), the frames in display order, which keyframes are IDR pictures, and the stream facts a
// matched re-encode needs (profile, level, B-frame reorder depth, time base, colour tags). Smart-cut plans
// from it in frame numbers, never in seconds. Pure: ffmpeg.ts runs ffprobe (`-show_packets`, demux only) and
// reads the keyframe samples' bytes; this module turns that into the index.
import { avcCOfStream, isIdrSample } from './h264-nal.js';

/** `ffprobe -select_streams v:0 -show_streams -show_data -show_data_hash sha256 -of json`: the fields read. */
export interface KeyframeStreamJson {
  codec_name?: string;
  profile?: string;
  level?: number;
  pix_fmt?: string;
  has_b_frames?: number;
  field_order?: string;
  time_base?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  color_range?: string;
  color_space?: string;
  color_transfer?: string;
  color_primaries?: string;
  /** ffprobe's hex dump of the codec private data (avcC for H.264 in MP4). */
  extradata?: string;
  extradata_hash?: string;
}

/** One packet of `ffprobe -select_streams v:0 -show_packets -show_entries packet=pts,dts,duration,flags,pos,size`. */
export interface PacketJson {
  pts?: number;
  dts?: number;
  duration?: number;
  flags?: string;
  pos?: string;
  size?: string;
}

export interface IndexedPacket {
  /** In the stream's time base. */
  pts: number;
  dts: number;
  duration: number;
  keyframe: boolean;
  /** Byte offset of the sample in the file, and its size. */
  pos: number;
  size: number;
  /** Display-order frame number. */
  frame: number;
}

export interface KeyframeStreamInfo {
  codec: string;
  profile: string;
  /** ffprobe's level: 31 = 3.1. */
  level: number;
  pixFmt: string;
  /** B-frame reorder depth of the stream (the SPS's num_reorder_frames as ffmpeg reads it). */
  hasBFrames: number;
  fieldOrder: string;
  timeBase: { num: number; den: number };
  /** The nominal frame rate, as the numerator and denominator ffprobe gives. */
  frameRate: { num: number; den: number };
  /** Colour tags; 'unknown' when the stream does not say. */
  colorRange: string;
  colorSpace: string;
  colorTransfer: string;
  colorPrimaries: string;
  extradataHash: string;
  /** avcC NAL length size; undefined when the stream has no avcC (not H.264 in MP4/MOV). */
  nalLengthSize?: number;
}

export interface KeyframeIndex {
  stream: KeyframeStreamInfo;
  /** The file's start time (ffprobe format start_time): where a trim's and `-ss`'s seconds count from. */
  fileStartSec: number;
  /** Decode order. */
  packets: IndexedPacket[];
  /** Display order: the packet index of each frame. */
  frames: number[];
  /** Packet indexes of the IDR pictures (decode order). Empty when the samples could not be read. */
  idrPackets: number[];
}

/** Where the keyframe samples are that ffmpeg.ts must read (by packet index). */
export function keyframeSamplesToRead(packets: readonly PacketJson[]): { packet: number; pos: number; size: number }[] {
  return packets.flatMap((p, i) =>
    p.flags?.includes('K') && p.pos !== undefined && p.size !== undefined ? [{ packet: i, pos: Number(p.pos), size: Number(p.size) }] : [],
  );
}

function rational(text: string | undefined): { num: number; den: number } {
  const [n, d] = (text ?? '0/1').split('/').map(Number);
  return { num: Number.isFinite(n) ? n! : 0, den: Number.isFinite(d) && d! > 0 ? d! : 1 };
}

/** `nalLengthSize`: what a probe of the file read from its avcC, when the stream JSON has no extradata. */
export function streamInfoOf(s: KeyframeStreamJson, nalLengthSize?: number): KeyframeStreamInfo {
  const avcC = avcCOfStream(s.codec_name, s.extradata);
  const lengthSize = avcC?.lengthSize ?? (s.codec_name === 'h264' ? nalLengthSize : undefined);
  return {
    codec: s.codec_name ?? 'unknown',
    profile: s.profile ?? '',
    level: s.level ?? 0,
    pixFmt: s.pix_fmt ?? 'unknown',
    hasBFrames: s.has_b_frames ?? 0,
    fieldOrder: s.field_order ?? 'unknown',
    timeBase: rational(s.time_base),
    frameRate: rational(s.r_frame_rate),
    colorRange: s.color_range ?? 'unknown',
    colorSpace: s.color_space ?? 'unknown',
    colorTransfer: s.color_transfer ?? 'unknown',
    colorPrimaries: s.color_primaries ?? 'unknown',
    extradataHash: s.extradata_hash ?? '',
    ...(lengthSize !== undefined ? { nalLengthSize: lengthSize } : {}),
  };
}

/**
 * The index from ffprobe's stream and packets and the bytes of the keyframe samples (by packet index). A
 * keyframe whose bytes are missing counts as not an IDR: smart-cut then never starts a copy there.
 */
export function buildKeyframeIndex(
  stream: KeyframeStreamJson,
  fileStartSec: number,
  packetsJson: readonly PacketJson[],
  samples: ReadonlyMap<number, Uint8Array>,
  nalLengthSize?: number,
): KeyframeIndex {
  const info = streamInfoOf(stream, nalLengthSize);
  const packets: IndexedPacket[] = packetsJson.map((p) => ({
    pts: p.pts ?? p.dts ?? 0,
    dts: p.dts ?? p.pts ?? 0,
    duration: p.duration ?? 0,
    keyframe: p.flags?.includes('K') ?? false,
    pos: Number(p.pos ?? -1),
    size: Number(p.size ?? 0),
    frame: -1,
  }));
  const frames = packets.map((_, i) => i).sort((a, b) => packets[a]!.pts - packets[b]!.pts || a - b);
  frames.forEach((packet, frame) => (packets[packet]!.frame = frame));
  const lengthSize = info.nalLengthSize;
  const idrPackets =
    lengthSize === undefined
      ? []
      : packets.flatMap((p, i) => {
          const bytes = p.keyframe ? samples.get(i) : undefined;
          return bytes && isIdrSample(bytes, lengthSize) ? [i] : [];
        });
  return { stream: info, fileStartSec, packets, frames, idrPackets };
}
