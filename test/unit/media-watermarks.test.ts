// Watermarks: the font table, the planned marks (position, window, opacity, size) and the exact drawtext /
// overlay filters over frozen ffprobe fixtures (a 1280x720@30 10 s clip with audio, a 200x100 PNG), and
// the safety rules: a watermark's Text never reaches the argv or the filtergraph; paths are escaped.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConcatTemplate, Watermark, WatermarkImage, WatermarkPos, WatermarkText } from '../../src/domain/concat-types.js';
import { buildConcatArgs, buildFilterGraph, filterPath } from '../../src/media/args.js';
import {
  FONT_FILES,
  FONT_TABLE,
  fontFileFor,
  LIBERATION_SANS,
  LIBERATION_SANS_BOLD,
  NOTO_SANS_CJK,
  NOTO_SANS_CJK_BOLD,
  NOTO_SERIF_CJK,
} from '../../src/media/fonts.js';
import { planConcat, type EncodePlan, type PlanBgmSource, type PlanSource, type PlanWatermark } from '../../src/media/plan.js';
import { normalizeProbe, type MediaProbe } from '../../src/media/probe.js';
import { loadProbeFixture, type ProbeFixture } from '../helpers/media.js';
import { planError } from '../helpers/plan-error.js';

const probe = (name: ProbeFixture): MediaProbe => normalizeProbe(loadProbeFixture(name));
const LAND = probe('landscape-1280x720-30fps-aac');
const MUSIC = probe('music-44100-stereo-mp3');
const LOGO = probe('logo-200x100-png');

function tpl(over: Partial<ConcatTemplate> = {}): ConcatTemplate {
  return { fragments: [], container: { format: 'mp4' }, audioMixArray: [], directConcat: false, ...over };
}

const A: PlanSource = { path: '/in/a.mp4', label: 'a.mp4', probe: LAND };

const text = (over: Partial<WatermarkText> = {}): WatermarkText => ({
  text: 'Hello',
  fontSize: 24,
  fontType: 'simhei.ttf',
  fontColor: '0xff8800',
  transparency: 50,
  ...over,
});
const image = (over: Partial<WatermarkImage> = {}): WatermarkImage => ({
  url: 'logo.png',
  mode: 'Original',
  transparency: 100,
  background: false,
  ...over,
});

function textMark(over: Partial<Watermark> = {}, t: Partial<WatermarkText> = {}): Watermark {
  return { type: 'Text', pos: 'TopLeft', locMode: 'Absolute', dx: 20, dy: 10, text: text(t), ...over };
}

function imageMark(over: Partial<Watermark> = {}, i: Partial<WatermarkImage> = {}): Watermark {
  return { type: 'Image', pos: 'TopLeft', locMode: 'Absolute', dx: 20, dy: 10, image: image(i), ...over };
}

function planWith(
  marks: Watermark[],
  over: { template?: ConcatTemplate; bgm?: PlanBgmSource[]; imageProbe?: MediaProbe; fontAvailable?: (f: string) => boolean } = {},
) {
  const watermarks: PlanWatermark[] = marks.map((watermark, i) => ({
    watermark,
    label: `Watermark[${i}]`,
    ...(watermark.type === 'Image'
      ? { image: { path: `/job/wm-${i}.png`, label: `marks/logo-${i}.png`, probe: over.imageProbe ?? LOGO } }
      : {}),
  }));
  return planConcat({
    sources: [A],
    template: over.template ?? tpl(),
    bgm: over.bgm ?? [],
    outputPath: '/job/out/out.mp4',
    workDir: '/job',
    watermarks,
    ...(over.fontAvailable ? { fontAvailable: over.fontAvailable } : {}),
  });
}

const graphOf = (marks: Watermark[], over: Parameters<typeof planWith>[1] = {}): string[] =>
  buildFilterGraph(planWith(marks, over) as EncodePlan).split(';');
/** The filters after the fragment's own (normalise video, normalise audio, concat). */
const markFilters = (marks: Watermark[], over: Parameters<typeof planWith>[1] = {}): string[] => graphOf(marks, over).slice(3);

const HEAD = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'level+warning'];
const IN_A = ['-protocol_whitelist', 'file', '-i', '/in/a.mp4'];
const V0 =
  '[0:v:0]scale=1280:720:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30,format=yuv420p[v0]';
