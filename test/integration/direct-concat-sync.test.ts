// DirectConcat keeps sound and picture together at every join. Ten H.264+AAC fragments of 1.3 s, each
// with a white frame and a 1 kHz beep starting at the same instant, are joined by the real DirectConcat
// plan; then the output is decoded as a player would (PCM samples, frame pictures with their timestamps)
// and every beep is compared with its flash. The same measurement on a plain `-c copy` concat of the same
// fragments shows the drift the plan avoids: each fragment's AAC priming and padding adds up.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConcatTemplate } from '../../src/domain/concat-types.js';
import { concat, probeFile } from '../../src/media/ffmpeg.js';
import { planConcat, type PlanSource } from '../../src/media/plan.js';
import { normalizeProbe } from '../../src/media/probe.js';

const run = promisify(execFile);

const FRAGMENTS = 10;
const FPS = 30;
const FRAMES = 39; // 1.3 s
const FLASH_FRAME = 15; // 0.5 s into each fragment
const EVENT_SEC = FLASH_FRAME / FPS;
const RATE = 48000;
const FRAGMENT_SEC = FRAMES / FPS;

let dir: string;
const file = (name: string): string => path.join(dir, name);

/** One fragment: black 160x90 at 30 fps with one white frame, silence with a beep starting on that frame;
 * the audio track lasts `audioSec` (the picture always 1.3 s). */
async function makeFragment(out: string, audioSec = FRAGMENT_SEC): Promise<void> {
  const beepEnd = EVENT_SEC + 0.1;
  await run('ffmpeg', [
    ...['-hide_banner', '-nostdin', '-y', '-loglevel', 'error'],
    ...['-f', 'lavfi', '-i', `color=c=black:s=160x90:r=${FPS}:d=${FRAGMENT_SEC},drawbox=c=white:t=fill:enable='eq(n,${FLASH_FRAME})'`],
    ...['-f', 'lavfi', '-i', `aevalsrc='0.8*sin(2*PI*1000*t)*between(t,${EVENT_SEC},${beepEnd})':s=${RATE}:d=${audioSec}`],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'],
    ...['-c:a', 'aac', '-ac', '1', out],
  ]);
}

interface Measured {
  /** Time of each white frame, from the decoded frames' timestamps. */
  flashes: number[];
  /** Time of each beep's first loud sample in the decoded PCM. */
  beeps: number[];
  frames: number;
  videoSec: number;
  audioSec: number;
}

async function firstFramePts(out: string, stream: 'a' | 'v'): Promise<number> {
  const { stdout } = await run('ffprobe', [
    ...['-v', 'error', '-select_streams', `${stream}:0`],
    ...['-show_entries', 'frame=pts_time', '-of', 'csv=p=0', out],
  ]);
  return Number(
    stdout
      .split('\n')
      .find((l) => /^-?\d/.test(l))!
      .split(',')[0],
  );
}

/** Decode the output as a player does: pictures with their presentation times, audio as PCM from its first sample's time. */
async function measure(out: string): Promise<Measured> {
  const { stdout: times } = await run('ffprobe', [
    ...['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', out],
  ]);
  // Side data (the first frame's) prints as extra empty lines.
  const pts = times
    .split('\n')
    .map((l) => l.split(',')[0]!)
    .filter((t) => t !== '')
    .map(Number);
  const luma = await run(
    'ffmpeg',
    ['-v', 'error', '-i', out, '-map', '0:v:0', '-vf', 'scale=1:1,format=gray', '-fps_mode', 'passthrough', '-f', 'rawvideo', '-'],
    { encoding: 'buffer', maxBuffer: 1 << 24 },
  );
  const lumaBytes = luma.stdout;
  expect(lumaBytes.length).toBe(pts.length);
  const flashes = pts.filter((_, i) => lumaBytes[i]! > 128);

  const pcm = await run('ffmpeg', ['-v', 'error', '-i', out, '-map', '0:a:0', '-ac', '1', '-ar', String(RATE), '-f', 's16le', '-'], {
    encoding: 'buffer',
    maxBuffer: 1 << 24,
  });
  const samples = new Int16Array(pcm.stdout.buffer, pcm.stdout.byteOffset, pcm.stdout.length / 2);
  const audioStart = await firstFramePts(out, 'a');
  // A beep starts at the first sample above ~0.25 of full scale after at least 0.3 s of quiet; at 0.8
  // amplitude a 1 kHz sine gets there within 3 samples (0.06 ms) of its start, the same in every fragment.
  const beeps: number[] = [];
  let lastLoud = -Infinity;
  for (let k = 0; k < samples.length; k++) {
    if (Math.abs(samples[k]!) < 8000) continue;
    if (k - lastLoud > 0.3 * RATE) beeps.push(audioStart + k / RATE);
    lastLoud = k;
  }
  return {
    flashes,
    beeps,
    frames: pts.length,
    videoSec: pts[pts.length - 1]! + 1 / FPS - pts[0]!,
    audioSec: audioStart + samples.length / RATE - pts[0]!,
  };
}

