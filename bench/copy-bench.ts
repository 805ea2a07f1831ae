// The copy paths' rows of `npm run bench media`, measured in process with the engine's own planner and
// runner (planConcat + concat(), the code a worker runs between download and upload):
//  (a) three untrimmed fragments of one pipeline, a request without DirectConcat: the path the planner
//      picks over the full encode of the same request: target <= 0.05;
//  (b) three trims of one recording, every cut inside a GOP (H.264 with B-frames): the planner's path
//      over the full encode: target <= 0.25, the same frame count, and no decode error;
//  (c) beep minus flash at every join, decoded as a player does (PCM and pictures), of a 10-fragment
//      DirectConcat job and of the same fragments without DirectConcat: at most 1 ms.
// The measurement of (c) is the one the integration tests use (test/helpers/av-sync.ts).
import { execFile } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ConcatFragment, ConcatTemplate } from '../src/domain/concat-types.js';
import { pino } from 'pino';
import { concat, copyAndVerify, ffmpegMedia, probeFile } from '../src/media/ffmpeg.js';
import { planConcat, type ConcatPlan, type PlanSource } from '../src/media/plan.js';
import { normalizeProbe } from '../src/media/probe.js';
import { scanFragments } from '../src/worker/fragment-keyframes.js';
import { makeSyncClip, measureSync, offsetsMs } from '../test/helpers/av-sync.js';

const run = promisify(execFile);

export interface BenchRow {
  label: string;
  /** The measured figure as printed, e.g. "0.031" or "0.4 ms". */
  value: string;
  /** e.g. "<= 0.05". */
  target: string;
  pass: boolean;
  /** Measurements behind the figure. */
  detail?: string;
}

export interface BenchFragment {
  path: string;
  startTime?: number;
  endTime?: number;
}

async function sourcesOf(fragments: BenchFragment[]): Promise<PlanSource[]> {
  return Promise.all(
    fragments.map(async (f) => ({
      path: f.path,
      label: path.basename(f.path),
      probe: normalizeProbe(await probeFile(f.path)),
      ...(f.startTime !== undefined ? { startTime: f.startTime } : {}),
      ...(f.endTime !== undefined ? { endTime: f.endTime } : {}),
    })),
  );
}

/** A Concat request's template for these fragments: MP4 out, nothing else asked for. */
function templateOf(fragments: BenchFragment[], directConcat: boolean): ConcatTemplate {
  const items: ConcatFragment[] = fragments.map((f) => ({
    url: path.basename(f.path),
    ...(f.startTime !== undefined ? { startTime: f.startTime } : {}),
    ...(f.endTime !== undefined ? { endTime: f.endTime } : {}),
  }));
  return { fragments: items, container: { format: 'mp4' }, audioMixArray: [], directConcat };
}

/**
 * Plans (the full encode, or the path the engine picks with AUTO_COPY on) and runs the job as a worker
 * does, a copy's verification before upload included; returns the plan and seconds spent.
 */
interface TimedJob {
  plan: ConcatPlan;
  sec: number;
  /** The auto path's keyframe scan, and the time its checks took (partly beside the audio encode). */
  scanSec: number;
  verifySec: number;
}

async function timeJob(fragments: BenchFragment[], out: string, mode: 'encode' | 'auto'): Promise<TimedJob> {
  const sources = await sourcesOf(fragments);
  const t0 = performance.now();
  // As a worker with AUTO_COPY on, with the worker's own scan: the keyframes of every H.264 MP4 fragment (a copy
  // needs each to start with an IDR picture and have no open GOP; a trimmed one may be smart-cut).
  if (mode === 'auto') await scanFragments(ffmpegMedia, sources, pino({ enabled: false }));
  const scanSec = (performance.now() - t0) / 1000;
  const plan = planConcat({ sources, template: templateOf(fragments, false), bgm: [], outputPath: out, autoCopy: mode === 'auto' });
  let verifySec = 0;
  if (plan.kind === 'copy') {
    // Made and checked as a worker does: the picture checked while the sound is encoded.
    const { verdict, verifyMs } = await copyAndVerify(plan);
    if (!verdict.ok) throw new Error(`the ${plan.path} output failed verification: ${verdict.reason}`);
    verifySec = verifyMs / 1000;
  } else {
    await concat(plan);
  }
  return { plan, sec: (performance.now() - t0) / 1000, scanSec, verifySec };
}

