// A hybrid copy made in parts with real ffmpeg: the picture copied and the sound encoded at the same time, each
// into an MP4 of its own, then muxed. Its packets must be exactly those of one ffmpeg run reading the list and
// the fragments (the way the engine made it before), in every container a copy writes; the picture is checked
// while the sound is encoded, and a picture that fails is never muxed and leaves no output and no parts.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConcatTemplate, ContainerFormat } from '../../src/domain/concat-types.js';
import { buildCopyAudioGraph } from '../../src/media/args.js';
import { concat, copyAndVerify, probeFile } from '../../src/media/ffmpeg.js';
import { planConcat, type CopyPlan, type PlanSource } from '../../src/media/plan.js';
import { normalizeProbe } from '../../src/media/probe.js';
import { makeSyncClip } from '../helpers/av-sync.js';
import { damageVideoPacket } from '../helpers/media.js';

const run = promisify(execFile);

const FPS = 30;
const GOP = 48;
const VIDEO_ARGS = ['-bf', '3', '-g', String(GOP), '-keyint_min', String(GOP), '-sc_threshold', '0'];

let dir: string;
const file = (name: string): string => path.join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'hybrid-copy-'));
  // 4 s fragments: each join is decoded from the keyframe 0.8 s before it (frame 96) to 1 s after it.
  await makeSyncClip(file('f0.mp4'), { frames: 120, fps: FPS, width: 320, height: 240, moving: true, videoArgs: VIDEO_ARGS });
  for (const i of [1, 2]) copyFileSync(file('f0.mp4'), file(`f${i}.mp4`));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function planOf(fragments: string[], format: ContainerFormat, out: string, workDir: string): Promise<CopyPlan> {
  const sources: PlanSource[] = await Promise.all(
    fragments.map(async (f) => ({ path: file(f), label: f, probe: normalizeProbe(await probeFile(file(f))) })),
  );
  const template: ConcatTemplate = { fragments: [], container: { format }, audioMixArray: [], directConcat: true };
  const plan = planConcat({ sources, template, bgm: [], outputPath: out, workDir });
  if (plan.kind !== 'copy' || !plan.parts || !plan.audioEncode) throw new Error('expected a hybrid copy plan');
  return plan;
}

