import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, SPLIT_MIN_SECONDS_DEFAULT } from '../../src/config.js';

describe('loadConfig', () => {
  it('gives the documented defaults on an empty environment', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      api: { port: 8080, security: { ciSecretId: undefined } },
      redis: { url: undefined, port: 6379 },
      s3: { endpoint: undefined, port: 4568, forcePathStyle: true, accessKeyId: 'S3RVER', retrySec: 60 },
      worker: { concurrency: 2, autoCopy: true, drainSec: 0, lockSec: 30, stalledCheckSec: 30 },
      log: { level: 'info' },
    });
    expect(c.dataDir).toMatch(/\/data$/);
  });

  it('reads every documented variable', () => {
    const c = loadConfig({
      PORT: '9000',
      DATA_DIR: '/srv/engine',
      REDIS_URL: 'redis://r:6379',
      S3_ENDPOINT: 'http://minio:9000',
      S3_REGION: 'ap-guangzhou',
      S3_FORCE_PATH_STYLE: 'false',
      S3_ACCESS_KEY_ID: 'ak',
      S3_SECRET_ACCESS_KEY: 'sk',
      STORAGE_RETRY_SECONDS: '15',
      CI_SECRET_ID: 'id',
      CI_SECRET_KEY: 'key',
      WORKER_CONCURRENCY: '4',
      AUTO_COPY: 'false',
      WORKER_DRAIN_SECONDS: '90',
      WORKER_LOCK_SECONDS: '10',
      WORKER_STALLED_CHECK_SECONDS: '5',
      LOG_LEVEL: 'debug',
    });
    expect(c).toMatchObject({
      api: { port: 9000, security: { ciSecretId: 'id', ciSecretKey: 'key' } },
      dataDir: '/srv/engine',
      redis: { url: 'redis://r:6379' },
      s3: {
        endpoint: 'http://minio:9000',
        region: 'ap-guangzhou',
        forcePathStyle: false,
        accessKeyId: 'ak',
        secretAccessKey: 'sk',
        retrySec: 15,
      },
      worker: { concurrency: 4, autoCopy: false, drainSec: 90, lockSec: 10, stalledCheckSec: 5 },
      log: { level: 'debug' },
    });
  });

  it('lists every bad variable at once', () => {
    let err: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        WORKER_CONCURRENCY: '0',
        WORKER_LOCK_SECONDS: '1',
        LOG_LEVEL: 'loud',
        REDIS_URL: 'http://x',
        S3_FORCE_PATH_STYLE: 'maybe',
        CI_SECRET_ID: 'only-id',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    for (const name of [
      'PORT',
      'WORKER_CONCURRENCY',
      'WORKER_LOCK_SECONDS',
      'LOG_LEVEL',
      'REDIS_URL',
      'S3_FORCE_PATH_STYLE',
      'CI_SECRET_ID',
    ]) {
      expect(problems).toContain(name);
    }
    expect((err as ConfigError).problems).toHaveLength(7);
  });

  it('SPLIT: on by default, off keeps every job one pass; the chunk sizes and threads as given', () => {
    expect(loadConfig({}).worker.split).toEqual({ enabled: true, minSec: SPLIT_MIN_SECONDS_DEFAULT, chunkSec: 30 });
    expect(['on', 'true', '1', 'off', 'false', '0', 'OFF'].map((v) => loadConfig({ SPLIT: v }).worker.split.enabled)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
    expect(loadConfig({ SPLIT_MIN_SECONDS: '20', SPLIT_CHUNK_SECONDS: '4', SPLIT_THREADS: '1' }).worker.split).toEqual({
      enabled: true,
      minSec: 20,
      chunkSec: 4,
      threads: 1,
    });
  });

  it('refuses a bad SPLIT, SPLIT_MIN_SECONDS, SPLIT_CHUNK_SECONDS or SPLIT_THREADS, naming each', () => {
    expect(() => loadConfig({ SPLIT: 'maybe', SPLIT_MIN_SECONDS: '0', SPLIT_CHUNK_SECONDS: '1.5', SPLIT_THREADS: '0' })).toThrow(
      /SPLIT="maybe": must be on or off[\s\S]*SPLIT_MIN_SECONDS="0": must be an integer in \[1, [\s\S]*SPLIT_CHUNK_SECONDS="1.5"[\s\S]*SPLIT_THREADS="0": must be an integer in \[1, 64\]/,
    );
  });

  it('AUTO_COPY: true unless false or 0; anything else is refused', () => {
    expect(['1', 'true', 'yes', 'false', '0', 'no'].map((v) => loadConfig({ AUTO_COPY: v }).worker.autoCopy)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
    expect(() => loadConfig({ AUTO_COPY: 'sometimes' })).toThrow(/AUTO_COPY="sometimes": must be true or false/);
  });

  it('CALLBACK_DELIVERY: the API processes post callbacks unless it says worker; anything else is refused', () => {
    expect(loadConfig({}).callbacks.delivery).toBe('api');
    expect(loadConfig({ CALLBACK_DELIVERY: 'worker' }).callbacks.delivery).toBe('worker');
    expect(loadConfig({ CALLBACK_DELIVERY: 'api' }).callbacks.delivery).toBe('api');
    expect(() => loadConfig({ CALLBACK_DELIVERY: 'both' })).toThrow(/CALLBACK_DELIVERY="both": must be api or worker/);
  });

  it('REDIS_SENTINELS: the sentinels, the primary name and passwords; a replica acknowledges writes by default; not with REDIS_URL', () => {
    const c = loadConfig({
      REDIS_SENTINELS: 's1:26379, [::1]:26380',
      REDIS_SENTINEL_NAME: 'main',
      REDIS_PASSWORD: 'p',
      REDIS_SENTINEL_PASSWORD: 'sp',
    });
    expect(c.redis.sentinel).toEqual({
      sentinels: [
        { host: 's1', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      name: 'main',
      password: 'p',
      sentinelPassword: 'sp',
    });
    expect(c.redis.waitReplicas).toBe(1);
    expect(loadConfig({ REDIS_SENTINELS: 's1:26379', REDIS_WAIT_REPLICAS: '0' }).redis.waitReplicas).toBe(0);
    expect(loadConfig({}).redis).toMatchObject({ waitReplicas: 0 });
    expect(loadConfig({}).redis.sentinel).toBeUndefined();
    expect(() => loadConfig({ REDIS_SENTINELS: 's1' })).toThrow(/REDIS_SENTINELS: "s1" must be host:port/);
    expect(() => loadConfig({ REDIS_SENTINELS: 's1:1', REDIS_URL: 'redis://r:6379' })).toThrow(
      /REDIS_URL and REDIS_SENTINELS: set one or the other/,
    );
  });

  it('METRICS_PORT: the worker metrics listener is off unless set; 0 takes any free port; a bad port is refused', () => {
    expect(loadConfig({}).worker.metricsPort).toBeUndefined();
    expect(loadConfig({ METRICS_PORT: '9464' }).worker.metricsPort).toBe(9464);
    expect(loadConfig({ METRICS_PORT: '0' }).worker.metricsPort).toBe(0);
    expect(() => loadConfig({ METRICS_PORT: '70000' })).toThrow(/METRICS_PORT="70000": must be an integer in \[0, 65535\]/);
  });

  it('METRICS_TOKEN: not required unless set', () => {
    expect(loadConfig({}).api.metricsToken).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: ' s3cret ' }).api.metricsToken).toBe('s3cret');
  });

  it('requires S3 credentials with an external S3 endpoint', () => {
    expect(() => loadConfig({ S3_ENDPOINT: 'http://minio:9000' })).toThrow(/S3_ACCESS_KEY_ID/);
  });
});

