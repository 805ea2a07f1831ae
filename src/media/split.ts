// Splitting one encode into chunks of output frames that separate processes encode in parallel, then
// join without re-encoding. This module decides whether an encode plan is split and where the chunk
// edges fall, on the plan's own output timeline: each chunk is a run of whole output frames, starts on
// an IDR picture, never starts inside a transition, and prefers a fragment join when one is near (a
// chunk that starts on a join reads nothing of the fragment before). Plans whose output cannot be cut
// cleanly (no picture, HLS, bitrate rate control that would restart at every chunk, too short) say why
// and run in one pass. It also fingerprints a plan without its local paths, so a process that re-plans
// the same job elsewhere can tell it got the same plan. Pure: split-args.ts builds the chunk, audio and stitch
// argv, ffmpeg.ts runs them.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { ConcatPlan, EncodePlan } from './plan.js';
import { secs } from './units.js';

export interface SplitSettings {
  /** Outputs shorter than this run in one pass. */
  minSec: number;
  /** About this much output per chunk. */
  chunkSec: number;
  /** x264 threads per chunk; undefined = ffmpeg's default */
  threads?: number;
}

export interface VideoChunk {
  index: number;
  /** First output frame of the chunk (from 0) and how many it encodes. */
  startFrame: number;
  frames: number;
  /** startFrame / fps and frames / fps: the concat list's `duration` line. */
  startSec: number;
  durationSec: number;
  /** indexes into plan.segments of the fragments this chunk reads (a chunk worker fetches only those) */
  segments: number[];
}

export interface SplitPlan {
  chunks: VideoChunk[];
  /** Output frames in all; the chunks' frames add up to it. */
  frames: number;
  fps: number;
  /** The output has sound: one more run encodes the whole audio track. */
  audio: boolean;
  /** x264 threads in every chunk (identical settings make identical parameter sets); absent: ffmpeg's default. */
  threads?: number;
}

/** Where a fragment's picture lies on the output, in output frames. */
export interface SegmentSpan {
  startFrame: number;
  frames: number;
  /** The one-pass output shows the fragment's first picture twice (see fragmentFrames). */
  held: boolean;
}

/** A chunk edge moves to a fragment join, or to a cheap seek point, at most this share of a chunk away. */
const SNAP_SHARE = 0.25;

/** Output frames decoded before a chunk's first one when its fragment is entered by a seek: the frame-rate
 * conversion and a repeated first picture settle there, and are cut off with them. */
export function seekMarginFrames(fps: number): number {
  return Math.max(2, Math.ceil(fps / 2));
}
const EPS = 1e-6;

type SplitDecision = { split: SplitPlan } | { split?: undefined; reason: string };

/**
 * The pictures a fragment puts in the one-pass output, and whether the first one is shown twice. A whole clip
 * fills its planned length, the longest of its streams (the concat filter starts the next fragment after its
 * sound when that is longer, and the encoder repeats the last picture into the gap); generated black and
 * transitions' exact cuts fill it too. A trim (`-ss A -t D`) starts with the first picture at or after A; when
 * that one is half a frame or more late, the encoder shows it twice; D counts from it, and a trim to the end
 * of the clip stops with the clip. Counted on the output rate's grid from the file start: exact for pictures
 * at the output rate, an estimate for others (the chunks stay consistent with each other either way, as each
 * fragment is cut or padded to this count in every chunk).
 */
function fragmentFrames(s: EncodePlan['segments'][number], fps: number, exact: boolean): { frames: number; held: boolean } {
  const whole = Math.max(1, Math.ceil(s.durationSec * fps - EPS));
  if (exact || !s.trim || s.video !== 'source') return { frames: whole, held: false };
  const first = Math.ceil(s.trim.startSec * fps - EPS);
  const held = first - s.trim.startSec * fps >= 0.5 - EPS;
  let end = first + whole;
  if (s.trim.toEnd) end = Math.min(end, Math.ceil((s.trim.startSec + s.trim.durationSec) * fps - EPS));
  return { frames: Math.max(1, end - first + (held ? 1 : 0)), held };
}

