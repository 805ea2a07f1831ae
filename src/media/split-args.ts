// The ffmpeg argv of a split encode (split.ts): one chunk of the output picture, the whole audio track, and
// the stitch that joins them. A chunk runs the job's own filter graph (args.ts buildFilterGraph) over the
// fragments it needs, on the job's output timeline: every time-dependent filter (watermark windows and
// scrolls, FADE fades, GRADIENT offsets) is the one-pass expression. Each fragment's picture is cut or
// padded to the frames split.ts counts for it, so every chunk places every fragment at the same frame; a
// fragment the chunk enters in its middle is read from an input seek a little before the chunk start, its
// timestamps restored. Then the chunk's frames are cut out and restart at 0. x264 gets the job's settings
// plus `stitchable=1`, so every chunk carries the same parameter sets and the chunks join with a stream copy.
// Pure.
import {
  COMMON_ARGS,
  PROGRESS_ARGS,
  argPath,
  audioEncoderArgs,
  buildConcatListFile,
  buildFilterGraph,
  fileInput,
  muxerArgs,
  soundFollowsPicture,
  n,
  videoEncoderArgs,
  type GraphShape,
} from './args.js';
import type { EncodePlan, EncodeSegment } from './plan.js';
import { seekMarginFrames, segmentSpans, type SegmentSpan, type SplitPlan, type VideoChunk } from './split.js';

/** A fragment's input options as the one-pass run gives them, or entered `skipSec` later. */
function segmentInput(seg: EncodeSegment, skipSec: number): string[] {
  if (skipSec <= 0) return fileInput(seg.path, seg.trim ? ['-ss', n(seg.trim.startSec), '-t', n(seg.trim.durationSec)] : []);
  const pre = seg.trim ? ['-ss', n(seg.trim.startSec + skipSec), '-t', n(seg.trim.durationSec - skipSec)] : ['-ss', n(skipSec)];
  return fileInput(seg.path, pre);
}

/** How a chunk reads its first fragment: from its start, or `skipFrames` output frames into it. */
function chunkSkipFrames(plan: EncodePlan, span: SegmentSpan, seg: EncodeSegment, chunk: VideoChunk, fps: number): number {
  // With transitions every fragment restarts its clock (transitionTail): it is read from its start. So is a
  // fragment at another frame rate: a seek by whole output frames is not whole source frames, and the rate
  // conversion would pick other pictures.
  if (plan.transition || seg.video !== 'source' || seg.changeFps) return 0;
  return Math.max(0, chunk.startFrame - span.startFrame - seekMarginFrames(fps));
}

/** x264 settings every chunk shares: the job's, with parameter sets that do not depend on the pictures. */
function chunkEncoderArgs(plan: EncodePlan, split: SplitPlan): string[] {
  return [
    ...videoEncoderArgs(plan.video!),
    ...['-x264-params', 'stitchable=1'],
    ...(split.threads !== undefined ? ['-threads', String(split.threads)] : []),
  ];
}

/** The graph of one chunk: the job's graph over the chunk's fragments, placed on the output timeline, cut to the chunk. */
export function buildChunkGraph(plan: EncodePlan, split: SplitPlan, chunk: VideoChunk): string {
  const { fps } = split;
  const spans = segmentSpans(plan);
  const first = chunk.segments[0]!;
  const skip = chunkSkipFrames(plan, spans[first]!, plan.segments[first]!, chunk, fps);
  const gradient = plan.transition?.mode === 'GRADIENT';
  // Where the run's first picture is on the output: its fragment's first frame; for a fragment entered by a
  // seek, the picture `skip` source frames after its first kept one (after the repeat of that one, when one
  // pass repeats it). Such a fragment restarts at 0: the concat filter takes a fragment's length from its last
  // timestamp, counting from 0. GRADIENT offsets count from the same frame: one pass starts a dissolve, and the
  // fragment it brings in, on the first frame at or after the join's start.
  const entered = skip > 0 ? skip + (spans[first]!.held ? 1 : 0) : 0;
  const runStart = spans[first]!.startFrame + entered;
  const startSec = runStart / fps;
  // GRADIENT: xfade works in yuv444p, so in one pass every picture is converted there and back once per
  // dissolve it passes through (a fragment's pictures pass through its own join's and every later one). A chunk
  // runs only the dissolves between its fragments: the others' round trips are made here, in the same order.
  const joins = plan.transition?.joins.length ?? 0;
  const last = chunk.segments[chunk.segments.length - 1]!;
  const roundTrip = ['format=yuv444p', `format=${plan.video!.pixFmt}`];
  const repeat = (times: number): string[] => Array.from({ length: Math.max(0, times) }, () => roundTrip).flat();
  const exact = (i: number): string[] => {
    if (gradient) return i === first && first > 0 ? roundTrip : [];
    if (plan.transition) return [];
    const span = spans[i]!;
    // Counted in frames: a time would be rounded to the link's time base, which may be the frame itself.
    const end = (frames: number): string => `trim=end_frame=${frames}`;
    if (i === first && skip > 0) return ['setpts=PTS-STARTPTS', 'tpad=stop=-1:stop_mode=clone', end(span.frames - entered)];
    // From the fragment's first picture, shown twice when the one-pass encoder does.
    return [
      'setpts=PTS-STARTPTS',
      ...(span.held ? ['tpad=start=1:start_mode=clone'] : []),
      'tpad=stop=-1:stop_mode=clone',
      end(span.frames),
    ];
  };
  const shape: GraphShape = {
    segments: chunk.segments,
    video: true,
    audio: false,
    videoTail: exact,
    startSec,
    beforeMarks: [...(gradient ? repeat(joins - last) : []), ...(startSec > 0 ? [`setpts=PTS+${n(startSec)}/TB`] : [])],
    // The run's pictures follow each other frame by frame from runStart: the chunk's are cut out by their count.
    afterMarks: [
      `trim=start_frame=${chunk.startFrame - runStart}:end_frame=${chunk.startFrame + chunk.frames - runStart}`,
      'setpts=PTS-STARTPTS',
    ],
  };
  return buildFilterGraph(plan, shape);
}

