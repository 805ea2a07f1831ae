// Automatic copy with real ffmpeg: three H.264 (B-frames, a GOP that does not align with the fragment
// ends) + AAC fragments from one encoder, joined without DirectConcat. The job must take the hybrid path,
// keep every frame bit-identical to its source, decode without a single error and keep each beep within
// 1 ms of its flash on decoded PCM; a fragment from another encoder setting must send the job to encode.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConcatTemplate } from '../../src/domain/concat-types.js';
import { concat, probeFile, scanKeyframes } from '../../src/media/ffmpeg.js';
import { planConcat, type ConcatPlan, type PlanSource } from '../../src/media/plan.js';
import { normalizeProbe } from '../../src/media/probe.js';
import { makeSyncClip, measureSync, offsetsMs } from '../helpers/av-sync.js';

const run = promisify(execFile);

const FPS = 30;
const FRAMES = 75; // 2.5 s: the 30-frame GOPs end mid-way through the last one
const FLASHES = [[15], [40], [65]];
const VIDEO_ARGS = ['-bf', '3', '-g', '30'];

let dir: string;
const file = (name: string): string => path.join(dir, name);

const clip = (name: string, flash: number[], codec: string[] = ['-preset', 'ultrafast']): Promise<string> =>
  makeSyncClip(file(name), {
    frames: FRAMES,
    fps: FPS,
    flashFrames: flash,
    width: 320,
    height: 240,
    moving: true,
    videoArgs: VIDEO_ARGS,
    videoCodecArgs: ['-c:v', 'libx264', ...codec, '-pix_fmt', 'yuv420p'],
  });

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'auto-copy-'));
  await Promise.all([
    clip('f0.mp4', FLASHES[0]!),
    clip('f1.mp4', FLASHES[1]!),
    clip('f2.mp4', FLASHES[2]!),
    // Same encoder, another CRF: its picture parameter set (and so its extradata) differs.
    clip('crf35.mp4', FLASHES[1]!, ['-preset', 'ultrafast', '-crf', '35']),
    // Open GOP: the keyframes after the first are I pictures, not IDR ones.
    ...[0, 1, 2].map((i) => clip(`open-${i}.mp4`, FLASHES[i]!, ['-preset', 'ultrafast', '-x264-params', 'open_gop=1:scenecut=0'])),
  ]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const template: ConcatTemplate = { fragments: [], container: { format: 'mp4' }, audioMixArray: [], directConcat: false };

async function sources(names: string[]): Promise<PlanSource[]> {
  return Promise.all(names.map(async (n) => ({ path: file(n), label: n, probe: normalizeProbe(await probeFile(file(n))) })));
}

async function timed(plan: ConcatPlan): Promise<number> {
  const start = process.hrtime.bigint();
  await concat(plan);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** The hash column of `ffmpeg -f framemd5` over the decoded pictures. */
async function frameHashes(f: string): Promise<string[]> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', f, '-map', '0:v:0', '-f', 'framemd5', '-'], { maxBuffer: 1 << 24 });
  return stdout
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(',').pop()!.trim());
}

