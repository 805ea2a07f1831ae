// Verification of a copy's output with real ffmpeg: the good output of a real DirectConcat plan passes,
// and outputs broken the ways a copy can break fail with the check that catches them: damaged bytes in
// a join's GOPs (decode), joins without exact durations and a fragment of another rate (timestamps), a
// copy that stopped early (frame count). The cost of verifying is measured against the copy itself and
// against a full decode, which verification must not need.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConcatTemplate, ContainerFormat } from '../../src/domain/concat-types.js';
import { concat, probeFile, verifyOutput } from '../../src/media/ffmpeg.js';
import { planConcat, type CopyPlan, type PlanSource } from '../../src/media/plan.js';
import { normalizeProbe } from '../../src/media/probe.js';
import type { DecodeWindow, VerifyVerdict } from '../../src/media/verify.js';
import { makeSyncClip } from '../helpers/av-sync.js';
import { damageVideoPacket, makeClip } from '../helpers/media.js';

const run = promisify(execFile);

const FPS = 30;
const FRAMES = 300; // 10 s
const GOP = 48;
const VIDEO_ARGS = ['-bf', '3', '-g', String(GOP), '-keyint_min', String(GOP), '-sc_threshold', '0'];

let dir: string;
const file = (name: string): string => path.join(dir, name);
const FRAGMENTS = ['f0.mp4', 'f1.mp4', 'f2.mp4'];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'verify-output-'));
  const spec = { frames: FRAMES, fps: FPS, width: 320, height: 240, moving: true, videoArgs: VIDEO_ARGS };
  await Promise.all([makeSyncClip(file('f0.mp4'), spec), makeSyncClip(file('f25.mp4'), { ...spec, fps: 25 })]);
  // 13 frames: 0.4333 s, which an MP4's millisecond movie duration rounds to 0.434 s.
  await makeSyncClip(file('s0.mp4'), { frames: 13, fps: FPS, flashFrames: [5] });
  for (const f of ['f', 's']) for (const i of [1, 2]) copyFileSync(file(`${f}0.mp4`), file(`${f}${i}.mp4`));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The real DirectConcat plan of three identical fragments, writing `out`. */
async function planOf(out: string, format: ContainerFormat = 'mp4', fragments = FRAGMENTS): Promise<CopyPlan> {
  const sources: PlanSource[] = await Promise.all(
    fragments.map(async (f) => ({ path: file(f), label: f, probe: normalizeProbe(await probeFile(file(f))) })),
  );
  const template: ConcatTemplate = { fragments: [], container: { format }, audioMixArray: [], directConcat: true };
  const plan = planConcat({ sources, template, bgm: [], outputPath: out });
  if (plan.kind !== 'copy') throw new Error('expected a copy plan');
  return plan;
}

/** verifyOutput with the windows it decoded. */
async function verify(plan: CopyPlan): Promise<{ verdict: VerifyVerdict; windows: DecodeWindow[] }> {
  const windows: DecodeWindow[] = [];
  const verdict = await verifyOutput(plan, {
    log: (event, data) => {
      if (event === 'verify.decode') windows.push(...(data as { windows: DecodeWindow[] }).windows);
    },
  });
  return { verdict, windows };
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await f();
  return { value, ms: performance.now() - start };
}

/** Byte position and size of the picture packet shown at `sec`. */
/** A copy of the three fragments through a list of our own making, as a broken copy path would write it. */
async function listCopy(out: string, lines: string[], extra: string[] = []): Promise<void> {
  const list = `${out}.txt`;
  writeFileSync(list, ['ffconcat version 1.0', ...lines, ''].join('\n'));
  await run('ffmpeg', [
    ...['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-f', 'concat', '-safe', '0', '-i', list],
    ...['-map', '0:v:0', '-map', '0:a:0?', '-c', 'copy', ...extra, '-f', 'mp4', out],
  ]);
}