const A0 = '[0:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=end=10[a0]';
const TAIL = [
  '-map',
  '[vout]',
  '-map',
  '[aout]',
  '-c:v',
  'libx264',
  '-profile:v',
  'high',
  '-crf',
  '25',
  '-c:a',
  'aac',
  '-ar',
  '48000',
  '-ac',
  '2',
  '-b:a',
  '128k',
  '-f',
  'mp4',
  '-movflags',
  '+faststart',
  '-progress',
  'pipe:1',
  '-nostats',
  '/job/out/out.mp4',
];
const NOTO = '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc';

describe('fonts: CI FontType -> installed font file', () => {
  it('maps every documented FontType', () => {
    expect(Object.fromEntries(Object.keys(FONT_TABLE).map((t) => [t, fontFileFor(t, 'abc')]))).toEqual({
      'simfang.ttf': NOTO_SERIF_CJK,
      'simhei.ttf': NOTO_SANS_CJK,
      'simkai.ttf': NOTO_SERIF_CJK,
      'simsun.ttc': NOTO_SERIF_CJK,
      'STHeiti-Light.ttc': NOTO_SANS_CJK,
      'STHeiti-Medium.ttc': NOTO_SANS_CJK_BOLD,
      'youyuan.TTF': NOTO_SANS_CJK,
      'ariblk.ttf': LIBERATION_SANS_BOLD,
      'arial.ttf': LIBERATION_SANS,
      'ahronbd.ttf': LIBERATION_SANS_BOLD,
      'Helvetica.dfont': LIBERATION_SANS,
      'HelveticaNeue.dfont': LIBERATION_SANS,
    });
    expect(NOTO_SANS_CJK).toBe(NOTO);
    expect(LIBERATION_SANS).toBe('/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf');
  });

  it('falls back to Noto Sans CJK: unknown type, Chinese text in a Latin face, a face not installed', () => {
    expect(fontFileFor('comic.ttf', 'abc')).toBe(NOTO_SANS_CJK);
    expect(fontFileFor('toString', 'abc')).toBe(NOTO_SANS_CJK);
    expect(fontFileFor('arial.ttf', '水印')).toBe(NOTO_SANS_CJK);
    expect(fontFileFor('ariblk.ttf', 'a水印')).toBe(NOTO_SANS_CJK_BOLD);
    expect(fontFileFor('arial.ttf', 'abc', (f) => f !== LIBERATION_SANS)).toBe(NOTO_SANS_CJK);
    expect(fontFileFor('STHeiti-Medium.ttc', 'abc', (f) => f === NOTO_SANS_CJK)).toBe(NOTO_SANS_CJK);
  });

  it('every font path is plain [A-Za-z0-9_./-]', () => {
    for (const c of Object.values(FONT_TABLE)) expect(c.file).toMatch(/^[A-Za-z0-9_./-]+$/);
  });

  it('scripts/ensure-deps.sh checks for the font files the table needs, by path', () => {
    const script = readFileSync(new URL('../../scripts/ensure-deps.sh', import.meta.url), 'utf8');
    expect(script).toContain(`[ -f ${NOTO_SANS_CJK} ] || missing+=(fonts-noto-cjk)`);
    expect(script).toContain(`[ -f ${LIBERATION_SANS} ] || missing+=(fonts-liberation)`);
    // The other faces come from the same two packages.
    for (const f of FONT_FILES) expect(f.startsWith(path.dirname(NOTO_SANS_CJK)) || f.startsWith(path.dirname(LIBERATION_SANS))).toBe(true);
  });
});