const offsetsMs = (m: Measured): number[] => m.beeps.map((b, i) => Math.round((b - m.flashes[i]!) * 1e6) / 1e3);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'direct-concat-sync-'));
  await makeFragment(file('f0.mp4'));
  for (let i = 1; i < FRAGMENTS; i++) copyFileSync(file('f0.mp4'), file(`f${i}.mp4`));
  await Promise.all([makeFragment(file('short.mp4'), 1.21), makeFragment(file('long.mp4'), 1.37), makeFragment(file('f0.ts'))]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('DirectConcat audio/video sync (real ffmpeg, decoded output)', () => {
  const fragments = (): string[] => Array.from({ length: FRAGMENTS }, (_, i) => file(`f${i}.mp4`));

  it('a plain -c copy concat drifts: the audio is late by more than 10 ms at the last join', async () => {
    const list = file('old.concat.txt');
    writeFileSync(list, ['ffconcat version 1.0', ...fragments().map((f) => `file '${f}'`), ''].join('\n'));
    const out = file('old.mp4');
    await run('ffmpeg', [
      ...['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-f', 'concat', '-safe', '0', '-i', list],
      ...['-map', '0:v:0', '-map', '0:a:0', '-c', 'copy', '-f', 'mp4', out],
    ]);
    const m = await measure(out);
    const offsets = offsetsMs(m);
    console.info('plain copy: beep - flash per fragment (ms)', offsets, 'audio', m.audioSec, 's video', m.videoSec, 's');
    expect(m.flashes).toHaveLength(FRAGMENTS);
    expect(m.beeps).toHaveLength(FRAGMENTS);
    expect(offsets[FRAGMENTS - 1]!).toBeGreaterThan(10);
  });

  async function directConcat(files: string[], out: string): Promise<Measured> {
    const sources: PlanSource[] = await Promise.all(
      files.map(async (f) => ({ path: f, label: path.basename(f), probe: normalizeProbe(await probeFile(f)) })),
    );
    const template: ConcatTemplate = { fragments: [], container: { format: 'mp4' }, audioMixArray: [], directConcat: true };
    const plan = planConcat({ sources, template, bgm: [], outputPath: out });
    expect(plan).toMatchObject({ kind: 'copy', video: true, audio: true, audioEncode: { encoder: 'aac' } });
    await concat(plan);
    const m = await measure(out);
    console.info(`DirectConcat ${path.basename(out)}: beep - flash (ms)`, offsetsMs(m), 'audio', m.audioSec, 's video', m.videoSec, 's');
    return m;
  }

  it('the DirectConcat plan keeps every beep within 1 ms of its flash and the audio as long as the video', async () => {
    const out = file('direct.mp4');
    const m = await directConcat(fragments(), out);
    const offsets = offsetsMs(m);
    expect(m.flashes).toHaveLength(FRAGMENTS);
    expect(m.beeps).toHaveLength(FRAGMENTS);
    for (const o of offsets) expect(Math.abs(o)).toBeLessThanOrEqual(1);
    // Each flash is where its fragment put it: the joins fall on whole frames.
    m.flashes.forEach((t, i) => expect(t).toBeCloseTo(i * FRAGMENT_SEC + EVENT_SEC, 4));
    expect(m.frames).toBe(FRAGMENTS * FRAMES);
    expect(Math.abs(m.audioSec - m.videoSec)).toBeLessThanOrEqual(1 / FPS);

    const { stdout, stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-i', out, '-f', 'null', '-']);
    expect(stdout + stderr).toBe('');
    const video = (
      await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', out])
    ).stdout;
    expect(video.trim()).toBe('h264');
  });
  it('fragments whose audio is shorter or longer than their picture are cut or padded to it: still within 1 ms', async () => {
    const files = Array.from({ length: FRAGMENTS }, (_, i) => file(['f0.mp4', 'short.mp4', 'long.mp4'][i % 3]!));
    const m = await directConcat(files, file('uneven.mp4'));
    expect(m.beeps).toHaveLength(FRAGMENTS);
    for (const o of offsetsMs(m)) expect(Math.abs(o)).toBeLessThanOrEqual(1);
    expect(m.frames).toBe(FRAGMENTS * FRAMES);
    expect(Math.abs(m.audioSec - m.videoSec)).toBeLessThanOrEqual(1 / FPS);
  });
  it('MPEG-TS fragments (the list reads every stream) stay within 1 ms too', async () => {
    const m = await directConcat(Array<string>(FRAGMENTS).fill(file('f0.ts')), file('from-ts.mp4'));
    expect(m.beeps).toHaveLength(FRAGMENTS);
    for (const o of offsetsMs(m)) expect(Math.abs(o)).toBeLessThanOrEqual(1);
    expect(m.frames).toBe(FRAGMENTS * FRAMES);
    expect(Math.abs(m.audioSec - m.videoSec)).toBeLessThanOrEqual(1 / FPS);
  });
});
