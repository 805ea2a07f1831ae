// Reading many hash records in one round trip. Job and execution records are hashes; list queries and
// callbacks read them by id, a page at a time, so one pipeline per page instead of one trip per record.
import type { Redis } from 'ioredis';

/**
 * The hashes at `keys`, decoded, in the order asked; `decode` answers undefined for a missing record. A
 * pipeline reply is untyped, so `decode` is told it may get no hash at all.
 */
export async function hgetallMany<T>(
  redis: Redis,
  keys: readonly string[],
  decode: (hash: Record<string, string> | undefined) => T | undefined,
): Promise<(T | undefined)[]> {
  if (keys.length === 0) return [];
  const pipe = redis.pipeline();
  for (const key of keys) pipe.hgetall(key);
  const replies = (await pipe.exec()) ?? [];
  return replies.map(([err, hash]) => {
    if (err) throw err;
    return decode(hash as Record<string, string> | undefined);
  });
}