describe('planConcat: watermarks', () => {
  it('a Text mark: anchor and pixel offsets, no window, opacity, colour, font and text file', () => {
    const plan = planWith([textMark()]) as EncodePlan;
    expect(plan.watermarks).toEqual([
      {
        kind: 'text',
        label: 'Watermark[0]',
        position: { mode: 'anchor', anchor: 'TopLeft', dxPx: 20, dyPx: 10 },
        alpha: 0.5,
        text: 'Hello',
        textFile: '/job/watermark-0.txt',
        fontFile: NOTO,
        fontSize: 24,
        color: 'FF8800',
      },
    ]);
  });

  it('an Image mark: Relativity offsets in % of the output, a window, the drawn size', () => {
    const plan = planWith([
      imageMark(
        { pos: 'BottomRight', locMode: 'Relativity', dx: 10, dy: 5, startTime: 1, endTime: 4.5 },
        { mode: 'Proportion', width: 25, transparency: 30 },
      ),
    ]) as EncodePlan;
    expect(plan.watermarks).toEqual([
      {
        kind: 'image',
        label: 'Watermark[0]',
        position: { mode: 'anchor', anchor: 'BottomRight', dxPx: 128, dyPx: 36 },
        window: { startSec: 1, endSec: 4.5 },
        alpha: 0.3,
        path: '/job/wm-0.png',
        source: 'marks/logo-0.png',
        width: 320,
        height: 160,
        scale: true,
      },
    ]);
  });

  it('Dx is ignored on a centred column, Dy on a centred row', () => {
    const pos = (p: WatermarkPos) => (planWith([textMark({ pos: p })]) as EncodePlan).watermarks![0]!.position;
    expect(pos('Top')).toEqual({ mode: 'anchor', anchor: 'Top', dxPx: 0, dyPx: 10 });
    expect(pos('Left')).toEqual({ mode: 'anchor', anchor: 'Left', dxPx: 20, dyPx: 0 });
    expect(pos('Center')).toEqual({ mode: 'anchor', anchor: 'Center', dxPx: 0, dyPx: 0 });
  });

  it('image sizes: Original, Fixed both, Fixed one side (aspect kept), Proportion height, capped at 4096', () => {
    const size = (i: Partial<WatermarkImage>) => {
      const m = (planWith([imageMark({}, i)]) as EncodePlan).watermarks![0]!;
      return m.kind === 'image' ? [m.width, m.height, m.scale] : [];
    };
    expect(size({ mode: 'Original' })).toEqual([200, 100, false]);
    expect(size({ mode: 'Fixed', width: 300, height: 50 })).toEqual([300, 50, true]);
    expect(size({ mode: 'Fixed', height: 50 })).toEqual([100, 50, true]);
    expect(size({ mode: 'Fixed', width: 200 })).toEqual([200, 100, false]);
    expect(size({ mode: 'Proportion', height: 50 })).toEqual([720, 360, true]);
    expect(size({ mode: 'Proportion', width: 300, background: true })).toEqual([3840, 1920, true]);
    expect(size({ mode: 'Fixed', width: 4096, height: 8 })).toEqual([4096, 8, true]);
  });

  it('the window: EndTime past the end runs to the end; a window covering everything is no window', () => {
    const win = (w: Partial<Watermark>) => (planWith([textMark(w)]) as EncodePlan).watermarks![0]!.window;
    expect(win({ startTime: 2 })).toEqual({ startSec: 2, endSec: 10 });
    expect(win({ endTime: 3 })).toEqual({ startSec: 0, endSec: 3 });
    expect(win({ startTime: 0, endTime: 60 })).toBeUndefined();
  });

  it('refuses a window outside the output and a colour that is not 0xRRGGBB, naming the watermark', () => {
    expect(planError(() => planWith([textMark(), textMark({ startTime: 10 })]))).toMatchObject({
      code: 'InvalidArgument',
      message: 'Watermark[1]: StartTime 10 s is at or after the end of the output (10 s)',
    });
    expect(planError(() => planWith([textMark({ startTime: 3, endTime: 2 })])).message).toBe(
      'Watermark[0]: EndTime 2 s is not after StartTime 3 s',
    );
    expect(planError(() => planWith([textMark({}, { fontColor: '0xFFFFFF:x=0' })])).message).toBe(
      'Watermark[0].Text: FontColor must be 0xRRGGBB, got "0xFFFFFF:x=0"',
    );
  });

  it('refuses DirectConcat, an output without video, and an image that is not a picture', () => {
    expect(planError(() => planWith([textMark()], { template: tpl({ directConcat: true }) }))).toMatchObject({
      code: 'InvalidArgument',
      message:
        'cannot stream-copy: a Watermark needs the picture re-encoded (a stream copy cannot draw); set DirectConcat to false to draw watermarks',
    });
    expect(planError(() => planWith([textMark()], { template: tpl({ video: { codec: 'H.264', remove: true } }) }))).toMatchObject({
      code: 'InvalidArgument',
      message: 'Watermark[0]: the output has no video stream to draw a watermark on',
    });
    expect(planError(() => planWith([textMark()], { template: tpl({ container: { format: 'mp3' } }) })).code).toBe('InvalidArgument');
    expect(planError(() => planWith([imageMark()], { imageProbe: MUSIC }))).toMatchObject({
      code: 'ResourceNotSupported',
      message: 'Watermark[0]: "marks/logo-0.png" is not an image',
    });
  });

  it('ScrollFromLeft: speeds in tenths of the frame per second, Pos ignored, starting with the window', () => {
    const slide = { slideMode: 'ScrollFromLeft' as const, xSlideSpeed: 2, ySlideSpeed: 1 };
    const m = (planWith([textMark({ pos: 'BottomRight', slideConfig: slide, startTime: 2 })]) as EncodePlan).watermarks![0]!;
    expect(m.position).toEqual({ mode: 'scroll', xPxPerSec: 256, yPxPerSec: 72, fromSec: 2 });
  });
});

