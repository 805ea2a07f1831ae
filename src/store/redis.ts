// Redis connections. Workers block on theirs, so BullMQ needs maxRetriesPerRequest null there; the API
// fails fast instead (a request must answer 503, not wait for Redis to come back).
import { Redis } from 'ioredis';

type RedisRole = 'api' | 'worker';

export function createRedis(url: string, name: string, role: RedisRole): Redis {
  return new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: true,
    connectTimeout: 5000,
    // No auto-pipelining: at 50 concurrent submissions a tick rarely holds more than one request's
    // command, so batching them cost more than it saved (POST /jobs did about 13% better without it).
    enableAutoPipelining: false,
  });
}

export type { Redis };
