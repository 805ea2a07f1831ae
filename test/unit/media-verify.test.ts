// The pure side of verification: the spec a copy plan implies, the packet scan's parsing and checks on
// synthetic packet lists (each defect alone fails with a reason naming it), the decode windows found from
// the keyframes, and the exact ffprobe/ffmpeg argv.
import { describe, expect, it } from 'vitest';
import type { CopyPlan } from '../../src/media/plan.js';
import {
  buildDecodeArgs,
  buildScanArgs,
  checkPacketScan,
  decodeWindowsOf,
  parsePacketScan,
  verifySpecOf,
  type PacketScan,
  type ScannedPacket,
  type VerifySpec,
} from '../../src/media/verify.js';

const VIDEO_TB = 1 / 15360;
const AUDIO_TB = 1 / 48000;
const FRAME = 512; // ticks of 1/15360 at 30 fps

/**
 * `frames` pictures at 30 fps in decode order as an H.264 stream with B-frames stores them: in each group
 * of three, the reference picture (shown last) is decoded before the two shown before it; a keyframe every
 * `gop` pictures.
 */
function videoPackets(frames: number, gop = 48): ScannedPacket[] {
  const shown = (k: number): number => (k % 3 === 0 ? k : k % 3 === 1 ? Math.min(k + 1, frames - 1) : k - 1);
  return Array.from({ length: frames }, (_, k) => ({
    pts: (shown(k) + 2) * FRAME,
    dts: k * FRAME,
    duration: FRAME,
    pos: k * 1000,
    key: k % gop === 0,
    discard: false,
  }));
}

/** AAC in MP4: a discarded priming packet, then 1024-sample packets up to `sec`, the last one cut. */
function audioPackets(sec: number): ScannedPacket[] {
  const total = Math.round(sec * 48000);
  const packets: ScannedPacket[] = [{ pts: -1024, dts: -1024, duration: 1024, pos: NaN, key: true, discard: true }];
  for (let t = 0; t < total; t += 1024) {
    packets.push({ pts: t, dts: t, duration: Math.min(1024, total - t), pos: NaN, key: true, discard: false });
  }
  return packets;
}

/** A good 3 x 10 s output: 900 pictures at 30 fps, audio as long. */
function goodScan(): PacketScan {
  return {
    startSec: 0,
    video: { timeBase: VIDEO_TB, packets: videoPackets(900) },
    audio: { timeBase: AUDIO_TB, packets: audioPackets(30) },
  };
}

function spec(extra: Partial<VerifySpec> = {}): VerifySpec {
  return {
    video: true,
    frames: 900,
    frameSec: 1 / 30,
    joins: [
      { atSec: 10, why: 'join of "a" and "b"' },
      { atSec: 20, why: 'join of "b" and "c"' },
    ],
    windows: [],
    audio: true,
    durationSec: 30,
    fragments: 3,
    seek: 'seek',
    ...extra,
  };
}

function copyPlan(extra: Partial<CopyPlan> = {}): CopyPlan {
  return {
    kind: 'copy',
    path: 'hybrid',
    reason: 'fragments match',
    outputPath: '/w/out/o.mp4',
    workDir: '/w',
    durationSec: 2.6,
    container: { format: 'mp4', muxer: 'mp4', faststart: true },
    segments: [
      { path: '/w/in-0.mp4', label: 'a.mp4', durationSec: 1.321, videoDurationSec: 1.3, frames: 39 },
      { path: '/w/in-1.mp4', label: 'b.mp4', durationSec: 0.5, videoDurationSec: 0.5 },
      { path: '/w/in-2.mp4', label: 'c.mp4', durationSec: 0.8, videoDurationSec: 0.8, frames: 24 },
    ],
    listFilePath: '/w/o.concat.txt',
    video: true,
    audio: true,
    fps: 30,
    ...extra,
  };
}