/**
 * Each fragment's picture on the output timeline. Without transitions each next fragment follows the one
 * before. With transitions every fragment is first cut or padded to exactly its planned length (args.ts
 * transitionTail); GRADIENT then starts each next fragment at its join's start.
 */
export function segmentSpans(plan: EncodePlan): SegmentSpan[] {
  const fps = plan.video?.fps ?? 0;
  const spans: SegmentSpan[] = [];
  const t = plan.transition;
  let at = 0;
  plan.segments.forEach((s, i) => {
    const { frames, held } = fragmentFrames(s, fps, !!t);
    const startFrame = t?.mode === 'GRADIENT' && i > 0 ? Math.round(t.joins[i - 1]!.startSec * fps) : at;
    spans.push({ startFrame, frames, held });
    at = startFrame + frames;
  });
  return spans;
}

/** The output's frame count: where the last fragment's picture ends. */
function totalFrames(spans: readonly SegmentSpan[]): number {
  const last = spans[spans.length - 1];
  return last ? last.startFrame + last.frames : 0;
}

/** Output frames a chunk may not start on: strictly inside a transition (its pictures mix two fragments). */
function blockedRanges(plan: EncodePlan, fps: number): { from: number; to: number }[] {
  return (plan.transition?.joins ?? []).map((j) => ({ from: Math.floor(j.startSec * fps) + 1, to: Math.ceil(j.endSec * fps) - 1 }));
}

function refusal(plan: ConcatPlan, settings: SplitSettings): string | undefined {
  if (plan.kind !== 'encode') return `the ${plan.path} path encodes no picture to split`;
  if (!plan.video) return 'the output has no picture to split';
  if (plan.container.format === 'hls') return 'HLS segments are cut on the one-pass keyframe cadence';
  if (plan.video.rate.mode === 'bitrate') return "Video.Bitrate: x264's rate control would restart at every chunk";
  if (!(settings.chunkSec > 0)) return `the chunk length ${settings.chunkSec} s is not positive`;
  if (plan.durationSec < settings.minSec) {
    return `the output lasts ${secs(plan.durationSec)} s, less than the ${secs(settings.minSec)} s worth splitting`;
  }
  return undefined;
}

/**
 * Output frames where a chunk may start and read its fragment from one of the fragment's own keyframes. A chunk
 * entered by a seek starts decoding `seekMarginFrames` before its first frame, from the keyframe at or before
 * that: an edge that many frames after a keyframe decodes only the margin, where an edge on a keyframe decodes
 * the whole GOP before it as well. Only for what split-args.ts enters by a plain seek: a whole fragment of the
 * source's picture at the output rate, without transitions. keyframes[i]: display frame numbers of
 * plan.segments[i]'s keyframes, when known.
 */
function seekPoints(
  plan: EncodePlan,
  spans: readonly SegmentSpan[],
  fps: number,
  keyframes: readonly (readonly number[] | undefined)[],
): number[] {
  if (plan.transition) return [];
  const margin = seekMarginFrames(fps);
  return plan.segments.flatMap((seg, i) => {
    const span = spans[i]!;
    if (seg.video !== 'source' || seg.changeFps || seg.trim || span.held) return [];
    return (keyframes[i] ?? []).filter((k) => k > 0 && k + margin < span.frames).map((k) => span.startFrame + k + margin);
  });
}

/** The candidate nearest `edge`, if one is at most `reach` frames away. */
function nearest(candidates: readonly number[], edge: number, reach: number): number | undefined {
  return candidates.filter((c) => Math.abs(c - edge) <= reach).sort((a, b) => Math.abs(a - edge) - Math.abs(b - edge))[0];
}

