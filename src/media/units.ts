// Small helpers the media planners share: the InvalidArgument refusal and number formatting.
import { MediaPlanError } from './errors.js';

export function invalid(message: string): MediaPlanError {
  return new MediaPlanError('InvalidArgument', message);
}

export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** Seconds for messages: at most 3 decimals, no trailing zeros. */
export function secs(x: number): string {
  return String(Math.round(x * 1000) / 1000);
}