describe('verifySpecOf', () => {
  it("expects the sum of the fragments' pictures, joins where each fragment's pictures end, audio when planned", () => {
    expect(verifySpecOf(copyPlan())).toEqual({
      video: true,
      // 39 + 0.5 s x 30 (no count in the plan) + 24.
      frames: 78,
      frameSec: 1 / 30,
      joins: [
        { atSec: 1.3, why: 'join of "a.mp4" and "b.mp4"' },
        { atSec: 54 / 30, why: 'join of "b.mp4" and "c.mp4"' },
      ],
      windows: [],
      audio: true,
      durationSec: 2.6,
      fragments: 3,
      seek: 'seek',
    });
  });

  it("an output without video: no pictures, joins by the fragments' lengths; MPEG-TS is read by bytes, HLS forward", () => {
    const plan = copyPlan({
      video: false,
      container: { format: 'aac', muxer: 'adts', faststart: false },
      segments: [
        { path: '/w/in-0.aac', label: 'a.aac', durationSec: 1.5 },
        { path: '/w/in-1.aac', label: 'b.aac', durationSec: 2 },
      ],
    });
    delete plan.fps;
    expect(verifySpecOf(plan)).toMatchObject({ video: false, frames: 0, frameSec: 0, joins: [{ atSec: 1.5 }], audio: true });
    expect(verifySpecOf(copyPlan({ container: { format: 'ts', muxer: 'mpegts', faststart: false } })).seek).toBe('bytes');
    const hls = { format: 'hls', muxer: 'hls', faststart: false, hls: { segmentSec: 10, segmentPattern: '/w/out/o-%05d.ts' } } as const;
    expect(verifySpecOf(copyPlan({ container: hls })).seek).toBe('seek-forward');
  });
});

describe('parsePacketScan', () => {
  it('reads packets (side data lines included), the first video and audio stream with their time bases, and the start', () => {
    const csv = [
      'packet,0,1024,0,512,48,K_',
      'packet,0,2048,512,512,5000,__',
      'packet,1,-1024,-1024,1024,N/A,KD,side_data,',
      '',
      'packet,1,0,0,1024,6000,K_',
      'packet,2,N/A,N/A,N/A,7000,K_',
      'stream,0,video,1/15360',
      'stream,1,audio,1/48000',
      'stream,2,data,1/1000',
      'format,1.400000',
    ].join('\n');
    expect(parsePacketScan(csv)).toEqual({
      startSec: 1.4,
      video: {
        timeBase: 1 / 15360,
        packets: [
          { pts: 1024, dts: 0, duration: 512, pos: 48, key: true, discard: false },
          { pts: 2048, dts: 512, duration: 512, pos: 5000, key: false, discard: false },
        ],
      },
      audio: {
        timeBase: 1 / 48000,
        packets: [
          { pts: -1024, dts: -1024, duration: 1024, pos: NaN, key: true, discard: true },
          { pts: 0, dts: 0, duration: 1024, pos: 6000, key: true, discard: false },
        ],
      },
    });
  });
});

