// The environment, parsed once into typed, validated sections, each handed as it is to the part it
// configures. A bad value stops the start with a message that lists every bad variable, not just the first.
import type { SentinelTarget } from './config/redis-target.js';
import path from 'node:path';
import { indexCredentials, loadCredentialsFile, type ApiCredential } from './config/credentials.js';
import { LOG_LEVELS, type LogLevel } from './logger.js';

/** Request body shape limits, read by the XML reader of wire/ (limits.ts). */
export interface RequestLimits {
  /** MAX_XML_DEPTH: deepest element nesting. */
  maxDepth: number;
  /** MAX_XML_ELEMENTS: elements in one body. */
  maxElements: number;
  /** MAX_FRAGMENTS: ConcatFragment elements in one body. */
  maxFragments: number;
  /** MAX_STRING_LENGTH: characters of one text value, element name or tag. */
  maxStringLength: number;
}

/** Each section is what one part of the engine is built from, handed to it as it is. */
export interface Config {
  api: ApiConfig;
  redis: RedisConfig;
  s3: S3Config;
  callbacks: CallbackConfig;
  worker: WorkerConfig;
  job: JobConfig;
  log: { level: LogLevel };
  dashboard: DashboardConfig;
  /** Root of the engine's files: job working dirs and the embedded services' data. */
  dataDir: string;
}

interface ApiConfig {
  port: number;
  host: string;
  /** Largest request body the API accepts, in bytes. */
  bodyLimitBytes: number;
  /** METRICS_TOKEN: bearer token GET /metrics (API and worker) requires; undefined = not required. */
  metricsToken?: string;
  security: ApiSecurityConfig;
}

interface ApiSecurityConfig {
  /** Every key pair the API accepts: CI_SECRET_ID/CI_SECRET_KEY, then CI_CREDENTIALS_FILE's. Empty = no checks. */
  credentials: ApiCredential[];
  /** CI_SECRET_ID/CI_SECRET_KEY as given (already the first of `credentials`). */
  ciSecretId?: string;
  ciSecretKey?: string;
  /** Tolerance around a signature's q-sign-time window. */
  clockSkewSeconds: number;
  /** Request body shape limits (MAX_XML_DEPTH, MAX_XML_ELEMENTS, MAX_FRAGMENTS, MAX_STRING_LENGTH). */
  requestLimits: RequestLimits;
  /** Bearer token the S3 event endpoint (POST /s3-events) requires; undefined = not required. */
  s3EventsToken?: string;
}

interface RedisConfig {
  /** External Redis; undefined (and no `sentinel`) means `npm start` runs the embedded redis-server on `port`. */
  url?: string;
  /** Redis Sentinel (REDIS_SENTINELS): the primary is asked of the sentinels and followed through failovers. */
  sentinel?: SentinelTarget;
  /** REDIS_WAIT_REPLICAS: after a write that must survive a failover (a submit, a job's end), wait until this
   * many replicas have it (Redis WAIT, up to 1 s); 0 = do not wait. */
  waitReplicas: number;
  port: number;
  /** Prefix of every Redis key the engine writes (records, indexes and BullMQ queues). */
  keyPrefix: string;
}

interface S3Config {
  /** External S3; undefined means `npm start` runs the embedded store on `port`. */
  endpoint?: string;
  port: number;
  region: string;
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  /** STORAGE_RETRY_SECONDS: how long a job's calls to a store that does not answer are tried again. */
  retrySec: number;
}

interface CallbackConfig {
  /** First callback retry delay; each next one doubles (6 tries in all). */
  retryBaseMs: number;
  /** How long a callback receiver has to answer. */
  timeoutMs: number;
  /** Refuse private and loopback callback receivers too (link-local/metadata ones always are). */
  blockPrivate: boolean;
  /** HMAC-SHA256 key that signs callbacks; undefined = unsigned. */
  signingKey?: string;
  /** CALLBACK_DELIVERY: which processes post the queued callbacks. 'api' (the default): the API processes,
   * so a worker killed under its ffmpeg never cuts a POST short; 'worker': the worker processes. */
  delivery: 'api' | 'worker';
}

interface WorkerConfig {
  concurrency: number;
  /** Hosts outside the storage that fragment/Input/AudioSource URLs may name (FETCH_ALLOWED_HOSTS). */
  fetchAllowedHosts: string[];
  /** AUTO_COPY: jobs without DirectConcat copy the fragments' picture when the request changes nothing
   * in it; false encodes every such job as before. */
  autoCopy: boolean;
  /** On SIGTERM, how long running jobs may go on before they are handed back to the queue; 0 = at once. */
  drainSec: number;
  /** A running job's lock: renewed every half of it, lost when its worker dies. */
  lockSec: number;
  /** How often workers look for jobs whose lock was lost. A dead worker's job runs again within lock + this. */
  stalledCheckSec: number;
  /** METRICS_PORT: the worker's metrics listener (GET /metrics on HOST); undefined = off, 0 = any free port. */
  metricsPort?: number;
  split: SplitConfig;
}

