// A whole smart-cut job through the planner and concat(): three trimmed fragments of a 320x240 30 fps H.264
// (B-frames, an IDR picture every 30 frames) + AAC clip with white flashes and beeps, every cut inside a GOP
// (one of them in the first half of a frame gap, where the encode path shows the first frame twice). The
// output must have exactly the encode path's frame count, decode without an error, put every flash on the
// frame the cuts say, and keep every beep within 1 ms of its flash on decoded PCM. The wall time against the
// full encode of the same job is logged (on clips this small, starting ffmpeg dominates both).
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConcatTemplate } from '../../src/domain/concat-types.js';
import { concat, probeFile, scanKeyframes, verifyOutput } from '../../src/media/ffmpeg.js';
import { planConcat, type ConcatPlan, type PlanSource } from '../../src/media/plan.js';
import { normalizeProbe } from '../../src/media/probe.js';
import { makeSyncClip, measureSync, offsetsMs, type Measured } from '../helpers/av-sync.js';

const run = promisify(execFile);

const FPS = 30;
/** Flashes (and beeps) at frames 20 and 75 of the 150-frame source. */
const FLASHES = [20, 75];
// Kept frames: 16..102 (87); 16 twice then 17..123 (109); 33..138 (106).
const TRIMS: [number, number][] = [
  [0.52, 3.39],
  [0.51, 4.1],
  [1.1, 4.62],
];
/** Output frame of each flash: 20 and 75 in the first two fragments, 75 in the third. */
const FLASH_FRAMES = [20 - 16, 75 - 16, 87 + 1 + (20 - 16), 87 + 1 + (75 - 16), 87 + 109 + (75 - 33)];

let dir: string;
const file = (name: string): string => path.join(dir, name);
const TEMPLATE: ConcatTemplate = { fragments: [], container: { format: 'mp4' }, audioMixArray: [], directConcat: false };

async function sources(): Promise<PlanSource[]> {
  return Promise.all(
    TRIMS.map(async ([startTime, endTime], i) => {
      const f = file(`f${i}.mp4`);
      return {
        path: f,
        label: `f${i}.mp4`,
        probe: normalizeProbe(await probeFile(f)),
        startTime,
        endTime,
        keyframes: await scanKeyframes(f),
      };
    }),
  );
}

async function timed(plan: ConcatPlan): Promise<number> {
  const t0 = process.hrtime.bigint();
  await concat(plan);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

let smart: ConcatPlan;
let measured: Measured;
let encodedFrames: number;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'smart-cut-job-'));
  await makeSyncClip(file('f0.mp4'), {
    frames: 150,
    fps: FPS,
    width: 320,
    height: 240,
    moving: true,
    flashFrames: FLASHES,
    videoCodecArgs: ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'],
    videoArgs: ['-bf', '3', '-g', '30', '-sc_threshold', '0'],
  });
  copyFileSync(file('f0.mp4'), file('f1.mp4'));
  copyFileSync(file('f0.mp4'), file('f2.mp4'));
  const input = { sources: await sources(), template: TEMPLATE, bgm: [], workDir: dir };
  smart = planConcat({ ...input, outputPath: file('smart.mp4'), autoCopy: true });
  const encode = planConcat({ ...input, outputPath: file('encoded.mp4'), autoCopy: false });
  const smartMs = await timed(smart);
  const encodeMs = await timed(encode);
  console.info(`smart-cut ${Math.round(smartMs)} ms, full encode ${Math.round(encodeMs)} ms, ratio ${(smartMs / encodeMs).toFixed(3)}`);
  measured = await measureSync(file('smart.mp4'));
  encodedFrames = (await measureSync(file('encoded.mp4'))).frames;
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a smart-cut job of three trimmed fragments (real ffmpeg, decoded output)', () => {
  it('takes the smart-cut path and says why', () => {
    expect(smart).toMatchObject({ kind: 'copy', path: 'smartcut' });
    expect(smart.reason).toMatch(/frame-exact/);
    if (smart.kind !== 'copy') return;
    expect(smart.segments.map((s) => s.smartCut?.pieces.map((p) => [p.kind, p.firstFrame, p.frameCount]))).toEqual([
      [
        ['encode', 16, 14],
        ['copy', 30, 60],
        ['encode', 90, 13],
      ],
      [
        ['encode', 16, 15],
        ['copy', 30, 90],
        ['encode', 120, 4],
      ],
      [
        ['encode', 33, 27],
        ['copy', 60, 60],
        ['encode', 120, 19],
      ],
    ]);
  });

  it('has the frame count of the full encode of the same job and decodes without an error', async () => {
    expect(measured.frames).toBe(encodedFrames);
    expect(measured.frames).toBe(87 + 109 + 106);
    const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', file('smart.mp4'), '-f', 'null', '-']);
    expect(stderr.trim()).toBe('');
  });

  it('passes the verification a copy passes before upload (frame count, timestamps, decode of the re-encoded pieces and joins)', async () => {
    if (smart.kind !== 'copy') throw new Error('not a copy plan');
    expect(await verifyOutput(smart)).toEqual({ ok: true });
  });

  it('puts every flash on its frame and every beep within 1 ms of it', () => {
    expect(measured.flashes).toHaveLength(FLASH_FRAMES.length);
    measured.flashes.forEach((t, k) => expect(Math.abs(t - FLASH_FRAMES[k]! / FPS)).toBeLessThan(1e-4));
    const offsets = offsetsMs(measured);
    console.info('smart-cut job: beep - flash (ms)', offsets);
    expect(offsets).toHaveLength(FLASH_FRAMES.length);
    for (const ms of offsets) expect(Math.abs(ms)).toBeLessThanOrEqual(1);
    expect(Math.abs(measured.audioSec - measured.videoSec)).toBeLessThan(0.005);
  });
});