describe('checkPacketScan', () => {
  it('passes a good output (B-frame reordering, AAC priming discarded)', () => {
    expect(checkPacketScan(goodScan(), spec())).toEqual({ ok: true });
  });

  it('a picture missing: frame-count', () => {
    const scan = goodScan();
    scan.video!.packets.pop();
    expect(checkPacketScan(scan, spec())).toEqual({
      ok: false,
      check: 'frame-count',
      reason: 'frame-count: the output has 899 pictures, the plan 900',
    });
  });

  it('a decode timestamp that does not increase: dts-order', () => {
    const scan = goodScan();
    scan.video!.packets[301]!.dts = scan.video!.packets[300]!.dts;
    expect(checkPacketScan(scan, spec())).toEqual({
      ok: false,
      check: 'dts-order',
      reason: 'dts-order: picture packet 301 decodes at 10 s, not after packet 300 at 10 s',
    });
  });

  it('pictures after a join shown 10 ms late: pts-gap', () => {
    const scan = goodScan();
    for (const p of scan.video!.packets.slice(300)) {
      p.pts += 154; // 10 ms
      p.dts += 154;
    }
    expect(checkPacketScan(scan, spec())).toEqual({
      ok: false,
      check: 'pts-gap',
      reason: 'pts-gap: the picture after the one at 9.967 s follows it by 43.4 ms; one frame is 33.3 ms',
    });
  });

  it('pictures after a join shown 10 ms early: pts-overlap', () => {
    const scan = goodScan();
    for (const p of scan.video!.packets.slice(600)) {
      p.pts -= 154;
      p.dts -= 154;
    }
    expect(checkPacketScan(scan, spec())).toEqual({
      ok: false,
      check: 'pts-overlap',
      reason: 'pts-overlap: the picture after the one at 19.967 s follows it by 23.3 ms; one frame is 33.3 ms',
    });
  });

  it('a one-tick difference is rounding, not a gap (a frame that is not a whole number of ticks)', () => {
    const scan = goodScan();
    for (const p of scan.video!.packets.slice(300)) p.pts += 1;
    expect(checkPacketScan(scan, spec())).toEqual({ ok: true });
  });

  it('no audio in an output planned with audio: audio-missing; audio not planned is not looked for', () => {
    const scan = goodScan();
    delete scan.audio;
    expect(checkPacketScan(scan, spec())).toEqual({
      ok: false,
      check: 'audio-missing',
      reason: 'audio-missing: the plan has audio but the output has no audio packets',
    });
    expect(checkPacketScan(scan, spec({ audio: false }))).toEqual({ ok: true });
  });

  it('audio a frame plus a picture longer than the video: audio-length', () => {
    const scan = goodScan();
    scan.audio = { timeBase: AUDIO_TB, packets: audioPackets(30.06) };
    expect(checkPacketScan(scan, spec())).toEqual({
      ok: false,
      check: 'audio-length',
      reason: 'audio-length: the audio lasts 30.06 s and the picture 30 s; they may differ by 54.8 ms',
    });
    scan.audio = { timeBase: AUDIO_TB, packets: audioPackets(30.05) };
    expect(checkPacketScan(scan, spec())).toEqual({ ok: true });
  });

  it('a first packet that is not a keyframe, or a picture shown before it: first-keyframe', () => {
    const scan = goodScan();
    scan.video!.packets[0]!.key = false;
    expect(checkPacketScan(scan, spec())).toMatchObject({
      check: 'first-keyframe',
      reason: 'first-keyframe: the first picture packet is not a keyframe',
    });
    const open = goodScan();
    open.video!.packets[0]!.pts = open.video!.packets[1]!.pts;
    open.video!.packets[1]!.pts = 2 * FRAME;
    expect(checkPacketScan(open, spec())).toMatchObject({
      check: 'first-keyframe',
      reason: 'first-keyframe: a picture is shown before the first keyframe',
    });
  });

  it('a picture packet without timestamps, and no video stream at all', () => {
    const scan = goodScan();
    scan.video!.packets[5]!.pts = NaN;
    expect(checkPacketScan(scan, spec())).toMatchObject({
      check: 'timestamps',
      reason: 'timestamps: picture packet 5 has no presentation or decode timestamp',
    });
    delete scan.video;
    expect(checkPacketScan(scan, spec())).toMatchObject({ check: 'video-missing' });
  });

  it('an hour of packets (108,000 pictures, 168,750 audio frames) is checked and windowed', () => {
    const scan: PacketScan = {
      startSec: 0,
      video: { timeBase: VIDEO_TB, packets: videoPackets(108_000) },
      audio: { timeBase: AUDIO_TB, packets: audioPackets(3600) },
    };
    const hour = spec({ frames: 108_000, durationSec: 3600, joins: [{ atSec: 1800, why: 'j' }] });
    expect(checkPacketScan(scan, hour)).toEqual({ ok: true });
    expect(decodeWindowsOf(scan, hour)).toHaveLength(1);
  });

  it('without video: the audio is held to the planned length, two audio frames (priming, padding) per fragment', () => {
    const scan: PacketScan = { startSec: 0, audio: { timeBase: AUDIO_TB, packets: audioPackets(30.125) } };
    const audioOnly = spec({ video: false, frames: 0, frameSec: 0 });
    expect(checkPacketScan(scan, audioOnly)).toEqual({ ok: true });
    scan.audio = { timeBase: AUDIO_TB, packets: audioPackets(30.13) };
    expect(checkPacketScan(scan, audioOnly)).toEqual({
      ok: false,
      check: 'audio-length',
      reason: 'audio-length: the audio lasts 30.13 s, the plan 30 s; they may differ by 128 ms',
    });
  });
});

