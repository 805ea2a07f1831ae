// Outputs of the copy paths play in a real browser. Each case makes tiny H.264+AAC fragments, lets the
// real planner choose how to join them, runs the plan with ffmpeg, and plays the output in headless
// chromium (Debian's package, the build a self-hosting user's viewers are closest to) from a local HTTP
// server with Range support: the <video> element must reach `ended` with no media error, its duration
// and final position must be the plan's within one frame, and its decoder must have produced every frame
// the file holds. A control case shows the harness notices a file the browser cannot decode.
// A screenshot of each ended player is kept under test-artifacts/browser-playback/ (git-ignored).
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConcatFragment, ConcatTemplate } from '../../src/domain/concat-types.js';
import { concat, probeFile, scanKeyframes } from '../../src/media/ffmpeg.js';
import { planConcat, type ConcatPlan, type PlanPath, type PlanSource } from '../../src/media/plan.js';
import { normalizeProbe } from '../../src/media/probe.js';
import { makeSyncClip } from '../helpers/av-sync.js';
import { launchChromium, playToEnd, serveMedia, type Browser, type MediaServer, type Playback } from '../helpers/browser.js';

const run = promisify(execFile);

const FPS = 25;
// 1.92 s: 48 frames, and at 48 kHz exactly 90 AAC frames of 1024 samples, so a fragment's sound can end
// on the same instant as its picture (what a full stream copy requires).
const FRAMES = 48;
const FRAME_SEC = 1 / FPS;
// B-frames and a GOP (0.48 s) that the trims below do not line up with.
const VIDEO_ARGS = ['-bf', '3', '-g', '12', '-keyint_min', '12', '-sc_threshold', '0'];
const ARTIFACTS = path.resolve('test-artifacts', 'browser-playback');

// Every case is planned as a default deployment plans it (AUTO_COPY on), and asserts the path it took.
const PLANNER_OPTIONS = { autoCopy: true };

interface Case {
  name: string;
  /** Why the planner should copy (or not) these fragments. */
  what: string;
  fragments: { file: string; startTime?: number; endTime?: number }[];
  /** Audio.Remove: the output has the picture only. */
  removeAudio?: boolean;
  path: PlanPath;
}

const CASES: Case[] = [
  {
    name: 'copy',
    what: 'three identical fragments, Audio.Remove: the picture is all there is, and it is copied',
    fragments: [{ file: 'exact.mp4' }, { file: 'exact.mp4' }, { file: 'exact.mp4' }],
    removeAudio: true,
    path: 'copy',
  },
  {
    name: 'hybrid',
    what: 'three identical fragments whose sound runs 80 ms past their picture: picture copied, sound cut and encoded once',
    fragments: [{ file: 'long-audio.mp4' }, { file: 'long-audio.mp4' }, { file: 'long-audio.mp4' }],
    path: 'hybrid',
  },
  {
    name: 'smartcut',
    what: 'three trims of one recording, every cut inside a GOP: only the frames around the cuts need encoding',
    fragments: [
      { file: 'recording.mp4', startTime: 0.52, endTime: 1.72 },
      { file: 'recording.mp4', startTime: 0.2, endTime: 1.32 },
      { file: 'recording.mp4', startTime: 2.04, endTime: 3.68 },
    ],
    path: 'smartcut',
  },
];

let dir: string;
// Unset only when beforeAll failed (e.g. no chromium): afterAll then closes what was started.
let server: MediaServer | undefined;
let browser: Browser | undefined;
const file = (name: string): string => path.join(dir, name);
const page = (): Page => browser!.page;
const urlOf = (out: string): string => server!.url + path.basename(out);

async function frameCount(out: string): Promise<number> {
  const { stdout } = await run('ffprobe', [
    ...['-v', 'error', '-count_packets', '-select_streams', 'v:0'],
    ...['-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', out],
  ]);
  return Number(stdout.trim());
}

async function planAndRun(c: Case): Promise<{ plan: ConcatPlan; out: string }> {
  const out = file(`${c.name}.mp4`);
  const sources: PlanSource[] = await Promise.all(
    c.fragments.map(async (f) => ({
      path: file(f.file),
      label: f.file,
      probe: normalizeProbe(await probeFile(file(f.file))),
      ...(f.startTime !== undefined ? { startTime: f.startTime } : {}),
      ...(f.endTime !== undefined ? { endTime: f.endTime } : {}),
      // As a worker with AUTO_COPY on: a trimmed fragment's keyframes are scanned, so it may be smart-cut.
      ...(f.startTime !== undefined || f.endTime !== undefined ? { keyframes: await scanKeyframes(file(f.file)) } : {}),
    })),
  );
  const fragments: ConcatFragment[] = c.fragments.map((f) => ({
    url: f.file,
    ...(f.startTime !== undefined ? { startTime: f.startTime } : {}),
    ...(f.endTime !== undefined ? { endTime: f.endTime } : {}),
  }));
  const template: ConcatTemplate = {
    fragments,
    container: { format: 'mp4' },
    audioMixArray: [],
    directConcat: false,
    ...(c.removeAudio ? { audio: { codec: 'aac', remove: true } } : {}),
  };
  const plan = planConcat({ sources, template, bgm: [], outputPath: out, workDir: path.join(dir, `${c.name}-work`), ...PLANNER_OPTIONS });
  await concat(plan);
  return { plan, out };
}

