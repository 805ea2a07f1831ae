// Ids in CI's shapes: a one-letter kind prefix and 32 lowercase hex (templates: 33 hex after "t1").
// The hex starts with the creation time in milliseconds and a per-process counter, so sorting ids
// sorts by creation: list indexes order by id and page with an id as the cursor.
import { randomUUID } from 'node:crypto';

export type IdKind = 'job' | 'queue' | 'workflow' | 'instance' | 'template';

const PREFIX: Record<IdKind, string> = { job: 'j', queue: 'p', workflow: 'w', instance: 'i', template: 't1' };

// randomUUID draws from a cached entropy pool: much cheaper per call than randomBytes on the request path.
function randomHex16(): string {
  const u = randomUUID();
  return u.slice(0, 8) + u.slice(9, 13) + u.slice(19, 23);
}

let lastMs = 0;
let counter = 0;

function timeOrderedHex(nowMs: number): string {
  if (nowMs === lastMs) {
    counter = (counter + 1) & 0xffff;
  } else {
    lastMs = nowMs;
    counter = 0;
  }
  return nowMs.toString(16).padStart(12, '0') + counter.toString(16).padStart(4, '0') + randomHex16();
}

export function newId(kind: IdKind, nowMs: number = Date.now()): string {
  return PREFIX[kind] + timeOrderedHex(nowMs);
}

const PATTERN: Record<IdKind, RegExp> = {
  job: /^j[0-9a-f]{32}$/,
  queue: /^p[0-9a-f]{32}$/,
  workflow: /^w[0-9a-f]{32}$/,
  instance: /^i[0-9a-f]{32}$/,
  template: /^t[0-9a-f]{33}$/,
};

export function isId(kind: IdKind, value: string): boolean {
  return PATTERN[kind].test(value);
}

/** The smallest id of a kind created at or after `ms` (a lexicographic bound for time-range queries). */
export function idLowerBound(kind: IdKind, ms: number): string {
  return PREFIX[kind] + Math.max(0, ms).toString(16).padStart(12, '0');
}

/** The request id carried in x-ci-request-id and every error body: base64, as CI's look. */
export function newRequestId(): string {
  return Buffer.from(`${Date.now().toString(16)}_${randomHex16()}`).toString('base64');
}
