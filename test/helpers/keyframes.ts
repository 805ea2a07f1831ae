// Synthetic keyframe indexes for unit tests: a constant-rate H.264 picture in a 1/15360 time base with one
// B-frame between references (decode order I0 P2 B1 P4 B3 ...) and a keyframe every `gop` frames, built
// through the real buildKeyframeIndex from packets and keyframe sample bytes as ffprobe and the file give them.
import { buildKeyframeIndex, type KeyframeIndex, type KeyframeStreamJson, type PacketJson } from '../../src/media/keyframes.js';

/** Ticks of 1/15360 s per frame at 30 fps. */
export const TICKS_30FPS = 512;

/** ffprobe's dump of an x264 avcC record (NAL lengths of 4 bytes). */
export const AVCC_DUMP =
  '\n00000000: 014d 400d ffe1 0018 674d 400d eca0 a0fd  .M@.....gM@.....\n' +
  '00000010: 8088 0000 0300 0800 0003 01e0 78a1 4cb0  ............x.L.\n' +
  '00000020: 0100 0468 ce0f c8                        ...h...\n';

export const H264_STREAM: KeyframeStreamJson = {
  codec_name: 'h264',
  profile: 'High',
  level: 31,
  pix_fmt: 'yuv420p',
  has_b_frames: 1,
  field_order: 'progressive',
  time_base: '1/15360',
  r_frame_rate: '30/1',
  avg_frame_rate: '30/1',
  color_range: 'tv',
  color_space: 'bt709',
  color_transfer: 'bt709',
  color_primaries: 'unknown',
  extradata: AVCC_DUMP,
  extradata_hash: 'SHA256:abc',
};

const SEI = [0, 0, 0, 3, 0x06, 0x05, 0x80];
/** An SEI then an IDR slice (NAL type 5). */
export const IDR_SAMPLE = Uint8Array.from([...SEI, 0, 0, 0, 2, 0x65, 0x88]);
/** An SEI then a non-IDR slice (NAL type 1): an open-GOP I picture. */
export const OPEN_I_SAMPLE = Uint8Array.from([...SEI, 0, 0, 0, 2, 0x41, 0x9a]);

export interface SyntheticClip {
  frames?: number;
  gop?: number;
  /** Keyframes after the first are non-IDR I pictures. */
  openGop?: boolean;
  /** Display-order frame -> extra ticks on its pts. */
  jitter?: Record<number, number>;
  stream?: Partial<KeyframeStreamJson>;
  /** Rewrites the decode order (display frame numbers) after it is built. */
  reorder?: (frames: number[]) => number[];
}

/** Packets in decode order, and the samples of the keyframes by packet index. */
export function syntheticPackets(spec: SyntheticClip = {}): { packets: PacketJson[]; samples: Map<number, Uint8Array> } {
  const frames = spec.frames ?? 120;
  const gop = spec.gop ?? 30;
  let order: number[] = [];
  for (let g = 0; g < frames; g += gop) {
    const last = Math.min(g + gop, frames) - 1;
    order.push(g);
    let k = g + 2;
    for (; k <= last; k += 2) order.push(k, k - 1);
    if (k - 1 === last) order.push(last);
  }
  if (spec.reorder) order = spec.reorder(order);
  const samples = new Map<number, Uint8Array>();
  const packets = order.map((f, i): PacketJson => {
    const key = f % gop === 0;
    if (key) samples.set(i, spec.openGop && f > 0 ? OPEN_I_SAMPLE : IDR_SAMPLE);
    return {
      pts: f * TICKS_30FPS + (spec.jitter?.[f] ?? 0),
      dts: (i - 1) * TICKS_30FPS,
      duration: TICKS_30FPS,
      flags: key ? 'K__' : '___',
      pos: String(1000 + i * 100),
      size: String(key ? IDR_SAMPLE.length : 50),
    };
  });
  return { packets, samples };
}

export function syntheticKeyframeIndex(spec: SyntheticClip = {}): KeyframeIndex {
  const { packets, samples } = syntheticPackets(spec);
  return buildKeyframeIndex({ ...H264_STREAM, ...spec.stream }, 0, packets, samples);
}