async function screenshot(name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page().screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'browser-playback-'));
  const clip = { fps: FPS, width: 320, height: 180, moving: true, videoArgs: VIDEO_ARGS };
  await Promise.all([
    makeSyncClip(file('exact.mp4'), { ...clip, frames: FRAMES, flashFrames: [15] }),
    makeSyncClip(file('long-audio.mp4'), { ...clip, frames: FRAMES, flashFrames: [15], audioSec: FRAMES * FRAME_SEC + 0.08 }),
    makeSyncClip(file('recording.mp4'), { ...clip, frames: 100, flashFrames: [15, 40, 65, 90] }),
  ]);
  server = await serveMedia(dir);
  browser = await launchChromium();
  await page().goto(server.url);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('copy-path outputs play to the end in headless chromium', () => {
  it.each(CASES)('$name: $what', async (c) => {
    const { plan, out } = await planAndRun(c);
    const frames = await frameCount(out);
    const played: Playback = await playToEnd(page(), urlOf(out));
    await screenshot(c.name);
    const summary = { plan: { path: plan.path, reason: plan.reason, durationSec: plan.durationSec }, frames, played };
    console.info(`browser playback ${c.name}:`, JSON.stringify(summary));
    expect(plan.path, plan.reason).toBe(c.path);

    expect(played.error, JSON.stringify(summary)).toBeNull();
    expect(played.outcome, JSON.stringify(summary)).toBe('ended');
    expect(played.videoWidth).toBe(320);
    expect(played.videoHeight).toBe(180);
    // Duration as planned, and the position reached it: within one frame.
    expect(Math.abs(played.duration - plan.durationSec)).toBeLessThanOrEqual(FRAME_SEC);
    expect(Math.abs(played.currentTime - plan.durationSec)).toBeLessThanOrEqual(FRAME_SEC);
    // The file holds the planned frames, and the browser's decoder produced every one of them, none corrupt.
    expect(frames).toBe(Math.round(plan.durationSec * FPS));
    expect(played.decodedFrames).toBe(frames);
    expect(played.corruptedFrames).toBe(0);
    // Presented pictures: at 16x most decoded frames are dropped, but some reached the screen, up to the end.
    expect(played.presentedFrames).toBeGreaterThan(0);
    expect(played.presentedFrames).toBeLessThanOrEqual(frames);
    expect(played.lastPresentedMediaTime).toBeGreaterThan(plan.durationSec / 2);
  });

  it('the harness sees a file the browser cannot decode: a join whose second part lacks its parameter sets', async () => {
    // Two fragments with different parameter sets (the others are CAVLC, x264's ultrafast; this one CABAC
    // and 8x8 transforms), joined by a stream copy that keeps only the first one's (no in-band copies at
    // the join): the second part's slices cannot be decoded with them.
    const other = file('cabac.mp4');
    await makeSyncClip(other, {
      fps: FPS,
      frames: FRAMES,
      width: 320,
      height: 180,
      moving: true,
      videoCodecArgs: ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'],
      videoArgs: VIDEO_ARGS,
    });
    const list = file('broken.concat.txt');
    writeFileSync(list, `ffconcat version 1.0\nfile '${file('exact.mp4')}'\nfile '${other}'\n`);
    const out = file('broken.mp4');
    await run('ffmpeg', [
      ...['-hide_banner', '-nostdin', '-y', '-v', 'error', '-auto_convert', '0', '-f', 'concat', '-safe', '0', '-i', list],
      ...['-map', '0:v:0', '-c', 'copy', out],
    ]);
    const played = await playToEnd(page(), urlOf(out));
    await screenshot('broken-control');
    console.info('browser playback broken control:', JSON.stringify(played));
    expect(played.outcome).toBe('error');
    expect(played.error?.code).toBe(3); // MEDIA_ERR_DECODE
    expect(played.currentTime).toBeLessThan(2 * FRAMES * FRAME_SEC);
  });
});
