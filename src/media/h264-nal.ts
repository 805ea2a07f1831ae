// H.264 bytes as far as smart-cut needs them: the avcC record of an MP4 sample description (the NAL length
// size and the parameter sets) and the NAL unit types inside one length-prefixed MP4 sample. A container's
// keyframe flag is not enough to start a copied run of pictures: an open-GOP I picture is flagged as a
// keyframe, but the pictures that follow it may reference the previous GOP; only an IDR picture (NAL type 5)
// is a clean start. Pure: callers hand in the bytes.

/** NAL unit types this engine looks at (ITU-T H.264 table 7-1). */
export const NAL = { nonIdrSlice: 1, idrSlice: 5, sei: 6, sps: 7, pps: 8, aud: 9 } as const;

export interface AvcConfig {
  profileIdc: number;
  levelIdc: number;
  /** Bytes of each NAL length prefix in the samples: 1, 2 or 4. */
  lengthSize: number;
  sps: Uint8Array[];
  pps: Uint8Array[];
}

/** The AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1); undefined when the bytes are not one. */
export function parseAvcC(bytes: Uint8Array): AvcConfig | undefined {
  if (bytes.length < 7 || bytes[0] !== 1) return undefined;
  const lengthSize = (bytes[4]! & 0x03) + 1;
  if (lengthSize === 3) return undefined;
  let at = 5;
  const readSets = (count: number): Uint8Array[] | undefined => {
    const out: Uint8Array[] = [];
    for (let k = 0; k < count; k++) {
      if (at + 2 > bytes.length) return undefined;
      const len = (bytes[at]! << 8) | bytes[at + 1]!;
      at += 2;
      if (len === 0 || at + len > bytes.length) return undefined;
      out.push(bytes.subarray(at, at + len));
      at += len;
    }
    return out;
  };
  const spsCount = bytes[at++]! & 0x1f;
  const sps = readSets(spsCount);
  if (!sps || at >= bytes.length) return undefined;
  const pps = readSets(bytes[at++]!);
  if (!pps) return undefined;
  return { profileIdc: bytes[1]!, levelIdc: bytes[3]!, lengthSize, sps, pps };
}

/**
 * The NAL unit types of one MP4 sample, in order: each NAL is `lengthSize` bytes of big-endian length, then
 * that many bytes whose first byte's low 5 bits are the type. Undefined when a length runs past the end
 * (a truncated read or the wrong length size).
 */
export function nalTypesOf(sample: Uint8Array, lengthSize: number): number[] | undefined {
  const types: number[] = [];
  let at = 0;
  while (at < sample.length) {
    if (at + lengthSize > sample.length) return undefined;
    let len = 0;
    for (let k = 0; k < lengthSize; k++) len = len * 256 + sample[at + k]!;
    at += lengthSize;
    if (len === 0 || at + len > sample.length) return undefined;
    types.push(sample[at]! & 0x1f);
    at += len;
  }
  return types;
}

/** Whether a sample's picture is an IDR picture: its slices are NAL type 5. */
export function isIdrSample(sample: Uint8Array, lengthSize: number): boolean {
  return nalTypesOf(sample, lengthSize)?.includes(NAL.idrSlice) ?? false;
}

/** Bytes of ffprobe's `-show_data` hex dump: lines of "00000000: 014d 400d ...  .M@.", an 8-digit offset,
 * up to eight groups of four hex digits, then two spaces and the printable column. */
export function bytesOfHexDump(dump: string): Uint8Array {
  const out: number[] = [];
  for (const line of dump.split('\n')) {
    const m = /^[0-9a-f]{8}: (.{1,39})/.exec(line.trim());
    if (!m) continue;
    const hex = m[1]!.split('  ')[0]!.replaceAll(' ', '');
    for (let k = 0; k + 1 < hex.length; k += 2) out.push(parseInt(hex.slice(k, k + 2), 16));
  }
  return Uint8Array.from(out);
}

/** The avcC record of an H.264 stream from ffprobe's `-show_data` hex dump of its extradata; undefined for
 * other codecs, no extradata, or extradata that is not an avcC (Annex B streams). */
export function avcCOfStream(codecName: string | undefined, extradataDump: string | undefined): AvcConfig | undefined {
  return codecName === 'h264' && extradataDump ? parseAvcC(bytesOfHexDump(extradataDump)) : undefined;
}