describe('loadConfig: the dashboard', () => {
  it('DASHBOARD_USER / DASHBOARD_PASSWORD: no dashboard unless both are set; read-only unless DASHBOARD_READ_ONLY=false', () => {
    expect(loadConfig({}).dashboard).toEqual({ login: undefined, readOnly: true });
    expect(loadConfig({ DASHBOARD_USER: 'ops', DASHBOARD_PASSWORD: 'a long password', DASHBOARD_READ_ONLY: 'false' }).dashboard).toEqual({
      login: { user: 'ops', password: 'a long password' },
      readOnly: false,
    });
    expect(() => loadConfig({ DASHBOARD_USER: 'ops' })).toThrow(/DASHBOARD_USER and DASHBOARD_PASSWORD: set both or neither/);
    expect(() => loadConfig({ DASHBOARD_PASSWORD: 'a long password' })).toThrow(/set both or neither/);
    expect(() => loadConfig({ DASHBOARD_USER: 'ops', DASHBOARD_PASSWORD: 'short' })).toThrow(
      /DASHBOARD_PASSWORD: must be at least 12 characters/,
    );
    expect(() => loadConfig({ DASHBOARD_USER: 'o:ps', DASHBOARD_PASSWORD: 'a long password' })).toThrow(
      /DASHBOARD_USER: must not contain ":"/,
    );
    expect(() => loadConfig({ DASHBOARD_READ_ONLY: 'perhaps' })).toThrow(/DASHBOARD_READ_ONLY="perhaps": must be true or false/);
  });
});
