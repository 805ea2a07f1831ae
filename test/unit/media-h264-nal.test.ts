// The H.264 byte readers smart-cut relies on, on real bytes: an avcC record as ffprobe dumps it (x264, Main
// profile, level 1.3), and length-prefixed samples built NAL by NAL.
import { describe, expect, it } from 'vitest';
import { bytesOfHexDump, isIdrSample, NAL, nalTypesOf, parseAvcC } from '../../src/media/h264-nal.js';

// `ffprobe -show_streams -show_data` of an x264 MP4: the avcC record.
const AVCC_DUMP =
  '\n00000000: 014d 400d ffe1 0018 674d 400d eca0 a0fd  .M@.....gM@.....\n' +
  '00000010: 8088 0000 0300 0800 0003 01e0 78a1 4cb0  ............x.L.\n' +
  '00000020: 0100 0468 ce0f c8                        ...h...\n';

/** A sample of NAL units, each as [type byte, ...payload], with `lengthSize`-byte big-endian lengths. */
function sample(lengthSize: number, ...nals: number[][]): Uint8Array {
  const out: number[] = [];
  for (const nal of nals) {
    for (let k = lengthSize - 1; k >= 0; k--) out.push((nal.length >> (8 * k)) & 0xff);
    out.push(...nal);
  }
  return Uint8Array.from(out);
}

describe('bytesOfHexDump', () => {
  it("reads ffprobe's hex dump, full and partial lines, ignoring the printable column", () => {
    const bytes = bytesOfHexDump(AVCC_DUMP);
    expect(bytes).toHaveLength(39);
    expect([...bytes.subarray(0, 4)]).toEqual([0x01, 0x4d, 0x40, 0x0d]);
    expect([...bytes.subarray(32)]).toEqual([0x01, 0x00, 0x04, 0x68, 0xce, 0x0f, 0xc8]);
  });
});

describe('parseAvcC', () => {
  it('reads the profile, level, NAL length size and the parameter sets', () => {
    const c = parseAvcC(bytesOfHexDump(AVCC_DUMP))!;
    expect(c).toMatchObject({ profileIdc: 77, levelIdc: 13, lengthSize: 4 });
    expect(c.sps).toHaveLength(1);
    expect(c.sps[0]).toHaveLength(24);
    expect(c.sps[0]![0]! & 0x1f).toBe(NAL.sps);
    expect([...c.pps[0]!]).toEqual([0x68, 0xce, 0x0f, 0xc8]);
  });

  it('reads a 2-byte length size', () => {
    const bytes = bytesOfHexDump(AVCC_DUMP);
    bytes[4] = 0xfd;
    expect(parseAvcC(bytes)?.lengthSize).toBe(2);
  });

  it('refuses what is not an avcC record: Annex B bytes, a truncated record, length size 3', () => {
    expect(parseAvcC(Uint8Array.from([0, 0, 0, 1, 0x67, 0x4d, 0x40, 0x0d]))).toBeUndefined();
    expect(parseAvcC(bytesOfHexDump(AVCC_DUMP).subarray(0, 20))).toBeUndefined();
    const three = bytesOfHexDump(AVCC_DUMP);
    three[4] = 0xfe;
    expect(parseAvcC(three)).toBeUndefined();
  });
});

describe('nalTypesOf / isIdrSample', () => {
  const aud = [0x09, 0xf0];
  const sps = [0x67, 0x4d, 0x40];
  const pps = [0x68, 0xce];
  const sei = [0x06, 0x05, 0x01, 0x80];

  it('lists the NAL types of a sample in order, for 4- and 2-byte lengths', () => {
    expect(nalTypesOf(sample(4, aud, sps, pps, sei, [0x65, 0x88, 0x84]), 4)).toEqual([9, 7, 8, 6, 5]);
    expect(nalTypesOf(sample(2, sei, [0x41, 0x9a]), 2)).toEqual([6, 1]);
  });

  it('tells an IDR picture from a non-IDR keyframe (an open-GOP I picture is NAL type 1)', () => {
    expect(isIdrSample(sample(4, sei, [0x65, 0x88]), 4)).toBe(true);
    expect(isIdrSample(sample(4, sei, [0x41, 0x9a]), 4)).toBe(false);
    expect(isIdrSample(sample(4, [0x01, 0x9a]), 4)).toBe(false);
  });

  it('gives up on a length that runs past the end, a zero length or the wrong length size', () => {
    const idr = sample(4, sei, [0x65, 0x88]);
    expect(nalTypesOf(idr.subarray(0, idr.length - 1), 4)).toBeUndefined();
    expect(nalTypesOf(Uint8Array.from([0, 0, 0, 0, 0x65]), 4)).toBeUndefined();
    expect(nalTypesOf(idr, 2)).toBeUndefined();
    expect(isIdrSample(idr.subarray(0, 3), 4)).toBe(false);
  });
});
