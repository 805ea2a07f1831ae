// Redis connections. Workers block on theirs, so BullMQ needs maxRetriesPerRequest null there; the API
// fails fast instead: once connected, its connection keeps no offline queue, so a command while Redis
// is out of reach fails at once and the request answers 503 instead of waiting for Redis to come back
// (ioredis would hold it through ever longer reconnect delays: measured 1.4 s, then 4.6 s, 7.8 s, 11 s
// for successive requests). Before the first connect, commands wait for it as usual.
//
// With Redis Sentinel the connection asks the sentinels for the primary and, when it fails over, finds
// the new one: a connection that loses its primary reconnects through the sentinels, and one whose
// server became a replica (it answers READONLY) reconnects too.
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisTarget } from '../config/redis-target.js';
import type { Logger } from '../logger.js';

type RedisRole = 'api' | 'worker';

export function createRedis(target: RedisTarget, name: string, role: RedisRole): Redis {
  const options: RedisOptions = {
    connectionName: name,
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: true,
    connectTimeout: 5000,
    // No auto-pipelining: at 50 concurrent submissions a tick rarely holds more than one request's
    // command, so batching them cost more than it saved (POST /jobs did about 13% better without it).
    enableAutoPipelining: false,
  };
  const redis =
    typeof target === 'string'
      ? new Redis(target, options)
      : new Redis({
          ...options,
          sentinels: target.sentinels,
          name: target.name,
          ...(target.password !== undefined ? { password: target.password } : {}),
          ...(target.sentinelPassword !== undefined ? { sentinelPassword: target.sentinelPassword } : {}),
          // A primary that was demoted under a live connection answers writes with READONLY.
          reconnectOnError: (err) => err.message.startsWith('READONLY'),
          // No failoverDetector: its disconnect on +switch-master, landing while the connection is already
          // reconnecting through the sentinels, fails that connect and ioredis then ends the connection for
          // good (every command: "Connection is closed"), as the chaos suite's failover showed. A primary
          // that dies closes its connections and a demoted one answers READONLY: both reconnect anyway.
        });
  if (role === 'api') {
    redis.once('ready', () => {
      redis.options.enableOfflineQueue = false;
    });
  }
  return redis;
}

export type { Redis };

/** Resolves once the connection is ready (commands may be sent); rejects after `timeoutMs`. */
export async function connected(redis: Redis, timeoutMs = 30_000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`Redis did not answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}

/**
 * Logs a connection's outages: one warn line when it is lost (not one per reconnect attempt) and one
 * line when it is back. Without an error listener ioredis prints every failed attempt to stderr.
 */
export function reportConnection(redis: Redis, log: Logger, name: string): void {
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    log.warn({ connection: name, err: err.message }, 'Redis connection lost; retrying');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log.info({ connection: name }, 'Redis connection restored');
  });
}

// What ioredis and BullMQ throw while Redis cannot be reached: a command given up after its retries, a
// connection closed under it, or the socket's own errors.
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
const UNREACHABLE_MESSAGES = [
  /^Connection is closed\.?$/,
  /^Stream isn't writeable/,
  /^Reached the max retries per request limit/,
  /^connect ETIMEDOUT/,
  // A write that reached a primary just demoted by a failover, or no sentinel to ask for the new one.
  /^READONLY /,
  /^All sentinels are unreachable/,
];

/** Whether `err` means Redis could not be reached (the request may be retried), not that a command failed. */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const { name, message } = err;
  const code = (err as { code?: unknown }).code;
  return (
    name === 'MaxRetriesPerRequestError' ||
    (typeof code === 'string' && UNREACHABLE_CODES.has(code)) ||
    UNREACHABLE_MESSAGES.some((m) => m.test(message))
  );
}

/**
 * After a write that must survive a failover (a submit, a job's end): waits until `replicas` replicas
 * have everything this connection wrote (Redis WAIT, at most `timeoutMs`). Returns how many did; after a
 * shortfall the write still stands on the primary, and is lost only if that fails within the second.
 */
export async function replicated(redis: Redis, replicas: number, timeoutMs = 1000): Promise<number> {
  if (replicas <= 0) return 0;
  return redis.wait(replicas, timeoutMs);
}