describe('buildConcatArgs: watermarks', () => {
  it('one Text mark: the whole argv; drawtext after the concat, reading its text from a file', () => {
    expect(buildConcatArgs(planWith([textMark()]))).toEqual([
      ...HEAD,
      ...IN_A,
      '-filter_complex',
      [
        V0,
        A0,
        '[v0][a0]concat=n=1:v=1:a=1[vjoin][aout]',
        '[vjoin]drawtext=fontfile=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc:textfile=/job/watermark-0.txt:expansion=none:fontsize=24:fontcolor=0xFF8800:alpha=0.5:x=20:y=10[vout]',
      ].join(';'),
      ...TAIL,
    ]);
  });

  it('one Image mark: the whole argv; the image is its own -i, local files only', () => {
    expect(buildConcatArgs(planWith([imageMark({ pos: 'TopRight' })]))).toEqual([
      ...HEAD,
      ...IN_A,
      '-protocol_whitelist',
      'file',
      '-i',
      '/job/wm-0.png',
      '-filter_complex',
      [V0, A0, '[v0][a0]concat=n=1:v=1:a=1[vjoin][aout]', '[1:v:0]format=rgba[wmimg0]', '[vjoin][wmimg0]overlay=x=W-w-20:y=10[vout]'].join(
        ';',
      ),
      ...TAIL,
    ]);
  });

  const ANCHORS: [WatermarkPos, string, string][] = [
    ['TopLeft', '128', '72'],
    ['Top', '(w-tw)/2', '72'],
    ['TopRight', 'w-tw-128', '72'],
    ['Left', '128', '(h-th)/2'],
    ['Center', '(w-tw)/2', '(h-th)/2'],
    ['Right', 'w-tw-128', '(h-th)/2'],
    ['BottomLeft', '128', 'h-th-72'],
    ['Bottom', '(w-tw)/2', 'h-th-72'],
    ['BottomRight', 'w-tw-128', 'h-th-72'],
  ];
  it.each(ANCHORS)('Text at %s, Relativity 10 percent: x=%s y=%s', (pos, x, y) => {
    expect(markFilters([textMark({ pos, locMode: 'Relativity', dx: 10, dy: 10 }, { transparency: 100, fontColor: '0xFFFFFF' })])).toEqual([
      `[vjoin]drawtext=fontfile=${NOTO}:textfile=/job/watermark-0.txt:expansion=none:fontsize=24:fontcolor=0xFFFFFF:alpha=1:x=${x}:y=${y}[vout]`,
    ]);
  });

  const IMAGE_ANCHORS: [WatermarkPos, string, string][] = [
    ['TopLeft', '20', '10'],
    ['Top', '(W-w)/2', '10'],
    ['TopRight', 'W-w-20', '10'],
    ['Left', '20', '(H-h)/2'],
    ['Center', '(W-w)/2', '(H-h)/2'],
    ['Right', 'W-w-20', '(H-h)/2'],
    ['BottomLeft', '20', 'H-h-10'],
    ['Bottom', '(W-w)/2', 'H-h-10'],
    ['BottomRight', 'W-w-20', 'H-h-10'],
  ];
  it.each(IMAGE_ANCHORS)('Image at %s, Absolute 20/10 px: x=%s y=%s', (pos, x, y) => {
    expect(markFilters([imageMark({ pos })])).toEqual(['[1:v:0]format=rgba[wmimg0]', `[vjoin][wmimg0]overlay=x=${x}:y=${y}[vout]`]);
  });

  it('Image Fixed size and Transparency: scaled, then its alpha multiplied', () => {
    expect(markFilters([imageMark({ pos: 'BottomLeft' }, { mode: 'Fixed', width: 64, transparency: 40 })])).toEqual([
      '[1:v:0]format=rgba,scale=64:32,colorchannelmixer=aa=0.4[wmimg0]',
      '[vjoin][wmimg0]overlay=x=20:y=H-h-10[vout]',
    ]);
  });

  it('a Background image: larger than the frame, negative offsets move it outward', () => {
    expect(
      markFilters([
        imageMark(
          { pos: 'BottomRight', locMode: 'Relativity', dx: -10, dy: -20 },
          { mode: 'Proportion', width: 120, background: true, transparency: 20 },
        ),
      ]),
    ).toEqual(['[1:v:0]format=rgba,scale=1536:768,colorchannelmixer=aa=0.2[wmimg0]', '[vjoin][wmimg0]overlay=x=W-w+128:y=H-h+144[vout]']);
    expect(markFilters([imageMark({ pos: 'TopLeft', dx: -30, dy: -4 }, { background: true })])).toEqual([
      '[1:v:0]format=rgba[wmimg0]',
      '[vjoin][wmimg0]overlay=x=-30:y=-4[vout]',
    ]);
  });

  it('a time window is enable=between(t,start,end), quoted for the graph', () => {
    expect(markFilters([textMark({ startTime: 1.5, endTime: 4 })])).toEqual([
      `[vjoin]drawtext=fontfile=${NOTO}:textfile=/job/watermark-0.txt:expansion=none:fontsize=24:fontcolor=0xFF8800:alpha=0.5:x=20:y=10:enable='between(t,1.5,4)'[vout]`,
    ]);
    expect(markFilters([imageMark({ startTime: 2 })])).toEqual([
      '[1:v:0]format=rgba[wmimg0]',
      "[vjoin][wmimg0]overlay=x=20:y=10:enable='between(t,2,10)'[vout]",
    ]);
  });

  it('ScrollFromLeft: x wraps from just left of the frame; y wraps downward; both quoted', () => {
    const slide = (x: number, y: number) => ({ slideMode: 'ScrollFromLeft' as const, xSlideSpeed: x, ySlideSpeed: y });
    expect(markFilters([textMark({ slideConfig: slide(2, 0) })])).toEqual([
      `[vjoin]drawtext=fontfile=${NOTO}:textfile=/job/watermark-0.txt:expansion=none:fontsize=24:fontcolor=0xFF8800:alpha=0.5:x='mod(t*256,w+tw)-tw':y=0[vout]`,
    ]);
    expect(markFilters([imageMark({ slideConfig: slide(1, 1), startTime: 2, endTime: 6 })])).toEqual([
      '[1:v:0]format=rgba[wmimg0]',
      "[vjoin][wmimg0]overlay=x='mod((t-2)*128,W+w)-w':y='mod((t-2)*72,H)':enable='between(t,2,6)'[vout]",
    ]);
  });

  it('three marks are drawn in order; image inputs follow the background audio inputs', () => {
    const bgm: PlanBgmSource[] = [{ path: '/in/bgm.mp3', label: 'bgm.mp3', probe: MUSIC }];
    const template = tpl({ audioMix: { audioSource: 'bgm.mp3', mixMode: 'Once', replace: true } });
    const argv = buildConcatArgs(
      planWith([textMark(), imageMark({ pos: 'Center' }), textMark({ pos: 'Bottom' }, { fontType: 'arial.ttf' })], { template, bgm }),
    );
    expect(argv.slice(0, 18)).toEqual([
      ...HEAD,
      ...IN_A,
      '-protocol_whitelist',
      'file',
      '-i',
      '/in/bgm.mp3',
      '-protocol_whitelist',
      'file',
      '-i',
      '/job/wm-1.png',
      '-filter_complex',
    ]);
    expect(argv[18]!.split(';')).toEqual([
      V0,
      '[v0]concat=n=1:v=1:a=0[vjoin]',
      '[1:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=duration=10[aout]',
      `[vjoin]drawtext=fontfile=${NOTO}:textfile=/job/watermark-0.txt:expansion=none:fontsize=24:fontcolor=0xFF8800:alpha=0.5:x=20:y=10[wm0]`,
      '[2:v:0]format=rgba[wmimg1]',
      '[wm0][wmimg1]overlay=x=(W-w)/2:y=(H-h)/2[wm1]',
      '[wm1]drawtext=fontfile=/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf:textfile=/job/watermark-2.txt:expansion=none:fontsize=24:fontcolor=0xFF8800:alpha=0.5:x=(w-tw)/2:y=h-th-10[vout]',
    ]);
  });

  it('after a GRADIENT: the marks are drawn on the dissolved result, timed on the shortened output', () => {
    const plan = planConcat({
      sources: [A, { ...A, path: '/in/b.mp4', label: 'b.mp4' }],
      template: tpl({ sceneChangeInfo: { mode: 'GRADIENT', time: 2 }, audio: { codec: 'aac', remove: true } }),
      bgm: [],
      outputPath: '/job/out/out.mp4',
      workDir: '/job',
      watermarks: [{ label: 'Watermark[0]', watermark: textMark({ startTime: 15 }) }],
    }) as EncodePlan;
    expect(plan.durationSec).toBe(18);
    expect(buildFilterGraph(plan).split(';').slice(2)).toEqual([
      '[v0][v1]xfade=transition=fade:duration=2:offset=8,format=yuv420p[vjoin]',
      `[vjoin]drawtext=fontfile=${NOTO}:textfile=/job/watermark-0.txt:expansion=none:fontsize=24:fontcolor=0xFF8800:alpha=0.5:x=20:y=10:enable='between(t,15,18)'[vout]`,
    ]);
  });
});

