// The keyframes of a job's fragments, read once per job: the copy planner needs them to copy or smart-cut a
// fragment, and a split places its chunk edges where a chunk worker's seek decodes little.
import type { PlanSource } from '../media/plan.js';
import type { RunContext } from './media-worker.js';
import type { MediaPort } from './ports.js';

/**
 * The keyframe index of every H.264 MP4/MOV fragment: a trimmed one may be smart-cut (only the GOPs at
 * the cuts re-encoded), and any is copied only when it starts with an IDR picture and is not open-GOP.
 * A failed scan is logged and leaves the fragment to the encode path. A fragment read before is not read again.
 */
export async function scanFragments(media: MediaPort, sources: PlanSource[], log: RunContext['log']): Promise<void> {
  const candidates = sources.filter(
    (s) =>
      !s.keyframes &&
      !s.keyframesUnreadable &&
      s.probe.video?.codec === 'h264' &&
      s.probe.formatName.split(',').some((f) => f === 'mp4' || f === 'mov'),
  );
  await Promise.all(
    candidates.map(async (s) => {
      try {
        s.keyframes = await media.keyframes(s.path, s.probe);
      } catch (err) {
        s.keyframesUnreadable = true;
        log.warn({ fragment: s.label, error: err instanceof Error ? err.message : String(err) }, 'keyframe scan failed');
      }
    }),
  );
}

/** Display frame numbers of each plan segment's keyframes, where its fragment's were read (by path). */
export function keyframeFramesOf(segmentPaths: readonly string[], sources: readonly PlanSource[]): (number[] | undefined)[] {
  return segmentPaths.map((p) => {
    const index = sources.find((s) => s.path === p)?.keyframes;
    return index?.packets.filter((k) => k.keyframe).map((k) => k.frame);
  });
}
