// Filtergraph and argv safety of the media builders, and ffmpeg's local-only inputs:
//  * a hostile path (filtergraph syntax, option syntax, quotes, a leading dash) changes nothing in the
//    argument list but the one element that names the file: the filtergraph and every option are the
//    same as for a plain path (checked over fixed and seeded random strings);
//  * real ffmpeg joins files with such names correctly;
//  * ffprobe and ffmpeg never fetch what an input refers to over the network (an HLS playlist or an
//    ffconcat file pointing at an HTTP server here): the server sees no request.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConcatTemplate } from '../../src/domain/concat-types.js';
import { buildConcatArgs, buildConcatListFile, buildCopyAudioArgs, buildCopyPictureArgs } from '../../src/media/args.js';
import { concat, probeFile, runFfmpeg } from '../../src/media/ffmpeg.js';
import { planConcat, type PlanBgmSource, type PlanSource } from '../../src/media/plan.js';
import { normalizeProbe, type MediaProbe } from '../../src/media/probe.js';
import { ffprobeJson, loadProbeFixture, makeClip } from '../helpers/media.js';
import { prng } from '../helpers/fuzz.js';

const LAND = normalizeProbe(loadProbeFixture('landscape-1280x720-30fps-aac'));
const PORT = normalizeProbe(loadProbeFixture('portrait-720x1280-25fps-aac'));
const MUSIC = normalizeProbe(loadProbeFixture('music-44100-stereo-mp3'));

const HOSTILE = [
  '/in/a.mp4[0:v];movie=/etc/passwd[x];[x]',
  '-f lavfi -i sine',
  "/in/x';file '/etc/passwd",
  '/in/a:b\\c,d[e]f;g\'h"i',
  '/in/%d %s $(id) `id` ${HOME}.mp4',
  '/in/=-filter_complex=nullsrc',
  '/in/ -y -i /dev/zero',
];

const ALPHABET = '[];,:=\'"\\-% $`{}()|&<>!?*#@^~\t/.abcXYZ019腾';
function randomHostile(rand: () => number): string {
  const len = 1 + Math.floor(rand() * 40);
  let s = rand() < 0.3 ? '-' : '/in/';
  for (let i = 0; i < len; i++) s += ALPHABET.charAt(Math.floor(rand() * ALPHABET.length));
  return `${s}.mp4`;
}

function template(over: Partial<ConcatTemplate> = {}): ConcatTemplate {
  return { fragments: [], container: { format: 'mp4' }, audioMixArray: [], directConcat: false, ...over };
}

const withMusic = template({ audioMixArray: [{ audioSource: 'bgm.mp3', mixMode: 'Repeat', replace: false }] });

/**
 * The argv with each occurrence of a path (as a whole element, maybe ./-prefixed) replaced by a token;
 * the stream copy's list file and its picture and sound parts, named after the output, are one element each in
 * the work dir too.
 */
function tokenized(argv: string[], paths: string[]): string[] {
  return argv.map((a) => {
    const i = paths.findIndex((p) => a === p || a === `./${p}`);
    if (i !== -1) return `<path${i}>`;
    if (!a.startsWith('/jobdir/')) return a;
    return a.endsWith('.concat.txt') ? '<list>' : a.endsWith('.picture.mp4') ? '<picture>' : a.endsWith('.audio.mp4') ? '<sound>' : a;
  });
}

/** Every ffmpeg run of the job, one after the other (a hybrid copy: its picture, its sound, then their mux). */
function argvFor(paths: string[], tpl: ConcatTemplate, probes: MediaProbe[] = [LAND, PORT]): string[] {
  const sources: PlanSource[] = probes.map((probe, i) => ({ path: paths[i]!, label: paths[i]!, probe }));
  const bgm: PlanBgmSource[] = tpl.audioMixArray.length > 0 ? [{ path: paths[probes.length]!, label: 'bgm', probe: MUSIC }] : [];
  const plan = planConcat({ sources, template: tpl, bgm, outputPath: paths[probes.length + 1]!, workDir: '/jobdir' });
  const parts =
    plan.kind === 'copy' && plan.parts && plan.audioEncode
      ? [...buildCopyPictureArgs(plan, plan.parts), ...buildCopyAudioArgs(plan, plan.audioEncode, plan.parts)]
      : [];
  return [...parts, ...buildConcatArgs(plan)];
}