describe('automatic copy (real ffmpeg)', () => {
  const names = ['f0.mp4', 'f1.mp4', 'f2.mp4'];

  it('same-encoder fragments without DirectConcat: hybrid, exact frames, bit-identical pictures, no decode error, joins within 1 ms', async () => {
    const out = file('auto.mp4');
    const plan = planConcat({ sources: await sources(names), template, bgm: [], outputPath: out, autoCopy: true });
    expect(plan).toMatchObject({ kind: 'copy', path: 'hybrid', video: true, audio: true, audioEncode: { encoder: 'aac' } });
    const copyMs = await timed(plan);

    const m = await measureSync(out);
    expect(m.frames).toBe(3 * FRAMES);
    expect(m.flashes).toHaveLength(3);
    expect(m.beeps).toHaveLength(3);
    for (const o of offsetsMs(m)) expect(Math.abs(o)).toBeLessThanOrEqual(1);
    m.flashes.forEach((t, i) => expect(t).toBeCloseTo((i * FRAMES + FLASHES[i]![0]!) / FPS, 4));
    expect(Math.abs(m.audioSec - m.videoSec)).toBeLessThanOrEqual(1 / FPS);

    const { stdout, stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-i', out, '-f', 'null', '-']);
    expect(stdout + stderr).toBe('');

    const copied = await frameHashes(out);
    const originals = (await Promise.all(names.map((n) => frameHashes(file(n))))).flat();
    expect(originals).toHaveLength(3 * FRAMES);
    expect(copied).toEqual(originals);

    // The same job encoded, for the wall time the copy saves.
    const encodePlan = planConcat({ sources: await sources(names), template, bgm: [], outputPath: file('encoded.mp4'), autoCopy: false });
    expect(encodePlan.path).toBe('encode');
    const encodeMs = await timed(encodePlan);
    console.info(`hybrid ${copyMs.toFixed(0)} ms, encode ${encodeMs.toFixed(0)} ms, ratio ${(copyMs / encodeMs).toFixed(3)}`);
    expect(copyMs).toBeLessThan(encodeMs);
  });

  it.each(['ts', 'flv'] as const)('into %s too: hybrid, exact frames, no decode error, joins within 1 ms', async (format) => {
    const out = file(`auto.${format}`);
    const plan = planConcat({
      sources: await sources(names),
      template: { ...template, container: { format } },
      bgm: [],
      outputPath: out,
      autoCopy: true,
    });
    expect(plan.path).toBe('hybrid');
    await concat(plan);
    const m = await measureSync(out);
    expect(m.frames).toBe(3 * FRAMES);
    expect(m.beeps).toHaveLength(3);
    for (const o of offsetsMs(m)) expect(Math.abs(o)).toBeLessThanOrEqual(1);
    const { stdout, stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-i', out, '-f', 'null', '-']);
    expect(stdout + stderr).toBe('');
  });

  it('Audio.Remove: a full copy, every picture bit-identical and no audio stream', async () => {
    const out = file('silent.mp4');
    const plan = planConcat({
      sources: await sources(names),
      template: { ...template, audio: { codec: 'aac', remove: true } },
      bgm: [],
      outputPath: out,
      autoCopy: true,
    });
    expect(plan).toMatchObject({ kind: 'copy', path: 'copy', video: true, audio: false });
    await concat(plan);
    const { stdout: streams } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type', '-of', 'csv=p=0', out]);
    expect(streams.trim().split('\n')).toEqual(['video']);
    const originals = (await Promise.all(names.map((n) => frameHashes(file(n))))).flat();
    expect(await frameHashes(out)).toEqual(originals);
    const { stdout, stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-i', out, '-f', 'null', '-']);
    expect(stdout + stderr).toBe('');
  });

  it('why audio is never fully copied: AAC fragments whose audio lasts as long as their picture still drift at each join', async () => {
    const probes = await sources(names);
    for (const p of probes) expect(Math.abs(p.probe.audio!.durationSec! - p.probe.video!.durationSec!)).toBeLessThanOrEqual(0.001);
    const list = file('full.concat.txt');
    const lines = names.flatMap((n) => [`file '${file(n)}'`, `duration ${FRAMES / FPS}`]);
    writeFileSync(list, ['ffconcat version 1.0', ...lines, ''].join('\n'));
    const out = file('full-copy.mp4');
    await run('ffmpeg', [
      ...['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-f', 'concat', '-safe', '0', '-i', list],
      ...['-map', '0:v:0', '-map', '0:a:0', '-c', 'copy', '-f', 'mp4', out],
    ]);
    const offsets = offsetsMs(await measureSync(out));
    console.info('full copy with AAC: beep - flash per fragment (ms)', offsets);
    expect(offsets[2]!).toBeGreaterThan(10);
  });

  it('a fragment encoded at another CRF (other parameter sets) sends the job to encode, naming it', async () => {
    const plan = planConcat({
      sources: await sources(['f0.mp4', 'crf35.mp4', 'f2.mp4']),
      template,
      bgm: [],
      outputPath: file('mixed.mp4'),
      autoCopy: true,
    });
    expect(plan.path).toBe('encode');
    expect(plan.reason).toMatch(/^"crf35\.mp4" has video parameter sets \(extradata\) [0-9a-f]{12} but "f0\.mp4" has [0-9a-f]{12}$/);
  });

  it('open-GOP fragments, scanned as the worker scans them, are encoded, naming the fragment; closed-GOP ones are copied', async () => {
    const scanned = async (n: string[]): Promise<PlanSource[]> =>
      Promise.all((await sources(n)).map(async (s) => ({ ...s, keyframes: await scanKeyframes(s.path) })));
    const open = planConcat({
      sources: await scanned(['open-0.mp4', 'open-1.mp4', 'open-2.mp4']),
      template,
      bgm: [],
      outputPath: file('open.mp4'),
      autoCopy: true,
    });
    expect(open.path).toBe('encode');
    expect(open.reason).toMatch(/^fragment "open-0\.mp4" is open-GOP \(2 of its 3 keyframes are not IDR pictures\)$/);
    const closed = planConcat({ sources: await scanned(names), template, bgm: [], outputPath: file('closed.mp4'), autoCopy: true });
    expect(closed.path).toBe('hybrid');
  });
});
