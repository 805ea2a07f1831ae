// Who may read the metrics: everyone, or, when METRICS_TOKEN is set, only a scraper that sends
// `Authorization: Bearer <token>` (Prometheus' `authorization` scrape setting). Compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';

export function scrapeAllowed(authorization: string | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  if (authorization === undefined) return false;
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(authorization), digest(`Bearer ${token}`));
}

/** The answer to a scrape without the token. */
export const SCRAPE_REFUSED = 'metrics need Authorization: Bearer <METRICS_TOKEN>\n';
