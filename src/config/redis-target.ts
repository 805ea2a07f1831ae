// Where the engine's processes find Redis: one URL, or a set of Redis Sentinels that name the primary of
// a replicated Redis and follow it through failovers (REDIS_SENTINELS, REDIS_SENTINEL_NAME).

export interface SentinelTarget {
  sentinels: { host: string; port: number }[];
  /** The monitored primary's name in the sentinels' configuration. */
  name: string;
  /** REDIS_PASSWORD: the primary's and replicas' password. */
  password?: string;
  /** REDIS_SENTINEL_PASSWORD: the sentinels' own. */
  sentinelPassword?: string;
}

export type RedisTarget = string | SentinelTarget;
