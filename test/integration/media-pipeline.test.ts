// Real ffmpeg runs through probeFile -> planConcat -> concat on tiny lavfi clips, checked with ffprobe.
// The builders' specs (test/unit/media-*.test.ts) cover the combinations; these prove the pipeline.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConcatTemplate } from '../../src/domain/concat-types.js';
import { MediaPlanError, MediaProcessError } from '../../src/media/errors.js';
import { concat, probeFile, runFfmpeg } from '../../src/media/ffmpeg.js';
import { planConcat, type PlanSource } from '../../src/media/plan.js';
import { normalizeProbe } from '../../src/media/probe.js';
import { ffprobeJson, makeClip, maxVolumeDb } from '../helpers/media.js';

let dir: string;
const clip = (name: string): string => path.join(dir, name);

function template(over: Partial<ConcatTemplate> = {}): ConcatTemplate {
  return { fragments: [], container: { format: 'mp4' }, audioMixArray: [], directConcat: false, ...over };
}

async function source(file: string): Promise<PlanSource> {
  return { path: file, label: path.basename(file), probe: normalizeProbe(await probeFile(file)) };
}

function streamsOf(json: Awaited<ReturnType<typeof ffprobeJson>>, type: string) {
  return (json.streams ?? []).filter((s) => s.codec_type === type);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'media-pipeline-'));
  await Promise.all([
    makeClip(clip('land.mp4'), { width: 192, height: 108, fps: 30, durationSec: 1, audio: true, sampleRate: 48000, channels: 2 }),
    makeClip(clip('port.mp4'), { width: 90, height: 160, fps: 25, durationSec: 1, audio: true, sampleRate: 44100 }),
    makeClip(clip('mute.mp4'), { width: 160, height: 90, fps: 25, durationSec: 1, audio: false }),
    makeClip(clip('same.mp4'), { width: 160, height: 90, fps: 25, durationSec: 1, audio: true }),
    makeClip(clip('silent-bgm.mp3'), { video: false, durationSec: 0.6, audio: true, frequency: 0, sampleRate: 44100 }),
  ]);
  writeFileSync(clip('notes.txt'), 'not a video\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('media pipeline (real ffmpeg)', () => {
  it('joins landscape, portrait and a clip without audio into one output of the requested size', async () => {
    const sources = [await source(clip('land.mp4')), await source(clip('port.mp4')), await source(clip('mute.mp4'))];
    const out = clip('mixed.mp4');
    const plan = planConcat({
      sources,
      template: template({ video: { codec: 'H.264', width: 160, height: 90, remove: false } }),
      bgm: [],
      outputPath: out,
    });
    const progress: number[] = [];
    await concat(plan, { onProgress: (p) => progress.push(p) });

    const json = await ffprobeJson(out);
    const [v] = streamsOf(json, 'video');
    const [a] = streamsOf(json, 'audio');
    expect([v?.codec_name, v?.width, v?.height, v?.pix_fmt]).toEqual(['h264', 160, 90, 'yuv420p']);
    expect(a?.codec_name).toBe('aac');
    expect(Number(json.format?.duration)).toBeCloseTo(3, 1);
    expect(Number(a?.duration)).toBeCloseTo(3, 1);
    expect(progress.at(-1)).toBe(100);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
  });

  it('writes hls as a playlist with relative segment names next to it', async () => {
    const sources = [await source(clip('same.mp4')), await source(clip('same.mp4'))];
    const out = path.join(dir, 'hls', 'play.m3u8');
    await concat(planConcat({ sources, template: template({ container: { format: 'hls' } }), bgm: [], outputPath: out }));

    const playlist = readFileSync(out, 'utf8');
    const segments = playlist.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(segments.length).toBeGreaterThan(0);
    for (const s of segments) expect(s).toMatch(/^play-\d{5}\.ts$/);
    expect(readdirSync(path.dirname(out)).sort()).toEqual(['play.m3u8', ...segments].sort());
    expect(playlist).toContain('#EXT-X-ENDLIST');
  });

  it('stream-copies identical clips and refuses a mismatched pair with the difference', async () => {
    const same = await source(clip('same.mp4'));
    const out = clip('copy.mp4');
    const plan = planConcat({
      sources: [same, { ...same, label: 'again.mp4' }],
      template: template({ directConcat: true }),
      bgm: [],
      outputPath: out,
    });
    expect(plan.kind).toBe('copy');
    await concat(plan);

    const json = await ffprobeJson(out);
    expect(streamsOf(json, 'video').map((s) => [s.codec_name, s.width, s.height])).toEqual([['h264', 160, 90]]);
    expect(streamsOf(json, 'audio').map((s) => s.codec_name)).toEqual(['aac']);
    expect(Number(json.format?.duration)).toBeCloseTo(2, 1);
    expect(readdirSync(dir).filter((f) => f.endsWith('.concat.txt'))).toEqual([]);

    const land = await source(clip('land.mp4'));
    expect(() =>
      planConcat({ sources: [same, land], template: template({ directConcat: true }), bgm: [], outputPath: clip('x.mp4') }),
    ).toThrow(
      new MediaPlanError(
        'InvalidArgument',
        'cannot stream-copy: "land.mp4" has video 192x108 but "same.mp4" has 160x90; set DirectConcat to false to re-encode',
      ),
    );
  });

  it("replaces the fragments' audio with background audio, padded to the video length", async () => {
    const sources = [await source(clip('same.mp4'))];
    const bgm = [{ path: clip('silent-bgm.mp3'), label: 'silent-bgm.mp3', probe: normalizeProbe(await probeFile(clip('silent-bgm.mp3'))) }];
    const out = clip('bgm.mp4');
    const t = template({ audioMix: { audioSource: 'silent-bgm.mp3', mixMode: 'Once', replace: true } });
    await concat(planConcat({ sources, template: t, bgm, outputPath: out }));

    const json = await ffprobeJson(out);
    const [a] = streamsOf(json, 'audio');
    expect(Number(a?.duration)).toBeCloseTo(1, 1);
    // The fragment's 440 Hz tone is gone: only the (silent) background is left.
    expect(await maxVolumeDb(out)).toBeLessThan(-60);
  });

  it('stops ffmpeg at the time limit (JobTimeout) and on abort (Canceled)', async () => {
    const endless = [
      '-hide_banner',
      '-nostdin',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=160x90:rate=25',
      '-f',
      'null',
      '-progress',
      'pipe:1',
      '-nostats',
      '-',
    ];
    const started = Date.now();
    await expect(runFfmpeg(endless, { expectedDurationSec: 10, timeoutMs: 300 })).rejects.toMatchObject({
      name: 'MediaProcessError',
      code: 'JobTimeout',
    });
    expect(Date.now() - started).toBeLessThan(5_000);

    // Through the verb too: a real plan with a limit far below what ffmpeg needs.
    const plan = planConcat({ sources: [await source(clip('same.mp4'))], template: template(), bgm: [], outputPath: clip('late.mp4') });
    await expect(concat(plan, { timeoutMs: 1 })).rejects.toMatchObject({ code: 'JobTimeout' });

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    await expect(runFfmpeg(endless, { expectedDurationSec: 10, timeoutMs: 60_000, signal: controller.signal })).rejects.toMatchObject({
      code: 'Canceled',
    });
  });

  it('refuses a file that is not media with ResourceNotSupported', async () => {
    const err = await probeFile(clip('notes.txt')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaProcessError);
    expect(err).toMatchObject({ code: 'ResourceNotSupported' });
    expect((err as Error).message).toMatch(/^"notes\.txt" is not a media file ffprobe can read/);
  });
});
