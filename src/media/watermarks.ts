// Watermarks of a Concat job (Operation.Watermark, docs/ci-api.md 1.4) as plan values: where each mark sits
// (an anchor with inward offsets in pixels, or a scroll), while it shows, how opaque it is, the font file
// and text file of a Text mark, the drawn size of an Image mark. Pure: args.ts draws them (drawtext,
// overlay) on the output picture after concatenation and transitions; ffmpeg.ts writes the text files.
import { invalid, round6, secs } from './units.js';
import path from 'node:path';
import type { Watermark, WatermarkPos } from '../domain/concat-types.js';
import { MediaPlanError } from './errors.js';
import { fontFileFor } from './fonts.js';
import type { MediaProbe } from './probe.js';

export interface PlanWatermark {
  watermark: Watermark;
  /** How messages name it, e.g. "Watermark[0]". */
  label: string;
  /** The fetched file of an Image watermark. */
  image?: { path: string; label: string; probe: MediaProbe };
}

/**
 * anchor: the mark's box touches the anchor's edges, moved inward by dxPx/dyPx (0 on an axis the
 * anchor centres). scroll (SlideConfig ScrollFromLeft): enters from the left edge at `fromSec` and
 * moves right by xPxPerSec (wrapping), down by yPxPerSec (wrapping), from the top-left corner.
 */
export type WatermarkPosition =
  | { mode: 'anchor'; anchor: WatermarkPos; dxPx: number; dyPx: number }
  | { mode: 'scroll'; xPxPerSec: number; yPxPerSec: number; fromSec: number };

interface WatermarkPlanBase {
  label: string;
  position: WatermarkPosition;
  /** Output seconds while the mark is drawn (both ends included); absent: the whole output. */
  window?: { startSec: number; endSec: number };
  /** Opacity 0..1: CI's Transparency / 100 (100 = opaque). */
  alpha: number;
}

interface TextWatermarkPlan extends WatermarkPlanBase {
  kind: 'text';
  /** Written verbatim to textFile by ffmpeg.ts; never part of the argv or the filtergraph. */
  text: string;
  textFile: string;
  /** From the font table (fonts.ts) only. */
  fontFile: string;
  fontSize: number;
  /** RRGGBB, upper-case hex digits. */
  color: string;
}

interface ImageWatermarkPlan extends WatermarkPlanBase {
  kind: 'image';
  path: string;
  /** The image's object key, for messages. */
  source: string;
  /** Drawn size in pixels. */
  width: number;
  height: number;
  /** Resized to width x height (Mode Proportion or Fixed); false draws it at its own size. */
  scale: boolean;
}

export type WatermarkPlan = TextWatermarkPlan | ImageWatermarkPlan;

interface WatermarkFrame {
  /** The output picture the marks are drawn on. */
  width: number;
  height: number;
  durationSec: number;
  workDir: string;
  fontAvailable?: (file: string) => boolean;
}

/** A scroll speed step moves the mark by a tenth of the frame per second. */
const SLIDE_STEP = 0.1;
const MAX_IMAGE_PX = 4096;
const COLOR = /^0x([0-9a-fA-F]{6})$/;

const LEFT: ReadonlySet<WatermarkPos> = new Set(['TopLeft', 'Left', 'BottomLeft']);
const RIGHT: ReadonlySet<WatermarkPos> = new Set(['TopRight', 'Right', 'BottomRight']);
const TOP: ReadonlySet<WatermarkPos> = new Set(['TopLeft', 'Top', 'TopRight']);
const BOTTOM: ReadonlySet<WatermarkPos> = new Set(['BottomLeft', 'Bottom', 'BottomRight']);

function planWindow(w: Watermark, label: string, durationSec: number): { startSec: number; endSec: number } | undefined {
  const start = w.startTime ?? 0;
  if (!(start >= 0)) throw invalid(`${label}: StartTime ${secs(start)} must not be negative`);
  if (start >= durationSec) {
    throw invalid(`${label}: StartTime ${secs(start)} s is at or after the end of the output (${secs(durationSec)} s)`);
  }
  // Past the end means "to the end", as for fragment EndTime.
  const end = Math.min(w.endTime ?? durationSec, durationSec);
  if (end <= start) throw invalid(`${label}: EndTime ${secs(end)} s is not after StartTime ${secs(start)} s`);
  if (start === 0 && end === durationSec) return undefined;
  return { startSec: round6(start), endSec: round6(end) };
}