/** Splitting one long encode into chunks that several worker processes encode at once. */
export interface SplitConfig {
  /** SPLIT: false keeps every job one pass. */
  enabled: boolean;
  /** SPLIT_MIN_SECONDS: a planned output shorter than this is encoded in one pass. */
  minSec: number;
  /** SPLIT_CHUNK_SECONDS: about how much output each chunk encodes. */
  chunkSec: number;
  /** SPLIT_THREADS: x264 threads per chunk; undefined = ffmpeg's default. */
  threads?: number;
}

interface DashboardConfig {
  /** DASHBOARD_USER / DASHBOARD_PASSWORD: the dashboard's basic-auth login; undefined = no dashboard. */
  login?: { user: string; password: string };
  /** DASHBOARD_READ_ONLY: false lets the dashboard act on callback deliveries (retry, promote, clean). */
  readOnly: boolean;
}

interface JobConfig {
  /** Job resource limits; 0 = none. */
  limits: {
    maxInputBytes: number;
    maxOutputDurationSec: number;
    timeoutSec: number;
    /** Free bytes the job directory's disk must have before a job fetches anything. */
    minFreeDiskBytes: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * SPLIT_MIN_SECONDS' default: below about this much output, a split job's fixed costs (the chunk workers'
 * pick-up, fetch and plan, the chunks' round trip through the store, the stitch and its verification) eat
 * most of what the parallel encode saves; from here a 640x360 output gains 1.5x on two workers (README
 * "One long encode, many workers" says how it was measured).
 */
export const SPLIT_MIN_SECONDS_DEFAULT = 60;

/** The embedded store's default credentials, printed at start. */
export const EMBEDDED_S3_KEY = 'S3RVER';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];

  const str = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const int = (name: string, def: number, min: number, max: number): number => {
    const v = str(name);
    if (v === undefined) return def;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      problems.push(`${name}=${JSON.stringify(v)}: must be an integer in [${min}, ${max}]`);
      return def;
    }
    return Number(v);
  };
  const bool = (name: string, def: boolean): boolean => {
    const v = str(name);
    if (v === undefined) return def;
    if (/^(true|1|yes)$/i.test(v)) return true;
    if (/^(false|0|no)$/i.test(v)) return false;
    problems.push(`${name}=${JSON.stringify(v)}: must be true or false`);
    return def;
  };
  const onOff = (name: string, def: boolean): boolean => {
    const v = str(name);
    if (v === undefined) return def;
    if (/^(on|true|1|yes)$/i.test(v)) return true;
    if (/^(off|false|0|no)$/i.test(v)) return false;
    problems.push(`${name}=${JSON.stringify(v)}: must be on or off`);
    return def;
  };
  const url = (name: string, protocols: string[]): string | undefined => {
    const v = str(name);
    if (v === undefined) return undefined;
    try {
      const u = new URL(v);
      if (!protocols.includes(u.protocol)) throw new Error('protocol');
      return v;
    } catch {
      problems.push(`${name}=${JSON.stringify(v)}: must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
      return undefined;
    }
  };

  const s3Endpoint = url('S3_ENDPOINT', ['http:', 'https:']);
  const logLevel = (str('LOG_LEVEL') ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LOG_LEVEL=${JSON.stringify(logLevel)}: must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const ciSecretId = str('CI_SECRET_ID');
  const ciSecretKey = str('CI_SECRET_KEY');
  if ((ciSecretId === undefined) !== (ciSecretKey === undefined)) {
    problems.push('CI_SECRET_ID and CI_SECRET_KEY: set both or neither');
  }
  const s3AccessKeyId = str('S3_ACCESS_KEY_ID');
  const s3SecretAccessKey = str('S3_SECRET_ACCESS_KEY');
  if ((s3AccessKeyId === undefined) !== (s3SecretAccessKey === undefined)) {
    problems.push('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY: set both or neither');
  }
  if (s3Endpoint !== undefined && s3AccessKeyId === undefined) {
    problems.push('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY: required when S3_ENDPOINT is set');
  }
  const credentials: ApiCredential[] =
    ciSecretId !== undefined && ciSecretKey !== undefined ? [{ secretId: ciSecretId, secretKey: ciSecretKey }] : [];
  const credentialsFile = str('CI_CREDENTIALS_FILE');
  if (credentialsFile !== undefined) {
    const loaded = loadCredentialsFile(credentialsFile);
    problems.push(...loaded.problems);
    credentials.push(...loaded.credentials);
    if (loaded.problems.length === 0 && loaded.credentials.length === 0)
      problems.push(`CI_CREDENTIALS_FILE=${JSON.stringify(credentialsFile)}: lists no key`);
  }
  problems.push(...indexCredentials(credentials).problems.map((p) => `CI_SECRET_ID / CI_CREDENTIALS_FILE: ${p}`));
  const fetchAllowedHosts = (str('FETCH_ALLOWED_HOSTS') ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
  for (const h of fetchAllowedHosts) {
    if (!/^(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/.test(h)) {
      problems.push(`FETCH_ALLOWED_HOSTS: ${JSON.stringify(h)} must be host, host:port or *.domain`);
    }
  }
  const callbackSigningKey = str('CALLBACK_SIGNING_KEY');
  if (callbackSigningKey !== undefined && callbackSigningKey.length < 16) {
    problems.push('CALLBACK_SIGNING_KEY: must be at least 16 characters');
  }
  const keyPrefix = str('REDIS_KEY_PREFIX') ?? 'ci';
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(keyPrefix)) {
    problems.push(`REDIS_KEY_PREFIX=${JSON.stringify(keyPrefix)}: 1 to 32 letters, digits, _ or -`);
  }

  const dashboardUser = str('DASHBOARD_USER');
  const dashboardPassword = str('DASHBOARD_PASSWORD');
  if ((dashboardUser === undefined) !== (dashboardPassword === undefined)) {
    problems.push('DASHBOARD_USER and DASHBOARD_PASSWORD: set both or neither');
  }
  if (dashboardUser?.includes(':')) problems.push('DASHBOARD_USER: must not contain ":" (HTTP basic auth cannot carry it)');
  if (dashboardPassword !== undefined && dashboardPassword.length < 12) {
    problems.push('DASHBOARD_PASSWORD: must be at least 12 characters');
  }
  const dashboardReadOnly = bool('DASHBOARD_READ_ONLY', true);

  // Each variable is read once, in a fixed order, so the list of problems comes out the same every time.
  const port = int('PORT', 8080, 0, 65535);
  const host = str('HOST') ?? '0.0.0.0';
  const dataDir = path.resolve(str('DATA_DIR') ?? './data');
  const redisUrl = url('REDIS_URL', ['redis:', 'rediss:']);
  const sentinelList = str('REDIS_SENTINELS');
  let sentinel: SentinelTarget | undefined;
  if (sentinelList !== undefined) {
    const sentinels = sentinelList.split(',').map((hp) => {
      const m = /^\s*([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})\s*$/.exec(hp);
      if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
        problems.push(`REDIS_SENTINELS: ${JSON.stringify(hp.trim())} must be host:port`);
        return { host: '', port: 0 };
      }
      return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
    });
    if (redisUrl !== undefined) problems.push('REDIS_URL and REDIS_SENTINELS: set one or the other');
    const password = str('REDIS_PASSWORD');
    const sentinelPassword = str('REDIS_SENTINEL_PASSWORD');
    sentinel = {
      sentinels,
      name: str('REDIS_SENTINEL_NAME') ?? 'mymaster',
      ...(password !== undefined ? { password } : {}),
      ...(sentinelPassword !== undefined ? { sentinelPassword } : {}),
    };
  }
  const waitReplicas = int('REDIS_WAIT_REPLICAS', sentinel ? 1 : 0, 0, 16);
  const redisPort = int('REDIS_PORT', 6379, 1, 65535);
  const s3Port = int('S3_PORT', 4568, 1, 65535);
  const s3Region = str('S3_REGION') ?? 'us-east-1';
  const s3ForcePathStyle = bool('S3_FORCE_PATH_STYLE', true);
  const storageRetrySec = int('STORAGE_RETRY_SECONDS', 60, 0, 3600);
  const concurrency = int('WORKER_CONCURRENCY', 2, 1, 64);
  const drainSec = int('WORKER_DRAIN_SECONDS', 0, 0, 24 * 3600);
  const lockSec = int('WORKER_LOCK_SECONDS', 30, 2, 3600);
  const stalledCheckSec = int('WORKER_STALLED_CHECK_SECONDS', 30, 1, 3600);
  const bodyLimitBytes = int('MAX_BODY_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024);
  const retryBaseMs = int('CALLBACK_RETRY_BASE_MS', 10_000, 10, 3_600_000);
  const timeoutMs = int('CALLBACK_TIMEOUT_MS', 10_000, 100, 120_000);
  const clockSkewSeconds = int('CI_CLOCK_SKEW_SECONDS', 300, 0, 3600);
  const requestLimits: RequestLimits = {
    maxDepth: int('MAX_XML_DEPTH', 20, 4, 1000),
    maxElements: int('MAX_XML_ELEMENTS', 5000, 10, 1_000_000),
    maxFragments: int('MAX_FRAGMENTS', 100, 1, 10_000),
    maxStringLength: int('MAX_STRING_LENGTH', 4096, 256, 1_048_576),
  };
  const blockPrivate = bool('CALLBACK_BLOCK_PRIVATE', false);
  const deliveryText = str('CALLBACK_DELIVERY') ?? 'api';
  const delivery = deliveryText === 'worker' ? 'worker' : 'api';
  if (deliveryText !== 'api' && deliveryText !== 'worker') {
    problems.push(`CALLBACK_DELIVERY=${JSON.stringify(deliveryText)}: must be api or worker`);
  }
  const autoCopy = bool('AUTO_COPY', true);
  const split: SplitConfig = {
    enabled: onOff('SPLIT', true),
    minSec: int('SPLIT_MIN_SECONDS', SPLIT_MIN_SECONDS_DEFAULT, 1, 30 * 24 * 3600),
    chunkSec: int('SPLIT_CHUNK_SECONDS', 30, 1, 24 * 3600),
    ...(str('SPLIT_THREADS') === undefined ? {} : { threads: int('SPLIT_THREADS', 1, 1, 64) }),
  };
  const s3EventsToken = str('S3_EVENTS_TOKEN');
  const metricsToken = str('METRICS_TOKEN');
  const metricsPort = str('METRICS_PORT') === undefined ? undefined : int('METRICS_PORT', 0, 0, 65535);
  const limits = {
    maxInputBytes: int('MAX_JOB_INPUT_BYTES', 10 * 1024 ** 3, 0, Number.MAX_SAFE_INTEGER),
    maxOutputDurationSec: int('MAX_OUTPUT_DURATION_SECONDS', 6 * 3600, 0, 30 * 24 * 3600),
    timeoutSec: int('JOB_TIMEOUT_SECONDS', 6 * 3600, 0, 30 * 24 * 3600),
    minFreeDiskBytes: int('MIN_FREE_DISK_BYTES', 512 * 1024 ** 2, 0, Number.MAX_SAFE_INTEGER),
  };

  const config: Config = {
    api: {
      port,
      host,
      bodyLimitBytes,
      metricsToken,
      security: { credentials, ciSecretId, ciSecretKey, clockSkewSeconds, requestLimits, s3EventsToken },
    },
    redis: { url: redisUrl, ...(sentinel ? { sentinel } : {}), waitReplicas, port: redisPort, keyPrefix },
    s3: {
      endpoint: s3Endpoint,
      port: s3Port,
      region: s3Region,
      forcePathStyle: s3ForcePathStyle,
      accessKeyId: s3AccessKeyId ?? EMBEDDED_S3_KEY,
      secretAccessKey: s3SecretAccessKey ?? EMBEDDED_S3_KEY,
      retrySec: storageRetrySec,
    },
    callbacks: { retryBaseMs, timeoutMs, blockPrivate, signingKey: callbackSigningKey, delivery },
    worker: { concurrency, fetchAllowedHosts, autoCopy, drainSec, lockSec, stalledCheckSec, metricsPort, split },
    job: { limits },
    log: { level: logLevel },
    dashboard: {
      login:
        dashboardUser !== undefined && dashboardPassword !== undefined ? { user: dashboardUser, password: dashboardPassword } : undefined,
      readOnly: dashboardReadOnly,
    },
    dataDir,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** The Redis URL to use once embedded services (if any) are up. */
export function redisUrlOf(redis: RedisConfig): string {
  return redis.url ?? `redis://127.0.0.1:${redis.port}`;
}

/** The sentinels to find Redis through, as an Endpoints field, when REDIS_SENTINELS is set. */
export function sentinelOf(redis: RedisConfig): { redisSentinel?: SentinelTarget } {
  return redis.sentinel ? { redisSentinel: redis.sentinel } : {};
}

/** The S3 endpoint to use once embedded services (if any) are up. */
export function s3EndpointOf(s3: S3Config): string {
  return s3.endpoint ?? `http://127.0.0.1:${s3.port}`;
}