/** Every packet of a file as ffmpeg reads it (stream, dts, pts, duration, size, MD5 of the bytes), streams copied. */
async function packetsOf(out: string): Promise<string[]> {
  const { stdout } = await run(
    'ffmpeg',
    ['-hide_banner', '-nostdin', '-v', 'error', '-i', out, '-map', '0', '-c', 'copy', '-f', 'framemd5', '-'],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return stdout.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

/** The hybrid copy as one ffmpeg run: the picture from the list (input 0), the sound from the fragments. */
async function onePass(plan: CopyPlan, listFile: string, out: string, muxer: readonly string[]): Promise<void> {
  const a = plan.audioEncode!;
  const graph = buildCopyAudioGraph(plan, a).replace(/\[(\d+):a:0\]/g, (_, i: string) => `[${Number(i) + 1}:a:0]`);
  await run('ffmpeg', [
    ...['-hide_banner', '-nostdin', '-y', '-v', 'error', '-f', 'concat', '-safe', '0', '-i', listFile],
    ...plan.segments.flatMap((s) => ['-i', s.path]),
    ...['-filter_complex', graph, '-map', '0:v:0', '-map', '[aout]', '-c:v', 'copy'],
    ...['-c:a', a.encoder, '-ar', String(a.sampleRate), '-ac', String(a.channels), ...(a.bitrateKbps ? ['-b:a', `${a.bitrateKbps}k`] : [])],
    ...muxer,
    out,
  ]);
}

describe('hybrid copy in parts (real ffmpeg)', () => {
  it.each([
    ['mp4', ['-f', 'mp4', '-movflags', '+faststart']],
    ['ts', ['-f', 'mpegts']],
    ['flv', ['-f', 'flv']],
    ['hls', ['-f', 'hls', '-hls_time', '10', '-hls_playlist_type', 'vod', '-hls_segment_filename', 'one-pass-%05d.ts']],
  ] as const)('%s: the same packets as one ffmpeg run reading the list and the fragments', async (format, muxer) => {
    const work = mkdtempSync(path.join(dir, `w-${format}-`));
    const ext = format === 'hls' ? 'm3u8' : format;
    const plan = await planOf(['f0.mp4', 'f1.mp4', 'f2.mp4'], format, path.join(work, `out.${ext}`), work);
    await concat(plan);
    const list = file(`list-${format}.txt`);
    writeFileSync(
      list,
      [
        'ffconcat version 1.0',
        'stream',
        'exact_stream_id 1',
        ...[0, 1, 2].flatMap((i) => [`file '${file(`f${i}.mp4`)}'`, 'duration 4']),
        '',
      ].join('\n'),
    );
    const reference = file(`one-pass.${ext}`);
    await onePass(
      plan,
      list,
      reference,
      muxer.map((a) => (a.endsWith('%05d.ts') ? file(a) : a)),
    );
    const [made, expected] = await Promise.all([packetsOf(plan.outputPath), packetsOf(reference)]);
    expect(made.length).toBeGreaterThan(360);
    expect(made).toEqual(expected);
    // The parts and the list are gone; only the output stays.
    expect(readdirSync(work).filter((f) => !f.endsWith('.ts') || format !== 'hls')).toEqual([`out.${ext}`]);
  });

  it('a good copy passes; its picture is checked while the sound is encoded, the whole output scanned after the mux', async () => {
    const work = mkdtempSync(path.join(dir, 'w-good-'));
    const plan = await planOf(['f0.mp4', 'f1.mp4', 'f2.mp4'], 'mp4', path.join(work, 'out.mp4'), work);
    const events: { event: string; file?: string }[] = [];
    const progress: number[] = [];
    const outcome = await copyAndVerify(plan, {
      log: (event, data) => events.push({ event, ...(data as { file?: string }) }),
      onProgress: (p) => progress.push(p),
    });
    expect(outcome.verdict).toEqual({ ok: true });
    expect(outcome.verifyMs).toBeGreaterThan(0);
    expect(events.filter((e) => e.event === 'verify.passed').map((e) => e.file)).toEqual([
      path.basename(plan.parts!.pictureFile),
      'out.mp4',
    ]);
    // Two joins decoded, in the picture alone.
    expect(events.filter((e) => e.event === 'verify.decode')).toHaveLength(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress[progress.length - 1]).toBe(100);
    expect(readdirSync(work)).toEqual(['out.mp4']);
  });

  it('a picture that fails its check is never muxed: the verdict names the join, and neither output nor parts are left', async () => {
    // Fragment 0 damaged in the middle of the keyframe at 3.2 s that starts the GOP before the first join.
    copyFileSync(file('f0.mp4'), file('bad.mp4'));
    await damageVideoPacket(file('bad.mp4'), 3.2);

    const work = mkdtempSync(path.join(dir, 'w-bad-'));
    const plan = await planOf(['bad.mp4', 'f1.mp4', 'f2.mp4'], 'mp4', path.join(work, 'out.mp4'), work);
    const events: string[] = [];
    const outcome = await copyAndVerify(plan, { log: (event) => events.push(event) });
    expect(outcome.verdict).toMatchObject({ ok: false, check: 'decode' });
    expect(outcome.verdict.ok || outcome.verdict.reason).toMatch(
      /^decode: decoding join of "bad.mp4" and "f1.mp4" \(3.2-5 s\) reported: .+/,
    );
    expect(existsSync(plan.outputPath)).toBe(false);
    expect(readdirSync(work)).toEqual([]);
    expect(events).toContain('verify.failed');
  });
});