function planPosition(w: Watermark, frame: WatermarkFrame, window: { startSec: number } | undefined): WatermarkPosition {
  if (w.slideConfig?.slideMode === 'ScrollFromLeft') {
    return {
      mode: 'scroll',
      xPxPerSec: round6(w.slideConfig.xSlideSpeed * SLIDE_STEP * frame.width),
      yPxPerSec: round6(w.slideConfig.ySlideSpeed * SLIDE_STEP * frame.height),
      fromSec: window?.startSec ?? 0,
    };
  }
  // `+ 0` turns a -0 (a tiny negative offset rounded) into 0.
  const toPx = (v: number, size: number): number => Math.round(w.locMode === 'Relativity' ? (v * size) / 100 : v) + 0;
  const horizontal = LEFT.has(w.pos) || RIGHT.has(w.pos);
  const vertical = TOP.has(w.pos) || BOTTOM.has(w.pos);
  return {
    mode: 'anchor',
    anchor: w.pos,
    dxPx: horizontal ? toPx(w.dx, frame.width) : 0,
    dyPx: vertical ? toPx(w.dy, frame.height) : 0,
  };
}

function opacity(transparency: number, field: string): number {
  if (!Number.isInteger(transparency) || transparency < 1 || transparency > 100) {
    throw invalid(`${field}: Transparency must be an integer in [1, 100], got ${transparency}`);
  }
  return transparency / 100;
}

function clampPx(x: number): number {
  return Math.min(MAX_IMAGE_PX, Math.max(1, Math.round(x)));
}

function planImageSize(m: PlanWatermark, frame: WatermarkFrame): { width: number; height: number; scale: boolean } {
  const image = m.watermark.image!;
  const own = m.image!.probe.video!;
  let w: number | undefined;
  let h: number | undefined;
  if (image.mode === 'Proportion') {
    w = image.width !== undefined ? (frame.width * image.width) / 100 : undefined;
    h = image.height !== undefined ? (frame.height * image.height) / 100 : undefined;
  } else if (image.mode === 'Fixed') {
    w = image.width;
    h = image.height;
  }
  if (w === undefined && h === undefined) return { width: own.width, height: own.height, scale: false };
  // One side given: the other follows the image's aspect ratio.
  const width = clampPx(w ?? (h! * own.width) / own.height);
  const height = clampPx(h ?? (w! * own.height) / own.width);
  return { width, height, scale: width !== own.width || height !== own.height };
}

function planOne(m: PlanWatermark, index: number, frame: WatermarkFrame): WatermarkPlan {
  const w = m.watermark;
  const window = planWindow(w, m.label, frame.durationSec);
  const base = { label: m.label, position: planPosition(w, frame, window), ...(window ? { window } : {}) };
  if (w.type === 'Text') {
    const t = w.text;
    if (!t) throw invalid(`${m.label}: Type is Text but there is no Text container`);
    const color = COLOR.exec(t.fontColor);
    if (!color) throw invalid(`${m.label}.Text: FontColor must be 0xRRGGBB, got ${JSON.stringify(t.fontColor)}`);
    if (!Number.isInteger(t.fontSize) || t.fontSize < 5 || t.fontSize > 100) {
      throw invalid(`${m.label}.Text: FontSize must be an integer in [5, 100], got ${t.fontSize}`);
    }
    if (t.text === '') throw invalid(`${m.label}.Text: Text is empty`);
    return {
      kind: 'text',
      ...base,
      alpha: opacity(t.transparency, `${m.label}.Text`),
      text: t.text,
      textFile: path.join(frame.workDir, `watermark-${index}.txt`),
      fontFile: fontFileFor(t.fontType, t.text, frame.fontAvailable),
      fontSize: t.fontSize,
      color: color[1]!.toUpperCase(),
    };
  }
  const image = w.image;
  if (!image) throw invalid(`${m.label}: Type is Image but there is no Image container`);
  if (!m.image) throw invalid(`${m.label}: the watermark image was not fetched`);
  if (!m.image.probe.video || !(m.image.probe.video.width > 0 && m.image.probe.video.height > 0)) {
    throw new MediaPlanError('ResourceNotSupported', `${m.label}: "${m.image.label}" is not an image`);
  }
  return {
    kind: 'image',
    ...base,
    alpha: opacity(image.transparency, `${m.label}.Image`),
    path: m.image.path,
    source: m.image.label,
    ...planImageSize(m, frame),
  };
}

/** Plan every watermark, in request order (later marks are drawn over earlier ones). */
export function planWatermarks(marks: readonly PlanWatermark[], frame: WatermarkFrame): WatermarkPlan[] {
  return marks.map((m, i) => planOne(m, i, frame));
}