/** One chunk: exactly chunk.frames pictures, no sound, an MP4 of the picture alone. */
export function buildChunkArgs(plan: EncodePlan, split: SplitPlan, chunk: VideoChunk, outputPath: string): string[] {
  const spans = segmentSpans(plan);
  const first = chunk.segments[0]!;
  const skip = chunkSkipFrames(plan, spans[first]!, plan.segments[first]!, chunk, split.fps);
  const inputs = chunk.segments.flatMap((i) => segmentInput(plan.segments[i]!, i === first ? skip / split.fps : 0));
  const images = (plan.watermarks ?? []).flatMap((m) => (m.kind === 'image' ? fileInput(m.path) : []));
  return [
    ...COMMON_ARGS,
    ...inputs,
    ...images,
    ...['-filter_complex', buildChunkGraph(plan, split, chunk)],
    ...['-map', '[vout]', '-an'],
    ...chunkEncoderArgs(plan, split),
    ...['-frames:v', String(chunk.frames), '-f', 'mp4'],
    ...PROGRESS_ARGS,
    argPath(outputPath),
  ];
}

/**
 * The whole audio track as the one-pass run makes it (fragments' sound, silence, transitions, background
 * music), with each fragment's sound padded or cut to the length its picture has in the chunks, so the joins
 * of sound and picture fall together. An MP4 without picture.
 */
export function buildAudioTrackArgs(plan: EncodePlan, outputPath: string): string[] {
  const shape: GraphShape = { segments: plan.segments.map((_, i) => i), video: false, audio: true, audioTail: soundFollowsPicture(plan) };
  const inputs = plan.segments.flatMap((s) => segmentInput(s, 0));
  const bgm = plan.bgm ? plan.bgm.tracks.flatMap((t) => fileInput(t.path, t.loop ? ['-stream_loop', '-1'] : [])) : [];
  return [
    ...COMMON_ARGS,
    ...inputs,
    ...bgm,
    ...['-filter_complex', buildFilterGraph(plan, shape)],
    ...['-map', '[aout]', '-vn'],
    ...audioEncoderArgs(plan.audio!),
    ...['-f', 'mp4'],
    ...PROGRESS_ARGS,
    argPath(outputPath),
  ];
}

/** The concat list of the chunks, in index order, each with its exact length. */
export function buildStitchListFile(split: SplitPlan, chunkFiles: readonly string[]): string {
  return buildConcatListFile(split.chunks.map((c, k) => ({ path: chunkFiles[k]!, durationSec: c.frames / split.fps })));
}

/** The chunks' pictures copied in order, the audio track's sound copied beside them, into the plan's container. */
export function buildStitchArgs(plan: EncodePlan, listFile: string, audioFile: string | undefined): string[] {
  return [
    ...COMMON_ARGS,
    ...['-f', 'concat', '-safe', '0', ...fileInput(listFile)],
    ...(audioFile !== undefined ? fileInput(audioFile) : []),
    ...['-map', '0:v:0', ...(audioFile !== undefined ? ['-map', '1:a:0'] : [])],
    ...['-c', 'copy'],
    ...muxerArgs(plan.container),
    ...PROGRESS_ARGS,
    argPath(plan.outputPath),
  ];
}
