// Smart-cut on real H.264: a 320x240 30 fps clip with B-frames (reorder depth 2) and an IDR picture every
// 30 frames, trimmed with both cuts inside GOPs. The output must hold exactly the frames a re-encode of the
// same trim holds, decode without a single error, keep the copied GOPs bit for bit (framemd5 against the
// source's same frames), keep the re-encoded head and tail within 45 dB PSNR of the source, and advance by
// one frame per picture everywhere. Open-GOP and HEVC sources are refused with a reason.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConcatTemplate } from '../../src/domain/concat-types.js';
import { concat, probeFile, scanKeyframes, smartCutVideo } from '../../src/media/ffmpeg.js';
import { NAL, nalTypesOf } from '../../src/media/h264-nal.js';
import { planConcat } from '../../src/media/plan.js';
import { normalizeProbe } from '../../src/media/probe.js';
import { planSmartCut, type SmartCut } from '../../src/media/smart-cut.js';
import { makeSyncClip } from '../helpers/av-sync.js';

const run = promisify(execFile);

const FPS = 30;
const GOP = ['-bf', '3', '-g', '30', '-sc_threshold', '0'];
const X264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'];
// Both cuts inside GOPs (IDR pictures at 0, 30, 60, 90): the first 0.6 frame into frame 15, so the kept
// frames are 16..102 (the encode path keeps every frame less than 2.87 s after the first kept one).
const START = 0.52;
const END = 3.39;

let dir: string;
const file = (name: string): string => path.join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'smart-cut-'));
  const spec = { frames: 120, fps: FPS, width: 320, height: 240, moving: true, flashFrames: [45] };
  await Promise.all([
    makeSyncClip(file('src.mp4'), { ...spec, videoCodecArgs: X264, videoArgs: GOP }),
    makeSyncClip(file('open-gop.mp4'), { ...spec, videoCodecArgs: X264, videoArgs: [...GOP, '-x264-params', 'open_gop=1'] }),
    makeSyncClip(file('hevc.mp4'), {
      ...spec,
      videoCodecArgs: ['-c:v', 'libx265', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-x265-params', 'log-level=error'],
      videoArgs: ['-g', '30'],
    }),
  ]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function plan(src: string, startSec: number, endSec: number): Promise<ReturnType<typeof planSmartCut>> {
  const probe = normalizeProbe(await probeFile(src));
  const index = await scanKeyframes(src);
  return planSmartCut({
    path: src,
    label: path.basename(src),
    probe,
    index,
    startSec,
    endSec,
    workDir: dir,
    name: path.basename(src, '.mp4'),
  });
}

/** The frames of the encode path's output for the same trim of the same file. */
async function encodePathFrameCount(src: string, startTime: number, endTime: number): Promise<number> {
  const probe = normalizeProbe(await probeFile(src));
  const template: ConcatTemplate = { fragments: [], container: { format: 'mp4' }, audioMixArray: [], directConcat: false };
  const out = file(`encoded-${startTime}-${endTime}.mp4`);
  const plan = planConcat({ sources: [{ path: src, label: 'src', probe, startTime, endTime }], template, bgm: [], outputPath: out });
  expect(plan.kind).toBe('encode');
  await concat(plan);
  return (await frameMd5s(out)).length;
}

async function frameMd5s(f: string): Promise<string[]> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', f, '-map', '0:v:0', '-f', 'framemd5', '-']);
  return stdout
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(',')[5]!.trim());
}

async function decodeErrors(f: string): Promise<string> {
  const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', f, '-f', 'null', '-']);
  return stderr.trim();
}

/** PSNR (dB, over Y, U and V) of each frame of out[outFrom, outFrom+count) against src[srcFrom, srcFrom+count). */
async function psnrs(out: string, outFrom: number, src: string, srcFrom: number, count: number): Promise<number[]> {
  const pick = (i: number, from: number): string => `[${i}:v]trim=start_frame=${from}:end_frame=${from + count},setpts=PTS-STARTPTS`;
  const { stdout } = await run('ffmpeg', [
    ...['-v', 'error', '-i', out, '-i', src, '-filter_complex'],
    `${pick(0, outFrom)}[a];${pick(1, srcFrom)}[b];[a][b]psnr=stats_file=-`,
    ...['-f', 'null', '-'],
  ]);
  return stdout
    .split('\n')
    .filter((l) => l.includes('psnr_avg'))
    .map((l) => Number(/psnr_avg:(\S+)/.exec(l)![1]));
}