describe('hostile paths in the ffmpeg argv', () => {
  const plain = ['/in/p0.mp4', '/in/p1.mp4', '/in/p2.mp3', '/out/p3.mp4'];

  it.each([
    ['encode', template()],
    ['encode with background music', withMusic],
    ['stream copy', template({ directConcat: true })],
  ])('%s: only the path elements differ, the filtergraph and options are identical', (_kind, tpl) => {
    const probes = tpl.directConcat ? [LAND, LAND] : [LAND, PORT];
    const expected = tokenized(argvFor(plain, tpl, probes), plain);
    const rand = prng(20240607);
    const cases: string[][] = [];
    for (let i = 0; i + 3 < HOSTILE.length; i++) cases.push(HOSTILE.slice(i, i + 4));
    for (let i = 0; i < 300; i++) cases.push([randomHostile(rand), randomHostile(rand), randomHostile(rand), randomHostile(rand)]);
    for (const paths of cases) {
      if (new Set(paths).size < paths.length) continue;
      const argv = argvFor(paths, tpl, probes);
      expect(tokenized(argv, paths), JSON.stringify(paths)).toEqual(expected);
      // No element other than the path elements carries any piece of a hostile path.
      const graph = argv[argv.indexOf('-filter_complex') + 1] ?? '';
      for (const p of paths) expect(graph.includes(p)).toBe(false);
    }
  });

  it('keeps -protocol_whitelist file before every input', () => {
    for (const tpl of [template(), withMusic, template({ directConcat: true })]) {
      const argv = argvFor(HOSTILE.slice(0, 4), tpl, tpl.directConcat ? [LAND, LAND] : [LAND, PORT]);
      const inputs = argv.flatMap((a, i) => (a === '-i' ? [i] : []));
      expect(inputs.length).toBeGreaterThan(0);
      for (const i of inputs) expect(argv.slice(i - 2, i)).toEqual(['-protocol_whitelist', 'file']);
    }
  });

  it('writes hostile paths into a concat list as one quoted entry each, and refuses line breaks', () => {
    const list = buildConcatListFile([{ path: "/in/x';file '/etc/passwd" }, { path: '/in/plain.mp4' }]);
    expect(list).toBe("ffconcat version 1.0\nfile '/in/x'\\'';file '\\''/etc/passwd'\nfile '/in/plain.mp4'\n");
    expect(list.split('\n').filter((l) => l.startsWith('file '))).toHaveLength(2);
    expect(() => buildConcatListFile([{ path: "/in/a.mp4\nfile '/etc/passwd'" }])).toThrow(/line break/);
  });
});

describe('real ffmpeg with hostile file names and remote references', () => {
  let dir: string;
  let server: Server;
  let hits = 0;
  let base = '';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'media-safety-'));
    server = createServer((_req, res) => {
      hits++;
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('joins files whose names are filtergraph and option syntax', async () => {
    const a = await makeClip(path.join(dir, "a[0:v];movie=x[y],'q'.mp4"), { durationSec: 1, audio: true });
    const b = await makeClip(path.join(dir, 'b -i x -f lavfi:%d.mp4'), { durationSec: 1, audio: true, width: 90, height: 160 });
    const sources: PlanSource[] = [];
    for (const file of [a, b]) sources.push({ path: file, label: path.basename(file), probe: normalizeProbe(await probeFile(file)) });
    const out = path.join(dir, 'out.mp4');
    await concat(planConcat({ sources, template: template(), bgm: [], outputPath: out, workDir: dir }));
    const probe = await ffprobeJson(out);
    expect(Number(probe.format?.duration)).toBeGreaterThan(1.8);
    expect(Number(probe.format?.duration)).toBeLessThan(2.3);
  });

  it('never fetches what a playlist or ffconcat input refers to', async () => {
    const m3u8 = path.join(dir, 'remote.m3u8');
    await writeFile(m3u8, `#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n${base}/seg.ts\n#EXT-X-ENDLIST\n`);
    const ffconcat = path.join(dir, 'remote.ffconcat');
    await writeFile(ffconcat, `ffconcat version 1.0\nfile '${base}/a.mp4'\n`);
    await expect(probeFile(m3u8)).rejects.toMatchObject({ code: 'ResourceNotSupported' });
    await expect(probeFile(ffconcat)).rejects.toMatchObject({ code: 'ResourceNotSupported' });
    // The same files handed to the encoder as if they were fragments.
    const plan = planConcat({
      sources: [m3u8, ffconcat].map((p) => ({ path: p, label: path.basename(p), probe: LAND })),
      template: template(),
      bgm: [],
      outputPath: path.join(dir, 'never.mp4'),
      workDir: dir,
    });
    await expect(runFfmpeg(buildConcatArgs(plan), { expectedDurationSec: 2, timeoutMs: 20_000 })).rejects.toBeDefined();
    expect(hits).toBe(0);
  });
});
