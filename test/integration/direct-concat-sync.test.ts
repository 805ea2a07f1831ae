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
import { makeSyncClip, measureSync as measure, offsetsMs, type Measured } from '../helpers/av-sync.js';

const run = promisify(execFile);

const FRAGMENTS = 10;
const FPS = 30;
const FRAMES = 39; // 1.3 s
const FLASH_FRAME = 15; // 0.5 s into each fragment
const EVENT_SEC = FLASH_FRAME / FPS;
const FRAGMENT_SEC = FRAMES / FPS;

let dir: string;
const file = (name: string): string => path.join(dir, name);

/** One fragment: black 160x90 at 30 fps with one white frame, silence with a beep starting on that frame;
 * the audio track lasts `audioSec` (the picture always 1.3 s). */
const makeFragment = (out: string, audioSec = FRAGMENT_SEC): Promise<string> =>
  makeSyncClip(out, { frames: FRAMES, fps: FPS, flashFrames: [FLASH_FRAME], audioSec });

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