describe('user strings stay out of the filtergraph: watermarks', () => {
  const HOSTILE = "x':fontfile=/etc/passwd,drawbox=x=0:y=0:w=iw:h=ih:c=red;[vout]null[z] \\ %{pts} %{eif:1:d}\ndrawtext=text=pwned";

  it('a hostile Text goes to the text file only: no argv element and no graph filter holds any of it', () => {
    const plan = planWith([textMark({}, { text: HOSTILE, fontType: "arial.ttf':x=1" })]) as EncodePlan;
    const m = plan.watermarks![0]!;
    expect(m).toMatchObject({ kind: 'text', text: HOSTILE, textFile: '/job/watermark-0.txt', fontFile: NOTO });
    const argv = buildConcatArgs(plan);
    for (const a of argv) {
      for (const piece of ['passwd', 'drawbox', 'pwned', '%{', 'null[z]', 'c=red', "x':"]) expect(a).not.toContain(piece);
    }
    const graph = argv[argv.indexOf('-filter_complex') + 1]!;
    // Exactly the filters we wrote, in order, and nothing outside a small alphabet.
    expect(graph.split(';').map((f) => /^(?:\[[^\]]+\])*([a-z_]+)/.exec(f)?.[1])).toEqual(['scale', 'aresample', 'concat', 'drawtext']);
    expect(graph.split(';')[3]).toBe(
      `[vjoin]drawtext=fontfile=${NOTO}:textfile=/job/watermark-0.txt:expansion=none:fontsize=24:fontcolor=0xFF8800:alpha=0.5:x=20:y=10[vout]`,
    );
    expect(graph).toMatch(/^[\w\s[\]:;=,.()/*+'-]+$/);
    expect(argv.filter((a) => a.startsWith('-')).every((a) => /^-[a-z_:]+$|^-1$/.test(a))).toBe(true);
  });

  it('a work dir with graph syntax in its name is escaped at both levels of the graph syntax', () => {
    expect(filterPath('/data/jobs/job-1/watermark-0.txt')).toBe('/data/jobs/job-1/watermark-0.txt');
    expect(filterPath("/tmp/we'ird dir, [x]; y:z/t.txt")).toBe(String.raw`\'/tmp/we\'\\\'\'ird dir\, \[x\]\; y:z/t.txt\'`);
    const plan = planConcat({
      sources: [A],
      template: tpl(),
      bgm: [],
      outputPath: '/o/o.mp4',
      workDir: '/d/a,b;[c]',
      watermarks: [{ label: 'Watermark[0]', watermark: textMark() }],
    });
    // Four filters: the escaped ';' does not end one.
    expect(buildFilterGraph(plan as EncodePlan).split(/(?<!\\);/).length).toBe(4);
    expect(buildFilterGraph(plan as EncodePlan)).toContain(String.raw`textfile=\'/d/a\,b\;\[c\]/watermark-0.txt\':`);
  });
});