/** Chunk edges: evenly spaced targets, moved to a near fragment join (else a near cheap seek point), and out of every transition. */
function chunkEdges(
  plan: EncodePlan,
  spans: readonly SegmentSpan[],
  frames: number,
  fps: number,
  chunkSec: number,
  seeks: readonly number[],
): number[] {
  const count = Math.max(1, Math.round(frames / (chunkSec * fps)));
  const size = frames / count;
  const joins = spans.slice(1).map((s) => s.startFrame);
  const blocked = blockedRanges(plan, fps);
  const edges: number[] = [];
  for (let k = 1; k < count; k++) {
    let edge = Math.round(k * size);
    const near = nearest(joins, edge, size * SNAP_SHARE) ?? nearest(seeks, edge, size * SNAP_SHARE);
    if (near !== undefined) edge = near;
    const inside = blocked.find((b) => edge >= b.from && edge <= b.to);
    // Out of a transition: to whichever of its ends is nearer (its first frame, or the frame after its last).
    if (inside) edge = edge - inside.from + 1 <= inside.to + 1 - edge ? inside.from - 1 : inside.to + 1;
    const prev = edges[edges.length - 1] ?? 0;
    if (edge > prev && edge < frames) edges.push(edge);
  }
  return edges;
}

/** Whether an encode plan is split and how; undefined split with a one-sentence reason when not (too short,
 * filters that cannot be cut cleanly, no video, ...). Pure and deterministic: the same plan (and keyframes) gives
 * the same chunks. `keyframes[i]`: the display frame numbers of plan.segments[i]'s keyframes where known; chunk
 * edges then prefer places a chunk worker reaches by decoding little before them. */
export function planSplit(
  plan: ConcatPlan,
  settings: SplitSettings,
  keyframes: readonly (readonly number[] | undefined)[] = [],
): SplitDecision {
  const refused = refusal(plan, settings);
  if (refused !== undefined || plan.kind !== 'encode' || !plan.video) return { reason: refused ?? 'not an encode plan' };
  const fps = plan.video.fps;
  const spans = segmentSpans(plan);
  const frames = totalFrames(spans);
  const edges = chunkEdges(plan, spans, frames, fps, settings.chunkSec, seekPoints(plan, spans, fps, keyframes));
  if (edges.length === 0) {
    return { reason: `the output's ${frames} frames make one chunk of ${secs(settings.chunkSec)} s outside the transitions` };
  }
  const bounds = [0, ...edges, frames];
  const chunks: VideoChunk[] = bounds.slice(0, -1).map((startFrame, index) => {
    const end = bounds[index + 1]!;
    const segments = spans.flatMap((s, i) => (s.startFrame < end && s.startFrame + s.frames > startFrame ? [i] : []));
    return {
      index,
      startFrame,
      frames: end - startFrame,
      startSec: startFrame / fps,
      durationSec: (end - startFrame) / fps,
      segments,
    };
  });
  const split: SplitPlan = { chunks, frames, fps, audio: !!plan.audio };
  if (settings.threads !== undefined) split.threads = settings.threads;
  return { split };
}

// ---------------------------------------------------------------------------------------------- fingerprint

/** Keys whose values are local paths (dropped, or kept as a file name where the name itself matters), and the
 * log sentence, which says how the plan was reached, not what it makes. */
const DROPPED = new Set(['outputPath', 'workDir', 'path', 'textFile', 'reason']);
const NAME_ONLY = new Set(['fontFile', 'segmentPattern']);

function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (DROPPED.has(key) || v === undefined) continue;
      out[key] = NAME_ONLY.has(key) && typeof v === 'string' ? path.basename(v) : stable(v);
    }
    return out;
  }
  return value;
}

/** A stable fingerprint of an EncodePlan that ignores local paths (workDir, file paths): a chunk worker that
 * re-plans the job on its own machine checks it got the same plan as the parent. */
export function planFingerprint(plan: EncodePlan): string {
  return createHash('sha256')
    .update(JSON.stringify(stable(plan)))
    .digest('hex');
}
