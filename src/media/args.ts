// plan -> ffmpeg argv: the argument list and filtergraph of a Concat job, and the concat demuxer list of
// a stream copy. Pure. User strings (paths) only ever travel as whole argv elements or quoted list-file
// entries; the filtergraph holds nothing but numbers, fixed filter names, our own pad labels and file
// paths the engine made (font table, job work dir), escaped. A watermark's Text is never in it: drawtext
// reads it from a file (textfile=, expansion=none).
import type {
  AudioOutputPlan,
  BgmPlan,
  ConcatPlan,
  ContainerPlan,
  CopyPlan,
  EncodePlan,
  EncodeSegment,
  TransitionPlan,
  VideoOutputPlan,
} from './plan.js';
import type { EncodePiece, SmartCutPiece } from './smart-cut.js';
import type { WatermarkPlan, WatermarkPosition } from './watermarks.js';
import { segmentSpans } from './split.js';

/** Every run starts like this: no banner, never read stdin, overwrite, and level-tagged warnings/errors on
 * stderr so ffmpeg.ts can tell the real error line from the noise. */
export const COMMON_ARGS: readonly string[] = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'level+warning'];

/** Machine-readable progress (key=value blocks with out_time_us) on stdout instead of the stderr status line. */
export const PROGRESS_ARGS: readonly string[] = ['-progress', 'pipe:1', '-nostats'];

/** Inputs are local files only: no network or pipe protocols, also for files an mp4 or list refers to. */
const LOCAL_ONLY: readonly string[] = ['-protocol_whitelist', 'file'];

/** A number as ffmpeg reads it: up to 6 decimals, no exponent, no trailing zeros. */
export function n(x: number): string {
  if (Math.abs(x) < 5e-7) return '0';
  return String(Number(x.toFixed(6)));
}

/**
 * A file path as a filter option value. Paths of only [A-Za-z0-9_./-] pass as they are (the engine's
 * own paths normally are); anything else gets both levels of ffmpeg's filtergraph escaping: quoted for
 * the option parser (a ' closes, is escaped, reopens), then \ ' [ ] , ; escaped for the graph parser.
 */