describe('decodeWindowsOf', () => {
  it("each join from the keyframe before it to the keyframe after it or one second after it, whichever is first, on the file's timeline", () => {
    // Keyframes every 48 pictures (1.6 s); the first picture is shown at 2 frames, the container starts at 0.
    expect(decodeWindowsOf(goodScan(), spec())).toEqual([
      { startSec: 9.6 + 2 / 30, endSec: 11 + 2 / 30, why: 'join of "a" and "b"' },
      { startSec: 19.2 + 2 / 30, endSec: 20.8 + 2 / 30, why: 'join of "b" and "c"' },
    ]);
  });

  it('a GOP longer than 2 s before a join is not decoded: the window starts at the join (the scan has counted and timed those pictures)', () => {
    // Keyframes every 250 pictures (8.33 s), x264's default: the last one before the join at 12 s is 3.67 s
    // before it; before the join at 10 s, 1.67 s (decoded).
    const scan: PacketScan = { startSec: 2 / 30, video: { timeBase: VIDEO_TB, packets: videoPackets(900, 250) } };
    const windows = decodeWindowsOf(scan, spec({ joins: [{ atSec: 12, why: 'j' }] }));
    expect(windows.map((w) => [w.startSec, w.endSec])).toEqual([[12, 13]]);
    expect(decodeWindowsOf(scan, spec({ joins: [{ atSec: 10, why: 'j' }] }))[0]!.startSec).toBeLessThan(9);
  });

  it('a join on a keyframe still gets the GOP before it; windows that overlap are merged; extra windows are added', () => {
    const scan = goodScan();
    scan.startSec = 2 / 30;
    const windows = decodeWindowsOf(
      scan,
      spec({
        joins: [
          { atSec: 9.6, why: 'j1' },
          { atSec: 11, why: 'j2' },
        ],
        windows: [{ startSec: 25, endSec: 25.5, why: 're-encoded head of "c"' }],
      }),
    );
    expect(windows).toEqual([
      { startSec: 8, endSec: 11.2, why: 'j1; j2' },
      { startSec: 25, endSec: 25.5, why: 're-encoded head of "c"' },
    ]);
  });

  it("MPEG-TS: each window also as the bytes from its first keyframe's packet to the next keyframe's; HLS starts half a frame early", () => {
    const scan = goodScan();
    scan.startSec = 2 / 30;
    expect(decodeWindowsOf(scan, spec({ seek: 'bytes', joins: [{ atSec: 10, why: 'j' }] }))).toEqual([
      { startSec: 9.6, endSec: 11, why: 'j', bytes: { start: 288_000, end: 336_000 } },
    ]);
    expect(decodeWindowsOf(scan, spec({ seek: 'bytes', joins: [{ atSec: 29, why: 'last' }] }))).toEqual([
      { startSec: 28.8, endSec: 30, why: 'last', bytes: { start: 864_000 } },
    ]);
    const [hls] = decodeWindowsOf(scan, spec({ seek: 'seek-forward', joins: [{ atSec: 10, why: 'j' }] }));
    expect(hls!.startSec).toBeCloseTo(9.6 - 1 / 60, 9);
  });

  it('without video: half a second either side of each join', () => {
    const scan: PacketScan = { startSec: 0, audio: { timeBase: AUDIO_TB, packets: audioPackets(30) } };
    expect(decodeWindowsOf(scan, spec({ video: false, frames: 0, frameSec: 0 }))).toEqual([
      { startSec: 9.5, endSec: 10.5, why: 'join of "a" and "b"' },
      { startSec: 19.5, endSec: 20.5, why: 'join of "b" and "c"' },
    ]);
  });
});

describe('argv', () => {
  it('the scan lists packets, streams and the start as CSV, local files only', () => {
    expect(buildScanArgs('/w/out/o.mp4')).toEqual([
      ...['-v', 'error', '-protocol_whitelist', 'file'],
      ...['-show_entries', 'packet=stream_index,pts,dts,duration,pos,flags:stream=index,codec_type,time_base:format=start_time'],
      ...['-of', 'csv', '-i', '/w/out/o.mp4'],
    ]);
  });

  it('the decode reads each window as an input of its own, seeking by time or by bytes, picture and sound into null', () => {
    expect(
      buildDecodeArgs('/w/out/o.ts', [
        { startSec: 9.6, endSec: 11.2, why: 'j1' },
        { startSec: 19.2, endSec: 20.8, why: 'j2', bytes: { start: 576000, end: 624000 } },
        { startSec: 28.8, endSec: 30, why: 'j3', bytes: { start: 864000 } },
      ]),
    ).toEqual([
      ...['-hide_banner', '-nostdin', '-v', 'error'],
      ...['-ss', '9.6', '-to', '11.2', '-protocol_whitelist', 'file', '-i', '/w/out/o.ts'],
      ...['-protocol_whitelist', 'subfile,file', '-f', 'mpegts', '-i', 'subfile,,start,576000,end,624000,,:/w/out/o.ts'],
      ...['-protocol_whitelist', 'subfile,file', '-f', 'mpegts', '-i', 'subfile,,start,864000,,:/w/out/o.ts'],
      ...['-map', '0:v:0?', '-map', '0:a:0?', '-map', '1:v:0?', '-map', '1:a:0?', '-map', '2:v:0?', '-map', '2:a:0?'],
      ...['-fps_mode', 'passthrough', '-f', 'null', '-'],
    ]);
  });

  it("-ss is rounded up to the microsecond, so a keyframe's own time seeks to it", () => {
    const args = buildDecodeArgs('o.mp4', [{ startSec: 9.6 + 2 / 30, endSec: 11.2 + 2 / 30, why: 'j' }]);
    expect(args.slice(4, 8)).toEqual(['-ss', '9.666667', '-to', '11.266667']);
  });
});