describe('verifyOutput (real ffmpeg)', () => {
  it('passes the DirectConcat output of identical fragments, decoding only the GOP before each join and the second after it; costs measured', async () => {
    const plan = await planOf(file('good.mp4'));
    const copy = await timed(() => concat(plan));
    const checked = await timed(() => verify(plan));
    expect(checked.value.verdict).toEqual({ ok: true });
    // Both joins (10 s and 20 s) decoded from the keyframe before them (9.6 s: 288 = 6 x 48 frames) to one
    // second after them (11 s), sooner than the first keyframe after them (11.6 s): 1.4 s each of the 30 s.
    expect(checked.value.windows.map((w) => [w.startSec, w.endSec])).toEqual([
      [9.6, 11],
      [19.6, 21],
    ]);
    expect(checked.value.windows[0]!.why).toBe('join of "f0.mp4" and "f1.mp4"');
    const full = await timed(() => run('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-i', plan.outputPath, '-f', 'null', '-']));
    expect(full.value.stderr).toBe('');
    console.info(
      `3 x 10 s 320x240: copy ${Math.round(copy.ms)} ms, verify ${Math.round(checked.ms)} ms (${(checked.ms / copy.ms).toFixed(2)} of the copy),`,
      `full decode ${Math.round(full.ms)} ms`,
    );
  });

  it('passes an MPEG-TS output, whose timestamps start late: the windows are placed from the container start', async () => {
    const plan = await planOf(file('good.ts'), 'ts');
    await concat(plan);
    const { verdict, windows } = await verify(plan);
    expect(verdict).toEqual({ ok: true });
    expect(windows).toHaveLength(2);
    // MPEG-TS has no index: each window is read as the bytes from its keyframe's packet to the next one's.
    for (const [i, w] of windows.entries()) {
      expect(w.endSec - w.startSec).toBeCloseTo(1.4, 2);
      expect(w.startSec).toBeGreaterThan(9.6 + i * 10 - 0.01);
      expect(w.bytes!.end).toBeGreaterThan(w.bytes!.start);
    }
  });

  it.each([
    ['mp4', 'a.mp4', {}],
    ['flv', 'a.mp4', {}],
    ['hls', 'a.mp4', {}],
    ['ts', 'a.ts', {}],
    ['mp3', 'a.mp3', { video: false, audioCodec: 'libmp3lame' }],
    ['aac', 'a.m4a', { video: false }],
  ] as const)('passes a good copy into %s (from %s fragments)', async (format, name, extra) => {
    const one = await makeClip(file(`c-${format}-${name}`), { durationSec: 2, fps: 25, audio: true, ...extra });
    const sources: PlanSource[] = await Promise.all(
      [0, 1, 2].map(async (i) => ({ path: one, label: `${i}-${name}`, probe: normalizeProbe(await probeFile(one)) })),
    );
    const template: ConcatTemplate = { fragments: [], container: { format }, audioMixArray: [], directConcat: true };
    const plan = planConcat({ sources, template, bgm: [], outputPath: file(`c-${format}-out.${format === 'hls' ? 'm3u8' : format}`) });
    if (plan.kind !== 'copy') throw new Error('expected a copy plan');
    await concat(plan);
    const { verdict, windows } = await verify(plan);
    expect(verdict).toEqual({ ok: true });
    expect(windows.length).toBeGreaterThanOrEqual(1);
  });

  it('fails on damaged bytes inside a join GOP, naming the join; the packet scan alone cannot see them', async () => {
    const plan = await planOf(file('damaged.mp4'));
    await concat(plan);
    // The middle of the keyframe that starts the second fragment.
    await damageVideoPacket(plan.outputPath, 10);
    const { verdict } = await verify(plan);
    expect(verdict).toMatchObject({ ok: false, check: 'decode' });
    expect(verdict.ok || verdict.reason).toMatch(/^decode: decoding join of "f0.mp4" and "f1.mp4" \(9.6-11 s\) reported: .+/);
  });

  it("fails a copy made without exact duration lines: each join is 0.65 ms late (the fragments' durations are rounded to ms)", async () => {
    const fragments = ['s0.mp4', 's1.mp4', 's2.mp4'];
    const plan = await planOf(file('no-durations.mp4'), 'mp4', fragments);
    expect(await verify(await concat(plan).then(() => plan))).toMatchObject({ verdict: { ok: true } });
    await listCopy(
      plan.outputPath,
      fragments.map((f) => `file '${file(f)}'`),
    );
    const { verdict } = await verify(plan);
    expect(verdict).toEqual({
      ok: false,
      check: 'pts-gap',
      reason: 'pts-gap: the picture after the one at 0.4 s follows it by 34 ms; one frame is 33.3 ms',
    });
  });

  it('fails a copy with one fragment of another frame rate: its pictures are 40 ms apart', async () => {
    const plan = await planOf(file('mixed-rate.mp4'));
    await listCopy(plan.outputPath, [
      `file '${file('f0.mp4')}'`,
      'duration 10',
      `file '${file('f25.mp4')}'`,
      'duration 12',
      `file '${file('f2.mp4')}'`,
      'duration 10',
    ]);
    const { verdict } = await verify(plan);
    expect(verdict).toMatchObject({ ok: false, check: expect.stringMatching(/^pts-(gap|overlap)$/) });
    expect(verdict.ok || verdict.reason).toMatch(/^pts-(gap|overlap): the picture after the one at (9\.\d+|1\d(\.\d+)?) s follows it by/);
  });

  it('fails a copy that stopped early on its frame count', async () => {
    const plan = await planOf(file('short.mp4'));
    await listCopy(
      plan.outputPath,
      FRAGMENTS.flatMap((f) => [`file '${file(f)}'`, 'duration 10']),
      ['-frames:v', String(3 * FRAMES - 20)],
    );
    const { verdict } = await verify(plan);
    expect(verdict).toEqual({ ok: false, check: 'frame-count', reason: 'frame-count: the output has 880 pictures, the plan 900' });
  });
});
