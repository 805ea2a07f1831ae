// Transitions and watermarks through real ffmpeg, checked frame by frame on tiny outputs: durations as
// documented, black at a FADE join, marks present exactly where and while requested. Frames are decoded
// to raw bytes (yuv420p for luma, rgb24 for colour) and read here.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConcatTemplate, Watermark } from '../../src/domain/concat-types.js';
import { concat, probeFile } from '../../src/media/ffmpeg.js';
import { planConcat, type EncodePlan, type PlanSource, type PlanWatermark } from '../../src/media/plan.js';
import { normalizeProbe } from '../../src/media/probe.js';
import { decodeFrames, ffprobeJson, makeClip } from '../helpers/media.js';

const run = promisify(execFile);
const W = 160;
const H = 90;
const FPS = 25;

let dir: string;
const file = (name: string): string => path.join(dir, name);

function template(over: Partial<ConcatTemplate> = {}): ConcatTemplate {
  return { fragments: [], container: { format: 'mp4' }, audioMixArray: [], directConcat: false, ...over };
}

async function source(f: string): Promise<PlanSource> {
  return { path: f, label: path.basename(f), probe: normalizeProbe(await probeFile(f)) };
}

async function lavfi(out: string, graph: string, extra: string[] = []): Promise<string> {
  await run('ffmpeg', ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-f', 'lavfi', '-i', graph, ...extra, out]);
  return out;
}

const frames = (f: string, pixFmt: 'yuv420p' | 'rgb24'): Promise<Buffer[]> => decodeFrames(f, pixFmt, W, H);

function meanLuma(frame: Buffer): number {
  let sum = 0;
  for (let i = 0; i < W * H; i++) sum += frame[i]!;
  return sum / (W * H);
}

function rgb(frame: Buffer, x: number, y: number): [number, number, number] {
  const o = (y * W + x) * 3;
  return [frame[o]!, frame[o + 1]!, frame[o + 2]!];
}

const isRed = ([r, g, b]: [number, number, number]): boolean => r > 180 && g < 70 && b < 70;
const isBlack = ([r, g, b]: [number, number, number]): boolean => r < 40 && g < 40 && b < 40;

async function durations(f: string): Promise<{ format: number; video: number; audio: number | undefined }> {
  const json = await ffprobeJson(f);
  const v = json.streams?.find((s) => s.codec_type === 'video');
  const a = json.streams?.find((s) => s.codec_type === 'audio');
  return { format: Number(json.format?.duration), video: Number(v?.duration), audio: a ? Number(a.duration) : undefined };
}

/** Peak level (dBFS) of the audio between two output times. */
async function peakDb(f: string, fromSec: number, toSec: number): Promise<number> {
  const { stderr } = await run('ffmpeg', [
    '-hide_banner',
    '-nostdin',
    '-i',
    f,
    '-map',
    '0:a:0',
    '-af',
    `atrim=${fromSec}:${toSec},volumedetect`,
    '-f',
    'null',
    '-',
  ]);
  const m = /max_volume: (-?[\d.]+|-inf) dB/.exec(stderr);
  return m?.[1] === undefined || m[1] === '-inf' ? -Infinity : Number(m[1]);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'transitions-watermarks-'));
  await Promise.all([
    makeClip(file('a.mp4'), { width: W, height: H, fps: FPS, durationSec: 1, audio: true }),
    makeClip(file('b.mp4'), { width: W, height: H, fps: FPS, durationSec: 1, audio: true }),
    makeClip(file('c.mp4'), { width: 90, height: 160, fps: 30, durationSec: 1, audio: false }),
    lavfi(file('black.mp4'), `color=c=black:s=${W}x${H}:r=${FPS}:d=2`, ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']),
    lavfi(file('red.png'), 'color=c=red:s=32x18', ['-frames:v', '1', '-update', '1']),
  ]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('transitions (real ffmpeg)', () => {
  it('FADE keeps the total duration and goes through black at the join, sound faded with it', async () => {
    const sources = [await source(file('a.mp4')), await source(file('b.mp4'))];
    const out = file('fade.mp4');
    const plan = planConcat({
      sources,
      template: template({ sceneChangeInfo: { mode: 'FADE', time: 0.8 } }),
      bgm: [],
      outputPath: out,
    }) as EncodePlan;
    expect(plan.durationSec).toBe(2);
    await concat(plan);

    const d = await durations(out);
    expect(d.format).toBeCloseTo(2, 1);
    expect(d.video).toBeCloseTo(2, 1);
    expect(d.audio).toBeCloseTo(2, 1);
    const f = await frames(out, 'yuv420p');
    expect(f).toHaveLength(2 * FPS);
    // The first frame of fragment 2 is fully faded; the last of fragment 1 nearly (1 frame of 0.4 s).
    expect(meanLuma(f[FPS]!)).toBeLessThan(20);
    expect(meanLuma(f[FPS - 1]!)).toBeLessThan(40);
    // Outside the transition (0.6 .. 1.4 s) the picture is untouched.
    expect(meanLuma(f[5]!)).toBeGreaterThan(60);
    expect(meanLuma(f[45]!)).toBeGreaterThan(60);
    // Half-way through the fade-out it is in between.
    const mid = meanLuma(f[20]!);
    expect(mid).toBeGreaterThan(20);
    expect(mid).toBeLessThan(meanLuma(f[5]!));
    expect(await peakDb(out, 0.96, 1.04)).toBeLessThan(-25);
    // The tone's own level (makeClip's sine is at -18 dBFS).
    expect(await peakDb(out, 0.2, 0.4)).toBeGreaterThan(-20);
  });

  it('GRADIENT shortens the output by Time at each join: 3 x 1 s with Time 0.5 -> 2 s, a portrait 30 fps fragment without audio in the middle', async () => {
    const sources = [await source(file('a.mp4')), await source(file('c.mp4')), await source(file('b.mp4'))];
    const out = file('gradient.mp4');
    const plan = planConcat({
      sources,
      template: template({ sceneChangeInfo: { mode: 'GRADIENT', time: 0.5 } }),
      bgm: [],
      outputPath: out,
    }) as EncodePlan;
    expect(plan.durationSec).toBe(2);
    expect(plan.transition?.joins).toEqual([
      { startSec: 0.5, endSec: 1 },
      { startSec: 1, endSec: 1.5 },
    ]);
    await concat(plan);

    const d = await durations(out);
    expect(d.format).toBeCloseTo(2, 1);
    expect(d.video).toBeCloseTo(2, 1);
    expect(d.audio).toBeCloseTo(2, 1);
    expect(await frames(out, 'yuv420p')).toHaveLength(2 * FPS);
  });
});

describe('watermarks (real ffmpeg)', () => {
  const mark = (over: Partial<Watermark>): Watermark => ({ type: 'Image', pos: 'TopRight', locMode: 'Absolute', dx: 10, dy: 6, ...over });

  it('an Image mark is drawn in its box while its window lasts, and nowhere else', async () => {
    const red = await source(file('red.png'));
    const watermarks: PlanWatermark[] = [
      {
        label: 'Watermark[0]',
        watermark: mark({
          startTime: 0.5,
          endTime: 1.2,
          image: { url: 'red.png', mode: 'Original', transparency: 100, background: false },
        }),
        image: { path: red.path, label: 'red.png', probe: red.probe },
      },
    ];
    const out = file('image-mark.mp4');
    await concat(
      planConcat({
        sources: [await source(file('black.mp4'))],
        template: template({ audio: { codec: 'aac', remove: true } }),
        bgm: [],
        outputPath: out,
        watermarks,
      }),
    );

    const f = await frames(out, 'rgb24');
    expect(f).toHaveLength(2 * FPS);
    // Box: x 118..149, y 6..23 (TopRight, 10 px in from the right, 6 px down).
    const inside = [
      [120, 8],
      [133, 14],
      [147, 21],
    ] as const;
    const outside = [
      [112, 14],
      [154, 14],
      [133, 28],
      [20, 70],
      [133, 2],
    ] as const;
    for (const t of [15, 20, 29]) {
      for (const [x, y] of inside) expect(isRed(rgb(f[t]!, x, y)), `frame ${t} (${x},${y})`).toBe(true);
      for (const [x, y] of outside) expect(isBlack(rgb(f[t]!, x, y)), `frame ${t} (${x},${y})`).toBe(true);
    }
    for (const t of [0, 10, 11, 32, 49]) {
      for (const [x, y] of inside) expect(isBlack(rgb(f[t]!, x, y)), `frame ${t} (${x},${y})`).toBe(true);
    }
  });

  it('a Text mark (white, BottomLeft, Relativity) changes pixels only in its corner; the text goes through a file in a work dir with graph syntax in its name', async () => {
    const workDir = path.join(dir, "we'ird, [work]; dir:1");
    mkdirSync(workDir);
    const watermarks: PlanWatermark[] = [
      {
        label: 'Watermark[0]',
        watermark: {
          type: 'Text',
          pos: 'BottomLeft',
          locMode: 'Relativity',
          dx: 5,
          dy: 10,
          text: { text: 'Hi中文', fontSize: 20, fontType: 'arial.ttf', fontColor: '0xFFFFFF', transparency: 100 },
        },
      },
    ];
    const out = file('text-mark.mp4');
    const plan = planConcat({
      sources: [await source(file('black.mp4'))],
      template: template(),
      bgm: [],
      outputPath: out,
      workDir,
      watermarks,
    }) as EncodePlan;
    await concat(plan);

    const f = await frames(out, 'rgb24');
    let lit = 0;
    let minX = W;
    let maxY = 0;
    for (const t of [0, 25, 49]) {
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const [r, g, b] = rgb(f[t]!, x, y);
          if (r + g + b > 300) {
            lit++;
            minX = Math.min(minX, x);
            maxY = Math.max(maxY, y);
            // Only the bottom-left quarter: 8 px from the left (5 %), 9 px above the bottom (10 %).
            expect(x < W / 2 && y > H / 2, `frame ${t} lit at (${x},${y})`).toBe(true);
          }
        }
      }
    }
    expect(lit).toBeGreaterThan(3 * 40);
    expect(minX).toBeGreaterThanOrEqual(7);
    expect(maxY).toBeLessThanOrEqual(H - 9);
    // The text file is removed with the run.
    expect(readdirSync(workDir)).toEqual([]);
  });

  it('a hostile Text is drawn as text: ffmpeg accepts the graph, no injected filter paints the frame', async () => {
    const hostile = "x':fontfile=/etc/passwd,drawbox=x=0:y=0:w=iw:h=ih:c=red:t=fill;[vout]null[z] \\ %{pts}\ndrawbox=c=red";
    const watermarks: PlanWatermark[] = [
      {
        label: 'Watermark[0]',
        watermark: {
          type: 'Text',
          pos: 'TopLeft',
          locMode: 'Absolute',
          dx: 0,
          dy: 0,
          text: { text: hostile, fontSize: 5, fontType: 'arial.ttf', fontColor: '0xFFFFFF', transparency: 100 },
        },
      },
    ];
    const out = file('hostile-mark.mp4');
    await concat(planConcat({ sources: [await source(file('black.mp4'))], template: template(), bgm: [], outputPath: out, watermarks }));
    const f = await frames(out, 'rgb24');
    expect(f).toHaveLength(2 * FPS);
    // A drawbox would have filled the frame with red; the bottom half stays black, nothing is red.
    for (const t of [0, 49]) {
      for (let y = H / 2; y < H; y += 3) for (let x = 0; x < W; x += 3) expect(isBlack(rgb(f[t]!, x, y))).toBe(true);
      for (let y = 0; y < H; y += 2) for (let x = 0; x < W; x += 2) expect(isRed(rgb(f[t]!, x, y))).toBe(false);
    }
  });
});