export function filterPath(p: string): string {
  if (/^[A-Za-z0-9_./-]+$/.test(p)) return p;
  const quoted = `'${p.replaceAll("'", "'\\''")}'`;
  return quoted.replace(/[\\'[\],;]/g, (c) => `\\${c}`);
}

/** A path starting with '-' would be read as an option. */
export function argPath(p: string): string {
  return p.startsWith('-') ? `./${p}` : p;
}

// ---------------------------------------------------------------------------------------------- filters

function rotateBefore(deg: number): string[] {
  if (deg === 90) return ['transpose=clock'];
  if (deg === 270) return ['transpose=cclock'];
  if (deg === 180) return ['hflip', 'vflip'];
  return [];
}

// Right angles turn the frame before it is fitted; any other angle turns the fitted picture inside it.
function rotateAfter(deg: number): string[] {
  return deg === 0 || deg % 90 === 0 ? [] : [`rotate=${n((deg * Math.PI) / 180)}:fillcolor=black`];
}

/** Fit a fragment's picture into the output frame (letterbox/pillarbox), square pixels, output fps and format. */
function videoNormalizeFilter(input: number, label: string, v: VideoOutputPlan, extra: string[] = []): string {
  const { width: w, height: h } = v;
  const chain = [
    ...rotateBefore(v.rotate),
    `scale=${w}:${h}:force_original_aspect_ratio=decrease:force_divisible_by=2`,
    `pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2`,
    'setsar=1',
    `fps=${v.frameRate}`,
    `format=${v.pixFmt}`,
    ...rotateAfter(v.rotate),
    ...extra,
  ];
  return `[${input}:v:0]${chain.join(',')}[${label}]`;
}

/** Black frames for a fragment without a picture. */
function blackFilter(label: string, durationSec: number, v: VideoOutputPlan, extra: string[] = []): string {
  return `${[`color=c=black:s=${v.width}x${v.height}:r=${v.frameRate}:d=${n(durationSec)}`, `format=${v.pixFmt}`, 'setsar=1', ...extra].join(',')}[${label}]`;
}

function aformat(a: AudioOutputPlan): string {
  return `aformat=sample_fmts=fltp:channel_layouts=${a.channelLayout}`;
}

/** Bring an input's first audio stream to the output rate and layout. */
function audioNormalizeFilter(input: number, label: string, a: AudioOutputPlan, extra: string[] = []): string {
  return `[${input}:a:0]${[`aresample=${a.sampleRate}`, aformat(a), ...extra].join(',')}[${label}]`;
}

/** Silence for a fragment without sound, so the audio stays in step with the pictures. */
function silenceFilter(label: string, durationSec: number, a: AudioOutputPlan, extra: string[] = []): string {
  return `${[`anullsrc=r=${a.sampleRate}:cl=${a.channelLayout}:d=${n(durationSec)}`, aformat(a), ...extra].join(',')}[${label}]`;
}

function concatFilter(inputs: string[], count: number, v: 0 | 1, a: 0 | 1, outputs: string[]): string {
  return `${inputs.map((l) => `[${l}]`).join('')}concat=n=${count}:v=${v}:a=${a}${outputs.map((l) => `[${l}]`).join('')}`;
}

/** Fades, then silence after a once-played track, then cut at the output end. */
function bgmTail(bgm: BgmPlan, outputSec: number): string[] {
  const chain: string[] = [];
  if (bgm.fadeInSec !== undefined) chain.push(`afade=t=in:st=0:d=${n(bgm.fadeInSec)}`);
  if (bgm.fadeOut) chain.push(`afade=t=out:st=${n(bgm.fadeOut.startSec)}:d=${n(bgm.fadeOut.durationSec)}`);
  if (!bgm.tracks[bgm.tracks.length - 1]?.loop) chain.push('apad');
  chain.push(`atrim=duration=${n(outputSec)}`);
  return chain;
}

/** The background track as one stream of exactly the output duration, labelled `out`. */
function bgmFilters(bgm: BgmPlan, firstInput: number, a: AudioOutputPlan, outputSec: number, out: string): string[] {
  const tail = bgmTail(bgm, outputSec);
  if (bgm.tracks.length === 1) return [audioNormalizeFilter(firstInput, out, a, tail)];
  const labels = bgm.tracks.map((_, k) => `bgm${k}`);
  const parts = bgm.tracks.map((_, k) => audioNormalizeFilter(firstInput + k, labels[k]!, a));
  const joined = labels.map((l) => `[${l}]`).join('');
  parts.push(
    bgm.crossfadeSec !== undefined
      ? `${joined}acrossfade=d=${n(bgm.crossfadeSec)}[bgmseq]`
      : `${joined}concat=n=${labels.length}:v=0:a=1[bgmseq]`,
  );
  parts.push(`[bgmseq]${tail.join(',')}[${out}]`);
  return parts;
}

/** normalize=0: the fragments' audio keeps its loudness under the music instead of being halved. */
function mixFilter(main: string, bgm: string, outputSec: number, out: string): string {
  return `[${main}][${bgm}]amix=inputs=2:duration=longest:dropout_transition=0:normalize=0,atrim=duration=${n(outputSec)}[${out}]`;
}

// ---------------------------------------------------------------------------------------------- transitions

/**
 * What a fragment's stream gets when there are transitions: first exactly its planned length from 0
 * (a source is padded with its last frame / silence, then cut), so every join falls where the plan says;
 * then, for FADE, a fade from black at its start (not the first fragment) and to black at its end (not
 * the last), each Time/2 long.
 */
function transitionTail(
  kind: 'video' | 'audio',
  generated: boolean,
  seg: EncodeSegment,
  i: number,
  count: number,
  t: TransitionPlan,
): string[] {
  const d = seg.durationSec;
  const exact = generated
    ? []
    : kind === 'video'
      ? ['tpad=stop=-1:stop_mode=clone', `trim=duration=${n(d)}`, 'setpts=PTS-STARTPTS']
      : ['apad', `atrim=duration=${n(d)}`, 'asetpts=PTS-STARTPTS'];
  if (t.mode !== 'FADE') return exact;
  const fade = kind === 'video' ? 'fade' : 'afade';
  const half = t.durationSec / 2;
  return [
    ...exact,
    ...(i > 0 ? [`${fade}=t=in:st=0:d=${n(half)}`] : []),
    ...(i < count - 1 ? [`${fade}=t=out:st=${n(d - half)}:d=${n(half)}`] : []),
  ];
}

/**
 * GRADIENT: each next fragment dissolves in over the running result, starting at its join. The format
 * pins what xfade would otherwise negotiate up to (yuv444p, which the H.264 profiles here cannot carry).
 */
function xfadeChain(inputs: string[], t: TransitionPlan, pixFmt: string, out: string): string[] {
  const parts: string[] = [];
  let acc = inputs[0]!;
  t.joins.forEach((join, k) => {
    const next = k === t.joins.length - 1 ? out : `vx${k + 1}`;
    parts.push(
      `[${acc}][${inputs[k + 1]!}]xfade=transition=fade:duration=${n(t.durationSec)}:offset=${n(join.startSec)},format=${pixFmt}[${next}]`,
    );
    acc = next;
  });
  return parts;
}

/** GRADIENT: each next fragment's sound crossfades with the end of the running result over Time. */
function acrossfadeChain(inputs: string[], t: TransitionPlan, out: string): string[] {
  const parts: string[] = [];
  let acc = inputs[0]!;
  t.joins.forEach((_, k) => {
    const next = k === t.joins.length - 1 ? out : `ax${k + 1}`;
    parts.push(`[${acc}][${inputs[k + 1]!}]acrossfade=d=${n(t.durationSec)}[${next}]`);
    acc = next;
  });
  return parts;
}

// ---------------------------------------------------------------------------------------------- watermarks

/** An expression as an option value; quoted when it holds a comma (which would end the filter). */
function expr(e: string): string {
  return e.includes(',') ? `'${e}'` : e;
}

/**
 * x and y of a mark, as expressions over the frame size (W, H) and the mark's size (w, h), named as the
 * drawing filter names them. Offsets move the mark inward from its anchor.
 */
function positionExprs(p: WatermarkPosition, names: { W: string; H: string; w: string; h: string }): { x: string; y: string } {
  const { W, H, w, h } = names;
  if (p.mode === 'scroll') {
    const t = p.fromSec > 0 ? `(t-${n(p.fromSec)})` : 't';
    return {
      x: p.xPxPerSec > 0 ? `mod(${t}*${n(p.xPxPerSec)},${W}+${w})-${w}` : '0',
      y: p.yPxPerSec > 0 ? `mod(${t}*${n(p.yPxPerSec)},${H})` : '0',
    };
  }
  // A background image's offsets are negative: they move it outward.
  const minus = (base: string, off: number): string => (off === 0 ? base : off > 0 ? `${base}-${n(off)}` : `${base}+${n(-off)}`);
  const a = p.anchor;
  const x = a.endsWith('Left') ? n(p.dxPx) : a.endsWith('Right') ? minus(`${W}-${w}`, p.dxPx) : `(${W}-${w})/2`;
  const y = a.startsWith('Top') ? n(p.dyPx) : a.startsWith('Bottom') ? minus(`${H}-${h}`, p.dyPx) : `(${H}-${h})/2`;
  return { x, y };
}

function enableOption(m: WatermarkPlan): string[] {
  return m.window ? [`enable='between(t,${n(m.window.startSec)},${n(m.window.endSec)})'`] : [];
}

/** A text mark: drawtext reads the text from the plan's file, with % expansion off. */
function textWatermarkFilter(m: Extract<WatermarkPlan, { kind: 'text' }>, from: string, to: string): string {
  const { x, y } = positionExprs(m.position, { W: 'w', H: 'h', w: 'tw', h: 'th' });
  const opts = [
    `fontfile=${filterPath(m.fontFile)}`,
    `textfile=${filterPath(m.textFile)}`,
    'expansion=none',
    `fontsize=${m.fontSize}`,
    `fontcolor=0x${m.color}`,
    `alpha=${n(m.alpha)}`,
    `x=${expr(x)}`,
    `y=${expr(y)}`,
    ...enableOption(m),
  ];
  return `[${from}]drawtext=${opts.join(':')}[${to}]`;
}

/** An image mark: the input picture sized and made translucent, then overlaid. */
function imageWatermarkFilters(m: Extract<WatermarkPlan, { kind: 'image' }>, input: number, k: number, from: string, to: string): string[] {
  const prep = [
    'format=rgba',
    ...(m.scale ? [`scale=${m.width}:${m.height}`] : []),
    ...(m.alpha < 1 ? [`colorchannelmixer=aa=${n(m.alpha)}`] : []),
  ];
  const { x, y } = positionExprs(m.position, { W: 'W', H: 'H', w: 'w', h: 'h' });
  return [
    `[${input}:v:0]${prep.join(',')}[wmimg${k}]`,
    `[${from}][wmimg${k}]overlay=${[`x=${expr(x)}`, `y=${expr(y)}`, ...enableOption(m)].join(':')}[${to}]`,
  ];
}

/** The marks drawn one over the other on `from`; the last one is labelled `to`. */
function watermarkFilters(marks: WatermarkPlan[], firstImageInput: number, from: string, to: string): string[] {
  const parts: string[] = [];
  let acc = from;
  let image = 0;
  marks.forEach((m, k) => {
    const next = k === marks.length - 1 ? to : `wm${k}`;
    if (m.kind === 'text') parts.push(textWatermarkFilter(m, acc, next));
    else parts.push(...imageWatermarkFilters(m, firstImageInput + image++, k, acc, next));
    acc = next;
  });
  return parts;
}

// ---------------------------------------------------------------------------------------------- graph

/**
 * A part of an encode plan's graph for one run of a split encode (split-args.ts); absent: the whole graph.
 * Every filter a fragment or the joined picture gets is the one-pass filter; a shape only leaves streams or
 * fragments out and adds filters around them.
 */
export interface GraphShape {
  /** The fragments the run reads, consecutive plan.segments indexes; input k is the k-th of them. */
  segments: number[];
  /** Leave out the picture or the sound (and what only it needs: watermark images, background audio). */
  video: boolean;
  audio: boolean;
  /** Filters after a fragment's own chain. */
  videoTail?: (i: number) => string[];
  audioTail?: (i: number) => string[];
  /** Output seconds at which the run's first fragment starts: GRADIENT offsets are counted from it. */
  startSec?: number;
  /** Filters on the joined picture before the watermarks, and after them. */
  beforeMarks?: string[];
  afterMarks?: string[];
}

/** The whole graph of an encode plan; outputs `[vout]` and/or `[aout]`. */
export function buildFilterGraph(plan: EncodePlan, shape?: GraphShape): string {
  const { segments: all, bgm, transition } = plan;
  const video = !shape || shape.video ? plan.video : undefined;
  const audio = !shape || shape.audio ? plan.audio : undefined;
  const picked = shape ? shape.segments : all.map((_, i) => i);
  const segments = picked.map((i) => all[i]!);
  const marks = video ? (plan.watermarks ?? []) : [];
  const count = segments.length;
  const parts: string[] = [];
  const videoLabels: string[] = [];
  const audioLabels: string[] = [];
  const concatInputs: string[] = [];
  segments.forEach((seg: EncodeSegment, k) => {
    // i: the fragment's place in the job (labels, transitions); k: its input in this run.
    const i = picked[k]!;
    if (video) {
      const generated = seg.video !== 'source';
      const tail = [
        ...(transition ? transitionTail('video', generated, seg, i, all.length, transition) : []),
        ...(shape?.videoTail?.(i) ?? []),
      ];
      parts.push(generated ? blackFilter(`v${i}`, seg.durationSec, video, tail) : videoNormalizeFilter(k, `v${i}`, video, tail));
      videoLabels.push(`v${i}`);
      concatInputs.push(`v${i}`);
    }
    if (audio && seg.audio !== 'none') {
      const generated = seg.audio !== 'source';
      const tail = [
        ...(transition ? transitionTail('audio', generated, seg, i, all.length, transition) : []),
        ...(shape?.audioTail?.(i) ?? []),
      ];
      parts.push(generated ? silenceFilter(`a${i}`, seg.durationSec, audio, tail) : audioNormalizeFilter(k, `a${i}`, audio, tail));
      audioLabels.push(`a${i}`);
      concatInputs.push(`a${i}`);
    }
  });
  const fragmentAudio = !!audio && segments.some((s) => s.audio !== 'none');
  const mixing = !!audio && !!bgm && !bgm.replace;
  const shifted = (shape?.beforeMarks ?? []).length > 0;
  const videoOut = marks.length > 0 || shifted || (shape?.afterMarks ?? []).length > 0 ? 'vjoin' : 'vout';
  const audioOut = mixing ? 'acat' : 'aout';
  // A run of one fragment has no join to dissolve: it passes through the concat filter.
  if (transition?.mode === 'GRADIENT' && segments.length > 1) {
    const joins = picked.slice(1).map((i) => transition.joins[i - 1]!);
    const from = shape?.startSec ?? 0;
    const local = { ...transition, joins: joins.map((j) => ({ startSec: j.startSec - from, endSec: j.endSec - from })) };
    if (video) parts.push(...xfadeChain(videoLabels, local, video.pixFmt, videoOut));
    if (fragmentAudio) parts.push(...acrossfadeChain(audioLabels, local, audioOut));
  } else {
    const outputs = [...(video ? [videoOut] : []), ...(fragmentAudio ? [audioOut] : [])];
    parts.push(concatFilter(concatInputs, count, video ? 1 : 0, fragmentAudio ? 1 : 0, outputs));
  }
  if (audio && bgm) {
    parts.push(...bgmFilters(bgm, count, audio, plan.durationSec, mixing ? 'bgm' : 'aout'));
    if (mixing) parts.push(mixFilter('acat', 'bgm', plan.durationSec, 'aout'));
  }
  if (video && videoOut === 'vjoin') {
    const before = shape?.beforeMarks ?? [];
    const after = shape?.afterMarks ?? [];
    if (marks.length === 0) {
      parts.push(`[vjoin]${[...before, ...after].join(',')}[vout]`);
    } else {
      let from = 'vjoin';
      if (before.length > 0) {
        parts.push(`[vjoin]${before.join(',')}[vglobal]`);
        from = 'vglobal';
      }
      parts.push(...watermarkFilters(marks, count + (audio && bgm ? bgm.tracks.length : 0), from, after.length > 0 ? 'vmarked' : 'vout'));
      if (after.length > 0) parts.push(`[vmarked]${after.join(',')}[vout]`);
    }
  }
  return parts.join(';');
}

// ---------------------------------------------------------------------------------------------- options

export function videoEncoderArgs(v: VideoOutputPlan): string[] {
  const rate = v.rate.mode === 'crf' ? ['-crf', n(v.rate.crf)] : ['-b:v', `${v.rate.kbps}k`];
  const keyframes = v.keyframeEverySec ? ['-force_key_frames', `expr:gte(t,n_forced*${n(v.keyframeEverySec)})`] : [];
  return ['-c:v', v.encoder, '-profile:v', v.profile, ...rate, ...keyframes];
}

export function audioEncoderArgs(a: AudioOutputPlan): string[] {
  return [
    '-c:a',
    a.encoder,
    '-ar',
    String(a.sampleRate),
    '-ac',
    String(a.channels),
    ...(a.bitrateKbps ? ['-b:a', `${a.bitrateKbps}k`] : []),
  ];
}

export function muxerArgs(c: ContainerPlan): string[] {
  const args = ['-f', c.muxer];
  if (c.faststart) args.push('-movflags', '+faststart');
  if (c.hls) {
    args.push('-hls_time', n(c.hls.segmentSec), '-hls_playlist_type', 'vod', '-hls_segment_filename', argPath(c.hls.segmentPattern));
  }
  return args;
}

// ---------------------------------------------------------------------------------------------- argv

/** An input file: its input options, local files only. */
export function fileInput(p: string, pre: string[] = []): string[] {
  return [...pre, ...LOCAL_ONLY, '-i', argPath(p)];
}

/**
 * Each fragment's sound cut or padded to the length its picture has on the output (split.ts segmentSpans), so
 * the next fragment starts on the frame where this one's picture ends. An AAC track decodes up to a frame
 * longer than its duration says; carried over the joins, that overhang added a picture to the output and
 * moved the later fragments' sound. Transitions cut and pad every fragment already; without a picture there
 * is nothing to follow.
 */
export function soundFollowsPicture(plan: EncodePlan): ((i: number) => string[]) | undefined {
  const fps = plan.video?.fps ?? 0;
  if (plan.transition || !(fps > 0)) return undefined;
  const spans = segmentSpans(plan);
  return (i) => ['apad', `atrim=end=${n(spans[i]!.frames / fps)}`];
}

function buildEncodeArgs(plan: EncodePlan): string[] {
  const inputs = plan.segments.flatMap((s) => fileInput(s.path, s.trim ? ['-ss', n(s.trim.startSec), '-t', n(s.trim.durationSec)] : []));
  const bgmInputs = plan.audio && plan.bgm ? plan.bgm.tracks.flatMap((t) => fileInput(t.path, t.loop ? ['-stream_loop', '-1'] : [])) : [];
  const imageInputs = plan.video ? (plan.watermarks ?? []).flatMap((m) => (m.kind === 'image' ? fileInput(m.path) : [])) : [];
  return [
    ...COMMON_ARGS,
    ...inputs,
    ...bgmInputs,
    ...imageInputs,
    '-filter_complex',
    buildFilterGraph(plan, { segments: plan.segments.map((_, i) => i), video: true, audio: true, audioTail: soundFollowsPicture(plan) }),
    ...(plan.video ? ['-map', '[vout]'] : []),
    ...(plan.audio ? ['-map', '[aout]'] : []),
    ...(plan.video ? videoEncoderArgs(plan.video) : []),
    ...(plan.audio ? audioEncoderArgs(plan.audio) : []),
    ...muxerArgs(plan.container),
    ...PROGRESS_ARGS,
    argPath(plan.outputPath),
  ];
}

/**
 * The audio of a stream copy with video: each fragment (input i) decoded, cut or padded to exactly its
 * picture's length so every join falls on the picture's join, then joined into `[aout]`. A smart-cut
 * fragment's audio is first cut to the time span of its kept frames.
 */
export function buildCopyAudioGraph(plan: CopyPlan, a: AudioOutputPlan, firstInput = 0): string {
  const labels = plan.segments.map((_, i) => `a${i}`);
  const parts = plan.segments.map((s, i) => {
    const d = n(s.videoDurationSec ?? s.durationSec);
    // A smart-cut fragment's sound starts with its first kept frame: cut on decoded samples, then restarted at 0.
    const cut = s.smartCut;
    const kept = cut
      ? [`atrim=start=${n(cut.startSec + cut.fileStartSec)}:end=${n(cut.endSec + cut.fileStartSec)}`, 'asetpts=PTS-STARTPTS']
      : [];
    return audioNormalizeFilter(firstInput + i, labels[i]!, a, [...kept, `atrim=end=${d}`, `apad=whole_dur=${d}`]);
  });
  parts.push(concatFilter(labels, labels.length, 0, 1, ['aout']));
  return parts.join(';');
}

/** The picture of a copy plan, copied through the concat demuxer; `-safe 0` because our list holds absolute paths.
 * Re-encoded smart-cut pieces bring their own parameter sets, in-band before their IDR pictures: in MP4 that is
 * the avc3 sample entry. */
function avc3Tag(plan: CopyPlan, muxer: string): string[] {
  return muxer === 'mp4' && plan.segments.some((s) => s.smartCut?.inBandParameterSets) ? ['-tag:v', 'avc3'] : [];
}

function concatDemuxerInput(plan: CopyPlan): string[] {
  return ['-f', 'concat', '-safe', '0', ...fileInput(plan.listFilePath)];
}

/** A hybrid copy's picture alone, copied into plan.parts.pictureFile (MP4). */
export function buildCopyPictureArgs(plan: CopyPlan, parts: NonNullable<CopyPlan['parts']>): string[] {
  return [
    ...COMMON_ARGS,
    ...concatDemuxerInput(plan),
    '-map',
    '0:v:0',
    '-c:v',
    'copy',
    ...avc3Tag(plan, 'mp4'),
    '-f',
    'mp4',
    argPath(parts.pictureFile),
  ];
}

/** A hybrid copy's sound alone: every fragment's audio cut or padded to its picture and encoded once, into
 * plan.parts.audioFile (MP4, which keeps the encoder's priming as an edit list through the mux). */
export function buildCopyAudioArgs(plan: CopyPlan, a: AudioOutputPlan, parts: NonNullable<CopyPlan['parts']>): string[] {
  return [
    ...COMMON_ARGS,
    ...plan.segments.flatMap((s) => fileInput(s.path)),
    '-filter_complex',
    buildCopyAudioGraph(plan, a),
    '-map',
    '[aout]',
    ...audioEncoderArgs(a),
    ...PROGRESS_ARGS,
    '-f',
    'mp4',
    argPath(parts.audioFile),
  ];
}

/**
 * A hybrid copy in one run: the picture copied through the list (input 0), each fragment's sound decoded, cut or
 * padded to its picture and encoded once, both into the output. The packets are those the parts and their mux
 * give (`buildCopyPictureArgs`, `buildCopyAudioArgs`, then the mux below), without the mux.
 */
export function buildHybridArgs(plan: CopyPlan, a: AudioOutputPlan): string[] {
  return [
    ...COMMON_ARGS,
    ...concatDemuxerInput(plan),
    ...plan.segments.flatMap((s) => fileInput(s.path)),
    '-filter_complex',
    buildCopyAudioGraph(plan, a, 1),
    ...['-map', '0:v:0', '-map', '[aout]', '-c:v', 'copy', ...avc3Tag(plan, plan.container.muxer)],
    ...audioEncoderArgs(a),
    ...muxerArgs(plan.container),
    ...PROGRESS_ARGS,
    argPath(plan.outputPath),
  ];
}

/**
 * The run that writes a copy plan's output. A hybrid copy muxes its two parts, both streams copied, each at the
 * time it has in its part (`-copyts`: a picture that starts after its sound, as in MPEG-TS fragments, keeps that
 * offset instead of both parts being moved to start at 0). From MP4 fragments the packets are those one run
 * reading the list and the fragments would write (same timestamps, sizes and hashes in MP4, MPEG-TS, FLV and
 * HLS). Otherwise every kept stream is copied from the list.
 */
function buildDirectConcatArgs(plan: CopyPlan): string[] {
  const tag = avc3Tag(plan, plan.container.muxer);
  if (plan.parts) {
    return [
      ...COMMON_ARGS,
      '-copyts',
      ...fileInput(plan.parts.pictureFile),
      ...fileInput(plan.parts.audioFile),
      ...['-map', '0:v:0', '-map', '1:a:0', '-c', 'copy', ...tag],
      ...muxerArgs(plan.container),
      ...PROGRESS_ARGS,
      argPath(plan.outputPath),
    ];
  }
  return [
    ...COMMON_ARGS,
    ...concatDemuxerInput(plan),
    ...(plan.video ? ['-map', '0:v:0'] : []),
    ...(plan.audio ? ['-map', '0:a:0'] : []),
    '-c',
    'copy',
    ...tag,
    ...muxerArgs(plan.container),
    ...PROGRESS_ARGS,
    argPath(plan.outputPath),
  ];
}

export function buildConcatArgs(plan: ConcatPlan): string[] {
  switch (plan.kind) {
    case 'encode':
      return buildEncodeArgs(plan);
    case 'copy':
      return buildDirectConcatArgs(plan);
  }
}

/** A smart-cut piece in a concat list: a re-encoded piece's own file, or the copied GOPs straight from the source. */
export function pieceListEntry(p: SmartCutPiece): ConcatListEntry {
  if (p.kind === 'encode') return { path: p.outputPath, durationSec: p.durationSec };
  return {
    path: p.source,
    inpointSec: p.inpointSec,
    ...(p.outpointSec !== undefined ? { outpointSec: p.outpointSec } : {}),
    durationSec: p.durationSec,
  };
}

/** The concat list of a copy plan: each fragment's file with its picture's length, or for a smart-cut
 * fragment each of its pieces with theirs. */
export function copyListEntries(plan: CopyPlan): ConcatListEntry[] {
  return plan.segments.flatMap((s): ConcatListEntry[] =>
    s.smartCut
      ? s.smartCut.pieces.map(pieceListEntry)
      : [{ path: s.path, ...(s.videoDurationSec !== undefined ? { durationSec: s.videoDurationSec } : {}) }],
  );
}

export interface ConcatListEntry {
  path: string;
  /** Read from here (`inpoint`: the demuxer seeks to the keyframe at or before it) and stop before the first
   * packet decoded at or after `outpoint`; stream timestamps in seconds. */
  inpointSec?: number;
  outpointSec?: number;
  /** Where the next file starts, relative to this one's start (the `duration` directive); without it the
   * demuxer uses the file's own length, which MP4 rounds to the millisecond and stretches to its audio. */
  durationSec?: number;
}

/** A concat demuxer list: each path single-quoted, a `'` written as `'\''` (close, escaped quote, reopen).
 * `stream`: declare one output stream, the one with this container id in every file. */
export function buildConcatListFile(entries: readonly ConcatListEntry[], stream?: { exactStreamId: number }): string {
  const head = stream ? ['stream', `exact_stream_id ${stream.exactStreamId}`] : [];
  const lines = entries.flatMap(({ path: p, inpointSec, outpointSec, durationSec }) => {
    if (/[\r\n]/.test(p)) throw new Error(`a concat list entry cannot contain a line break: ${JSON.stringify(p)}`);
    return [
      `file '${p.replaceAll("'", "'\\''")}'`,
      ...(inpointSec !== undefined ? [`inpoint ${n(inpointSec)}`] : []),
      ...(outpointSec !== undefined ? [`outpoint ${n(outpointSec)}`] : []),
      ...(durationSec !== undefined ? [`duration ${n(durationSec)}`] : []),
    ];
  });
  return ['ffconcat version 1.0', ...head, ...lines, ''].join('\n');
}

// ---------------------------------------------------------------------------------------------- smart-cut

/**
 * One re-encoded smart-cut piece as an MP4 of the picture alone, in the source's timescale and track id.
 * Decoding starts half a frame early so the first kept picture is the first one after the seek; the
 * timestamps restart at 0 and pass through unchanged (no frame dropped or repeated unless the piece holds its
 * first picture), and `-frames:v` stops on the last kept picture. x264's fastest preset at a low CRF
 * (smart-cut.ts): a few frames, where quality comes from the CRF and speed from the preset.
 */
export function buildSmartCutPieceArgs(piece: EncodePiece): string[] {
  const trackId = piece.trackId !== undefined ? ['-streamid', `0:${piece.trackId}`, '-use_stream_ids_as_track_ids', '1'] : [];
  const e = piece.encoder;
  const colour = [
    ...(e.colorPrimaries ? ['-color_primaries', e.colorPrimaries] : []),
    ...(e.colorTransfer ? ['-color_trc', e.colorTransfer] : []),
    ...(e.colorSpace ? ['-colorspace', e.colorSpace] : []),
    ...(e.colorRange ? ['-color_range', e.colorRange] : []),
  ];
  return [
    ...COMMON_ARGS,
    ...fileInput(piece.source, ['-ss', n(Math.max(0, piece.startSec - piece.frameSec / 2))]),
    ...['-map', '0:v:0', '-vf', ['setpts=PTS-STARTPTS', ...(piece.holdFirst ? ['tpad=start=1:start_mode=clone'] : [])].join(',')],
    ...['-fps_mode', 'passthrough', '-frames:v', String(piece.frameCount)],
    ...[
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-profile:v',
      e.profile,
      '-level:v',
      e.level,
      '-pix_fmt',
      e.pixFmt,
      '-bf',
      String(e.bFrames),
    ],
    ...['-crf', n(e.crf), '-x264-params', e.x264Params, ...colour],
    ...trackId,
    ...['-video_track_timescale', String(piece.timescale), '-map_metadata', '-1', '-f', 'mp4', argPath(piece.outputPath)],
  ];
}

/**
 * The pieces of one or more smart-cut fragments joined into a picture-only MP4 (the concat demuxer list names
 * every piece with its exact duration). `inBand`: some pieces carry their own parameter sets; the demuxer puts
 * each piece's SPS/PPS in-band before its IDR pictures, and the sample entry is tagged avc3, the MP4 form in
 * which parameter sets may change in-band (ISO/IEC 14496-15).
 */
export function buildSmartCutJoinArgs(listFile: string, outputPath: string, inBand: boolean): string[] {
  return [
    ...COMMON_ARGS,
    ...['-f', 'concat', '-safe', '0', ...fileInput(listFile)],
    ...['-map', '0:v:0', '-c:v', 'copy', ...(inBand ? ['-tag:v', 'avc3'] : [])],
    ...['-movflags', '+faststart', '-f', 'mp4', argPath(outputPath)],
  ];
}
