// plan -> ffmpeg argv: the argument list and filtergraph of a Concat job, and the concat demuxer list of
// a stream copy. Pure. User strings (paths) only ever travel as whole argv elements or quoted list-file
// entries; the filtergraph holds nothing but numbers, fixed filter names and our own pad labels.
import type { AudioOutputPlan, ConcatPlan, ContainerPlan, CopyPlan, EncodePlan, EncodeSegment, VideoOutputPlan, BgmPlan } from './plan.js';

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

/** A path starting with '-' would be read as an option. */
function argPath(p: string): string {
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
export function videoNormalizeFilter(input: number, label: string, v: VideoOutputPlan): string {
  const { width: w, height: h } = v;
  const chain = [
    ...rotateBefore(v.rotate),
    `scale=${w}:${h}:force_original_aspect_ratio=decrease:force_divisible_by=2`,
    `pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2`,
    'setsar=1',
    `fps=${v.frameRate}`,
    `format=${v.pixFmt}`,
    ...rotateAfter(v.rotate),
  ];
  return `[${input}:v:0]${chain.join(',')}[${label}]`;
}

/** Black frames for a fragment without a picture. */
export function blackFilter(label: string, durationSec: number, v: VideoOutputPlan): string {
  return `color=c=black:s=${v.width}x${v.height}:r=${v.frameRate}:d=${n(durationSec)},format=${v.pixFmt},setsar=1[${label}]`;
}

function aformat(a: AudioOutputPlan): string {
  return `aformat=sample_fmts=fltp:channel_layouts=${a.channelLayout}`;
}

/** Bring an input's first audio stream to the output rate and layout. */
export function audioNormalizeFilter(input: number, label: string, a: AudioOutputPlan, extra: string[] = []): string {
  return `[${input}:a:0]${[`aresample=${a.sampleRate}`, aformat(a), ...extra].join(',')}[${label}]`;
}

/** Silence for a fragment without sound, so the audio stays in step with the pictures. */
export function silenceFilter(label: string, durationSec: number, a: AudioOutputPlan): string {
  return `anullsrc=r=${a.sampleRate}:cl=${a.channelLayout}:d=${n(durationSec)},${aformat(a)}[${label}]`;
}

export function concatFilter(inputs: string[], count: number, v: 0 | 1, a: 0 | 1, outputs: string[]): string {
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
export function bgmFilters(bgm: BgmPlan, firstInput: number, a: AudioOutputPlan, outputSec: number, out: string): string[] {
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
export function mixFilter(main: string, bgm: string, outputSec: number, out: string): string {
  return `[${main}][${bgm}]amix=inputs=2:duration=longest:dropout_transition=0:normalize=0,atrim=duration=${n(outputSec)}[${out}]`;
}

/** The whole graph of an encode plan; outputs `[vout]` and/or `[aout]`. */
export function buildFilterGraph(plan: EncodePlan): string {
  const { segments, video, audio, bgm } = plan;
  const parts: string[] = [];
  const concatInputs: string[] = [];
  segments.forEach((seg: EncodeSegment, i) => {
    if (video) {
      parts.push(seg.video === 'source' ? videoNormalizeFilter(i, `v${i}`, video) : blackFilter(`v${i}`, seg.durationSec, video));
      concatInputs.push(`v${i}`);
    }
    if (audio && seg.audio !== 'none') {
      parts.push(seg.audio === 'source' ? audioNormalizeFilter(i, `a${i}`, audio) : silenceFilter(`a${i}`, seg.durationSec, audio));
      concatInputs.push(`a${i}`);
    }
  });
  const fragmentAudio = !!audio && segments.some((s) => s.audio !== 'none');
  const mixing = !!bgm && !bgm.replace;
  const outputs = [...(video ? ['vout'] : []), ...(fragmentAudio ? [mixing ? 'acat' : 'aout'] : [])];
  parts.push(concatFilter(concatInputs, segments.length, video ? 1 : 0, fragmentAudio ? 1 : 0, outputs));
  if (audio && bgm) {
    parts.push(...bgmFilters(bgm, segments.length, audio, plan.durationSec, mixing ? 'bgm' : 'aout'));
    if (mixing) parts.push(mixFilter('acat', 'bgm', plan.durationSec, 'aout'));
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
  return ['-c:a', a.encoder, '-ar', String(a.sampleRate), '-ac', String(a.channels), ...(a.bitrateKbps ? ['-b:a', `${a.bitrateKbps}k`] : [])];
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

function fileInput(p: string, pre: string[] = []): string[] {
  return [...pre, ...LOCAL_ONLY, '-i', argPath(p)];
}

export function buildEncodeArgs(plan: EncodePlan): string[] {
  const inputs = plan.segments.flatMap((s) =>
    fileInput(s.path, s.trim ? ['-ss', n(s.trim.startSec), '-t', n(s.trim.durationSec)] : []),
  );
  const bgmInputs = plan.audio && plan.bgm ? plan.bgm.tracks.flatMap((t) => fileInput(t.path, t.loop ? ['-stream_loop', '-1'] : [])) : [];
  return [
    ...COMMON_ARGS,
    ...inputs,
    ...bgmInputs,
    '-filter_complex',
    buildFilterGraph(plan),
    ...(plan.video ? ['-map', '[vout]'] : []),
    ...(plan.audio ? ['-map', '[aout]'] : []),
    ...(plan.video ? videoEncoderArgs(plan.video) : []),
    ...(plan.audio ? audioEncoderArgs(plan.audio) : []),
    ...muxerArgs(plan.container),
    ...PROGRESS_ARGS,
    argPath(plan.outputPath),
  ];
}

/** Stream copy through the concat demuxer; `-safe 0` because our list holds absolute paths. */
export function buildDirectConcatArgs(plan: CopyPlan): string[] {
  return [
    ...COMMON_ARGS,
    '-f',
    'concat',
    '-safe',
    '0',
    ...fileInput(plan.listFilePath),
    ...(plan.video ? ['-map', '0:v:0'] : []),
    ...(plan.audio ? ['-map', '0:a:0'] : []),
    '-c',
    'copy',
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

/** A concat demuxer list: each path single-quoted, a `'` written as `'\''` (close, escaped quote, reopen). */
export function buildConcatListFile(paths: readonly string[]): string {
  const lines = paths.map((p) => {
    if (/[\r\n]/.test(p)) throw new Error(`a concat list entry cannot contain a line break: ${JSON.stringify(p)}`);
    return `file '${p.replaceAll("'", "'\\''")}'`;
  });
  return ['ffconcat version 1.0', ...lines, ''].join('\n');
}
