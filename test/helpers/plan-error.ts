// The MediaPlanError a planning call throws (fails the test if it throws nothing or something else).
import { MediaPlanError } from '../../src/media/errors.js';

export function planError(fn: () => unknown): MediaPlanError {
  try {
    fn();
  } catch (e) {
    if (e instanceof MediaPlanError) return e;
    throw e;
  }
  throw new Error('expected a MediaPlanError');
}
