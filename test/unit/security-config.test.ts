// The security and limit variables of the config (defaults, validation listing every bad one) and the
// job-limit helpers the worker uses.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { checkFreeDisk, checkOutputDuration, InputBudget, withJobTimeout } from '../../src/worker/job-limits.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (e) {
    return (e as ConfigError).problems;
  }
}

describe('security configuration', () => {
  it('has safe defaults', () => {
    expect(loadConfig({})).toMatchObject({
      api: {
        security: {
          credentials: [],
          clockSkewSeconds: 300,
          requestLimits: { maxDepth: 20, maxElements: 5000, maxFragments: 100, maxStringLength: 4096 },
        },
      },
      worker: { fetchAllowedHosts: [] },
      callbacks: {
        blockPrivate: false,
        signingKey: undefined,
      },
      job: {
        limits: {
          maxInputBytes: 10 * 1024 ** 3,
          maxOutputDurationSec: 6 * 3600,
          timeoutSec: 6 * 3600,
          minFreeDiskBytes: 512 * 1024 ** 2,
        },
      },
    });
  });

  it('merges CI_SECRET_ID/CI_SECRET_KEY with CI_CREDENTIALS_FILE', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
    try {
      const file = path.join(dir, 'keys.json');
      writeFileSync(file, JSON.stringify([{ secretId: 'AKIDb', secretKey: 'kb', buckets: ['b-1'] }]));
      expect(loadConfig({ CI_SECRET_ID: 'AKIDa', CI_SECRET_KEY: 'ka', CI_CREDENTIALS_FILE: file }).api.security.credentials).toEqual([
        { secretId: 'AKIDa', secretKey: 'ka' },
        { secretId: 'AKIDb', secretKey: 'kb', buckets: ['b-1'] },
      ]);
      writeFileSync(file, JSON.stringify([{ secretId: 'AKIDa', secretKey: 'other' }]));
      expect(problemsOf({ CI_SECRET_ID: 'AKIDa', CI_SECRET_KEY: 'ka', CI_CREDENTIALS_FILE: file }).join()).toMatch(
        /AKIDa is configured more than once/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads every variable and lists every bad one', () => {
    const c = loadConfig({
      CI_CLOCK_SKEW_SECONDS: '60',
      MAX_XML_DEPTH: '10',
      MAX_XML_ELEMENTS: '100',
      MAX_FRAGMENTS: '5',
      MAX_STRING_LENGTH: '1000',
      FETCH_ALLOWED_HOSTS: 'Media.Example.com, *.cdn.example.org ,x.example.net:8443',
      CALLBACK_BLOCK_PRIVATE: 'true',
      CALLBACK_SIGNING_KEY: '0123456789abcdef',
      MAX_JOB_INPUT_BYTES: '0',
      MAX_OUTPUT_DURATION_SECONDS: '60',
      JOB_TIMEOUT_SECONDS: '120',
      MIN_FREE_DISK_BYTES: '0',
    });
    expect(c).toMatchObject({
      api: {
        security: {
          clockSkewSeconds: 60,
          requestLimits: { maxDepth: 10, maxElements: 100, maxFragments: 5, maxStringLength: 1000 },
        },
      },
      worker: { fetchAllowedHosts: ['media.example.com', '*.cdn.example.org', 'x.example.net:8443'] },
      callbacks: {
        blockPrivate: true,
        signingKey: '0123456789abcdef',
      },
      job: {
        limits: {
          maxInputBytes: 0,
          maxOutputDurationSec: 60,
          timeoutSec: 120,
          minFreeDiskBytes: 0,
        },
      },
    });
    const problems = problemsOf({
      CI_CLOCK_SKEW_SECONDS: '-1',
      MAX_XML_DEPTH: '1',
      MAX_XML_ELEMENTS: 'many',
      MAX_FRAGMENTS: '0',
      MAX_STRING_LENGTH: '10',
      FETCH_ALLOWED_HOSTS: 'http://x.com',
      CALLBACK_BLOCK_PRIVATE: 'maybe',
      CALLBACK_SIGNING_KEY: 'short',
      MAX_JOB_INPUT_BYTES: '1e9',
      MAX_OUTPUT_DURATION_SECONDS: 'x',
      JOB_TIMEOUT_SECONDS: '-5',
      MIN_FREE_DISK_BYTES: '1.5',
      CI_CREDENTIALS_FILE: '/nonexistent/keys.json',
    });
    for (const name of [
      'CI_CLOCK_SKEW_SECONDS',
      'MAX_XML_DEPTH',
      'MAX_XML_ELEMENTS',
      'MAX_FRAGMENTS',
      'MAX_STRING_LENGTH',
      'FETCH_ALLOWED_HOSTS',
      'CALLBACK_BLOCK_PRIVATE',
      'CALLBACK_SIGNING_KEY',
      'MAX_JOB_INPUT_BYTES',
      'MAX_OUTPUT_DURATION_SECONDS',
      'JOB_TIMEOUT_SECONDS',
      'MIN_FREE_DISK_BYTES',
      'CI_CREDENTIALS_FILE',
    ]) {
      expect(problems.join('\n')).toContain(name);
    }
    expect(problems).toHaveLength(13);
  });
});

describe('job limit helpers', () => {
  it('InputBudget counts across downloads and names the variable', () => {
    const b = new InputBudget(100);
    b.reserve(60, 'a');
    b.reserve(40, 'b');
    expect(() => b.reserve(1, 'object c.mp4')).toThrow(
      expect.objectContaining({ code: 'ResourceLimitExceeded', message: expect.stringMatching(/MAX_JOB_INPUT_BYTES.*object c\.mp4/) }),
    );
    expect(() => new InputBudget(0).reserve(2 ** 50, 'x')).not.toThrow();
  });

  it('checkFreeDisk compares with MIN_FREE_DISK_BYTES', async () => {
    await expect(checkFreeDisk('/x', 1000, () => Promise.resolve(999))).rejects.toMatchObject({
      code: 'InsufficientStorage',
      message: expect.stringContaining('MIN_FREE_DISK_BYTES'),
    });
    await expect(checkFreeDisk('/x', 1000, () => Promise.resolve(1000))).resolves.toBeUndefined();
    await expect(checkFreeDisk(tmpdir(), 1)).resolves.toBeUndefined();
  });

  it('checkOutputDuration compares with MAX_OUTPUT_DURATION_SECONDS (0: none)', () => {
    expect(() => checkOutputDuration(61, 60)).toThrow(expect.objectContaining({ code: 'ResourceLimitExceeded' }));
    expect(() => checkOutputDuration(60, 60)).not.toThrow();
    expect(() => checkOutputDuration(1e9, 0)).not.toThrow();
  });

  it('withJobTimeout fails with JobTimeout even when the work ignores the signal, and passes a shutdown through', async () => {
    const parent = new AbortController();
    await expect(withJobTimeout(0.05, parent.signal, () => new Promise(() => undefined))).rejects.toMatchObject({
      code: 'JobTimeout',
      message: expect.stringContaining('JOB_TIMEOUT_SECONDS'),
    });
    let seen: AbortSignal | undefined;
    await expect(
      withJobTimeout(0.05, parent.signal, (s) => {
        seen = s;
        return new Promise((_, reject) => s.addEventListener('abort', () => reject(new Error('stopped'))));
      }),
    ).rejects.toMatchObject({ code: 'JobTimeout' });
    expect(seen?.aborted).toBe(true);
    await expect(withJobTimeout(5, parent.signal, () => Promise.resolve('done'))).resolves.toBe('done');
    const shutdown = withJobTimeout(
      5,
      parent.signal,
      (s) => new Promise((_, reject) => s.addEventListener('abort', () => reject(new Error('worker stopping')))),
    );
    parent.abort();
    await expect(shutdown).rejects.toThrow('worker stopping');
  });
});