async function frameCount(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', [
    ...['-v', 'error', '-count_packets', '-select_streams', 'v:0'],
    ...['-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', file],
  ]);
  return Number(stdout.trim());
}

/** What `ffmpeg -v error` says while decoding the whole file (nothing for a clean file). */
async function decodeErrors(file: string): Promise<string[]> {
  const { stdout, stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-i', file, '-f', 'null', '-'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return (stdout + stderr).split('\n').filter((l) => l.trim() !== '');
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const secsList = (xs: number[]): string => xs.map((t) => `${t.toFixed(2)} s`).join(', ');

/** (a): `fullEncodeSec` is the same fragments' full encode, timed by the caller on the same inputs. */
export async function benchUntrimmed(clips: string[], dir: string, fullEncodeSec: number): Promise<BenchRow> {
  const jobs: TimedJob[] = [];
  for (let i = 0; i < 3; i++) {
    jobs.push(
      await timeJob(
        clips.map((c) => ({ path: c })),
        path.join(dir, 'auto-untrimmed.mp4'),
        'auto',
      ),
    );
  }
  const times = jobs.map((j) => j.sec);
  const plan = jobs[0]!.plan;
  const ratio = mean(times) / fullEncodeSec;
  return {
    label: '(a) 3 untrimmed, no DirectConcat: auto path / full encode',
    value: ratio.toFixed(3),
    target: '<= 0.05',
    pass: ratio <= 0.05,
    detail:
      `${plan.path} path (verified): ${secsList(times)} (keyframe scan ${secsList(jobs.map((j) => j.scanSec))};` +
      ` checks ${secsList(jobs.map((j) => j.verifySec))}, the picture's beside the audio encode); full encode ${fullEncodeSec.toFixed(2)} s`,
  };
}

/** (b): a 30 s recording (H.264, 3 B-frames, a keyframe every second at 30 fps), three trims of it. */
export async function benchTrimmed(dir: string): Promise<BenchRow[]> {
  const fps = 30;
  const recordingSec = 30;
  const recording = path.join(dir, 'recording.mp4');
  await run('ffmpeg', [
    ...['-hide_banner', '-nostdin', '-y', '-loglevel', 'error'],
    ...['-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=${fps}:duration=${recordingSec}`],
    ...['-f', 'lavfi', '-i', `sine=frequency=500:sample_rate=48000:duration=${recordingSec}`],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-bf', '3', '-g', String(fps), '-keyint_min', String(fps)],
    ...['-sc_threshold', '0', '-c:a', 'aac', '-ac', '2', recording],
  ]);
  // On frame boundaries, none on a keyframe: frames 39-291, 312-597, 633-855.
  const cuts: [number, number][] = [
    [1.3, 9.7],
    [10.4, 19.9],
    [21.1, 28.5],
  ];
  const fragments = cuts.map(([startTime, endTime]) => ({ path: recording, startTime, endTime }));
  const expectedFrames = cuts.reduce((n, [s, e]) => n + Math.round((e - s) * fps), 0);

  const encodeOut = path.join(dir, 'trimmed-encode.mp4');
  const autoOut = path.join(dir, 'trimmed-auto.mp4');
  const encodeTimes: number[] = [];
  const autoTimes: number[] = [];
  let autoPlan: ConcatPlan | undefined;
  for (let i = 0; i < 2; i++) {
    encodeTimes.push((await timeJob(fragments, encodeOut, 'encode')).sec);
    const job = await timeJob(fragments, autoOut, 'auto');
    autoTimes.push(job.sec);
    autoPlan = job.plan;
  }
  const ratio = mean(autoTimes) / mean(encodeTimes);
  const [encodeFrames, autoFrames, errors] = await Promise.all([frameCount(encodeOut), frameCount(autoOut), decodeErrors(autoOut)]);
  const cutText = cuts.map(([s, e]) => `${s.toFixed(3)}-${e.toFixed(3)}`).join(', ');
  return [
    {
      label: '(b) 3 trims inside GOPs: planner path / full encode',
      value: ratio.toFixed(3),
      target: '<= 0.25',
      pass: ratio <= 0.25,
      detail: `${autoPlan!.path} plan: ${secsList(autoTimes)}; full encode ${secsList(encodeTimes)}; cuts ${cutText} s of a ${recordingSec} s recording`,
    },
    {
      label: '(b) frames: planner path vs full encode',
      value: `${autoFrames} vs ${encodeFrames}`,
      target: `equal (${expectedFrames} planned)`,
      pass: autoFrames === encodeFrames,
    },
    {
      label: '(b) decode errors (ffmpeg -v error), planner path',
      value: String(errors.length),
      target: '0',
      pass: errors.length === 0,
      ...(errors.length > 0 ? { detail: errors.slice(0, 3).join(' | ') } : {}),
    },
  ];
}

/** (c): ten 1.3 s fragments, each with a white frame and a beep starting on it 0.5 s in. */
export async function benchJoinSync(dir: string): Promise<BenchRow[]> {
  const fragments = 10;
  const first = path.join(dir, 'sync-0.mp4');
  await makeSyncClip(first, { frames: 39, fps: 30, flashFrames: [15], width: 320, height: 180, moving: true });
  const files = [first];
  for (let i = 1; i < fragments; i++) {
    files.push(path.join(dir, `sync-${i}.mp4`));
    copyFileSync(first, files[i]!);
  }
  const inputs = files.map((f) => ({ path: f }));
  const sources = await sourcesOf(inputs);
  const rows: BenchRow[] = [];
  const jobs: { label: string; plan: (out: string) => ConcatPlan }[] = [
    {
      label: 'DirectConcat',
      plan: (out) => planConcat({ sources, template: templateOf(inputs, true), bgm: [], outputPath: out }),
    },
    {
      label: 'no DirectConcat (auto copy)',
      plan: (out) => planConcat({ sources, template: templateOf(inputs, false), bgm: [], outputPath: out, autoCopy: true }),
    },
  ];
  for (const [i, job] of jobs.entries()) {
    const out = path.join(dir, `sync-out-${i}.mp4`);
    const plan = job.plan(out);
    await concat(plan);
    const m = await measureSync(out);
    const offsets = offsetsMs(m);
    const complete = m.flashes.length === fragments && m.beeps.length === fragments;
    const worst = Math.max(...offsets.map(Math.abs));
    rows.push({
      label: `(c) max |beep - flash| over ${fragments} fragments, ${job.label}`,
      value: complete ? `${worst.toFixed(3)} ms` : `${m.flashes.length} flashes, ${m.beeps.length} beeps`,
      target: '<= 1 ms',
      pass: complete && worst <= 1,
      detail: `${plan.path} path; per fragment (ms): ${offsets.join(', ')}`,
    });
  }
  // For reference, what the concat demuxer copying every stream does: each fragment's AAC priming and
  // padding push the sound later at every join.
  const list = path.join(dir, 'sync-plain.concat.txt');
  writeFileSync(list, ['ffconcat version 1.0', ...files.map((f) => `file '${f}'`), ''].join('\n'));
  const plainOut = path.join(dir, 'sync-plain.mp4');
  await run('ffmpeg', [
    ...['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-f', 'concat', '-safe', '0', '-i', list],
    ...['-map', '0:v:0', '-map', '0:a:0', '-c', 'copy', plainOut],
  ]);
  const plain = offsetsMs(await measureSync(plainOut));
  rows[0]!.detail = `${rows[0]!.detail ?? ''}\n      for reference, a plain -c copy concat (ms): ${plain.join(', ')}`;
  return rows;
}

export function formatRow(row: BenchRow): string {
  const head = `  ${row.label}: ${row.value} (target ${row.target}) ${row.pass ? 'PASS' : 'FAIL'}`;
  return row.detail ? `${head}\n      ${row.detail}` : head;
}