describe('smart-cut of a trimmed H.264 fragment (real ffmpeg)', () => {
  let cut: SmartCut;
  const out = (): string => file('smart.mp4');

  beforeAll(async () => {
    const decision = await plan(file('src.mp4'), START, END);
    if (!decision.ok) throw new Error(decision.reason);
    cut = decision.cut;
    await smartCutVideo(cut, out());
  });

  it('finds the IDR pictures by their NAL type', async () => {
    const index = await scanKeyframes(file('src.mp4'));
    expect(index.idrPackets.map((p) => index.packets[p]!.frame)).toEqual([0, 30, 60, 90]);
    expect(index.frames).toHaveLength(120);
  });

  it("reads the same index in one ffprobe run when given the probe's NAL length size", async () => {
    const probed = normalizeProbe(await probeFile(file('src.mp4'))).video!;
    expect(probed.nalLengthSize).toBe(4);
    expect(await scanKeyframes(file('src.mp4'), probed)).toEqual(await scanKeyframes(file('src.mp4')));
  });

  it('re-encodes frames 16-29 and 90-102 and copies the GOPs 30-89', () => {
    expect(cut.pieces.map((p) => [p.kind, p.firstFrame, p.frameCount])).toEqual([
      ['encode', 16, 14],
      ['copy', 30, 60],
      ['encode', 90, 13],
    ]);
  });

  it('has the frame count of the encode path for the same trim, and no decode error', async () => {
    const smart = await frameMd5s(out());
    expect(smart).toHaveLength(await encodePathFrameCount(file('src.mp4'), START, END));
    expect(smart).toHaveLength(87);
    expect(await decodeErrors(out())).toBe('');
  });

  it('shows the first frame twice where the encode path does (a cut in the first half of a frame gap)', async () => {
    // 0.51 s is 0.3 frame into frame 15: frame 16 starts 0.7 frame after the cut, and the encode path's fps
    // filter fills the first output slot with it.
    const decision = await plan(file('src.mp4'), 0.51, END);
    if (!decision.ok) throw new Error(decision.reason);
    expect(decision.cut).toMatchObject({ firstFrame: 16, heldFrames: 1, frameCount: 88 });
    const held = file('held.mp4');
    await smartCutVideo(decision.cut, held);
    expect(await frameMd5s(held)).toHaveLength(await encodePathFrameCount(file('src.mp4'), 0.51, END));
    expect(await decodeErrors(held)).toBe('');
    const [first, second] = await Promise.all([psnrs(held, 0, file('src.mp4'), 16, 1), psnrs(held, 1, file('src.mp4'), 16, 1)]);
    expect([...first, ...second]).toHaveLength(2);
    expect(Math.min(...first, ...second)).toBeGreaterThanOrEqual(45);
  });

  it('copies the GOPs bit for bit', async () => {
    const [src, smart] = await Promise.all([frameMd5s(file('src.mp4')), frameMd5s(out())]);
    expect(smart.slice(14, 74)).toEqual(src.slice(30, 90));
  });

  it('re-encodes the head and tail at 45 dB PSNR or better against the source frames', async () => {
    const head = await psnrs(out(), 0, file('src.mp4'), 16, 14);
    const tail = await psnrs(out(), 74, file('src.mp4'), 90, 13);
    console.info(
      'smart-cut PSNR (dB) head',
      Math.min(...head),
      '..',
      Math.max(...head),
      'tail',
      Math.min(...tail),
      '..',
      Math.max(...tail),
    );
    expect(head).toHaveLength(14);
    expect(tail).toHaveLength(13);
    for (const db of [...head, ...tail]) expect(db).toBeGreaterThanOrEqual(45);
  });

  it('advances one frame per picture and its decode timestamps only increase', async () => {
    const index = await scanKeyframes(out());
    const pts = index.frames.map((p) => index.packets[p]!.pts);
    const steps = new Set(pts.slice(1).map((t, k) => t - pts[k]!));
    expect([...steps]).toEqual([index.stream.timeBase.den / FPS]);
    const dts = index.packets.map((p) => p.dts);
    for (let k = 1; k < dts.length; k++) expect(dts[k]!).toBeGreaterThan(dts[k - 1]!);
  });

  it('is tagged avc3 and carries SPS and PPS in-band before every IDR picture', async () => {
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=codec_tag_string',
      '-of',
      'csv=p=0',
      out(),
    ]);
    expect(stdout.trim()).toBe('avc3');
    const index = await scanKeyframes(out());
    const handle = await open(out(), 'r');
    try {
      expect(index.idrPackets.map((p) => index.packets[p]!.frame)).toEqual([0, 14, 44, 74]);
      for (const p of index.idrPackets) {
        const { pos, size } = index.packets[p]!;
        const bytes = Buffer.alloc(size);
        await handle.read(bytes, 0, size, pos);
        const types = nalTypesOf(bytes, index.stream.nalLengthSize!)!;
        expect(types.indexOf(NAL.sps)).toBeGreaterThanOrEqual(0);
        expect(types.indexOf(NAL.pps)).toBeGreaterThan(types.indexOf(NAL.sps));
        expect(types.indexOf(NAL.idrSlice)).toBeGreaterThan(types.indexOf(NAL.pps));
      }
    } finally {
      await handle.close();
    }
  });

  it('refuses an open-GOP source at a cut, with the reason', async () => {
    const decision = await plan(file('open-gop.mp4'), START, END);
    expect(decision).toEqual({ ok: false, reason: expect.stringMatching(/open GOP: the keyframe at frame 30 is not an IDR/) });
  });

  it('refuses HEVC, with the reason', async () => {
    expect(await plan(file('hevc.mp4'), START, END)).toEqual({ ok: false, reason: 'the video is hevc, not H.264' });
  });
});
