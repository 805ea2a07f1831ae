// The encode path's frame count and sync over many joins, with real ffmpeg. An AAC track decodes a little
// longer or shorter than its picture; each fragment's sound is cut or padded to its picture's length, so the
// difference neither adds pictures to the output nor moves the later fragments' sound.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConcatTemplate } from '../../src/domain/concat-types.js';
import { concat, probeFile } from '../../src/media/ffmpeg.js';
import { planConcat, type PlanSource } from '../../src/media/plan.js';
import { normalizeProbe } from '../../src/media/probe.js';
import { makeSyncClip, measureSync, offsetsMs } from '../helpers/av-sync.js';
import { makeClip } from '../helpers/media.js';

const run = promisify(execFile);

const FPS = 30;
const FRAMES = 39; // 1.3 s
const FRAGMENTS = 10;

let dir: string;
const file = (name: string): string => path.join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'encode-exact-'));
  await Promise.all([
    ...Array.from({ length: FRAGMENTS }, (_, i) =>
      makeSyncClip(file(`f${i}.mp4`), { frames: FRAMES, fps: FPS, flashFrames: [10 + (i % 3) * 8] }),
    ),
    // 2 s of 25 fps picture and a 2 s stereo tone, whose AAC decodes 20 ms longer than the picture (its last frame's padding).
    makeClip(file('tone.mp4'), { durationSec: 2, audio: true, sampleRate: 44100, channels: 2 }),
  ]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const template: ConcatTemplate = { fragments: [], container: { format: 'mp4' }, audioMixArray: [], directConcat: false };

describe('encode path: exact frames and sync at every join (real ffmpeg)', () => {
  it('ten 1.3 s H.264 + AAC fragments: every picture once, each beep within 1 ms of its flash, sound as long as picture', async () => {
    const sources: PlanSource[] = await Promise.all(
      Array.from({ length: FRAGMENTS }, async (_, i) => ({
        path: file(`f${i}.mp4`),
        label: `f${i}.mp4`,
        probe: normalizeProbe(await probeFile(file(`f${i}.mp4`))),
      })),
    );
    const plan = planConcat({ sources, template, bgm: [], outputPath: file('out.mp4'), autoCopy: false });
    expect(plan.path).toBe('encode');
    await concat(plan);
    const m = await measureSync(plan.outputPath);
    expect(m.frames).toBe(FRAGMENTS * FRAMES);
    expect(m.beeps).toHaveLength(FRAGMENTS);
    for (const o of offsetsMs(m)) expect(Math.abs(o)).toBeLessThanOrEqual(1);
    expect(Math.abs(m.audioSec - m.videoSec)).toBeLessThanOrEqual(1 / FPS);
  });

  it('three copies of a fragment whose sound decodes longer than its picture: all 150 of their pictures, not one more', async () => {
    const probe = normalizeProbe(await probeFile(file('tone.mp4')));
    const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', file('tone.mp4'), '-map', '0:a:0', '-ac', '1', '-f', 's16le', '-'], {
      encoding: 'buffer',
      maxBuffer: 1 << 24,
    });
    expect(stdout.length / 2 / 44100).toBeGreaterThan(2.015);
    const sources = [0, 1, 2].map((i) => ({ path: file('tone.mp4'), label: `tone${i}`, probe }));
    const plan = planConcat({ sources, template, bgm: [], outputPath: file('tone-out.mp4'), autoCopy: false });
    await concat(plan);
    const { stdout: counted } = await run('ffprobe', [
      ...[
        '-v',
        'error',
        '-count_packets',
        '-show_entries',
        'stream=codec_type,nb_read_packets,duration',
        '-of',
        'csv=p=0',
        plan.outputPath,
      ],
    ]);
    const [video, audio] = counted
      .trim()
      .split('\n')
      .map((l) => l.split(','));
    expect(video).toEqual(['video', '6.000000', '150']);
    expect(Math.abs(Number(audio![1]) - 6)).toBeLessThanOrEqual(1 / 25);
  });
});
