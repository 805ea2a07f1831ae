// GET /healthz: 200 once the API, Redis and S3 are reachable; 503 naming what is not. The S3 probe must
// work with a bucket-scoped key (one that may not list buckets), and must not count a store that
// answers 5xx or does not answer as reachable.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../setup/services.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { testEndpoints } from '../helpers/endpoints.js';
import { startPolicyProxy, type PolicyProxy } from '../helpers/s3-policy-proxy.js';

async function health(engine: TestEngine): Promise<{ status: number; body: { status: string; checks: Record<string, string> } }> {
  const res = await fetch(`${engine.api.url}/healthz`);
  return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, string> } };
}

describe('GET /healthz with the S3 store unreachable', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    // Nothing listens on this port.
    const deadS3 = `http://127.0.0.1:${await freePort()}`;
    engine = await startTestEngine({ endpoints: { redisUrl: testEndpoints().redisUrl, s3Endpoint: deadS3 } });
  });
  afterAll(() => engine.close());

  it('answers 503 and names the failing dependency', async () => {
    const { status, body } = await health(engine);
    expect(status).toBe(503);
    expect(body.status).toBe('unavailable');
    expect(body.checks.redis).toBe('ok');
    expect(body.checks.s3).not.toBe('ok');
    expect(body.checks.s3).toMatch(/ECONNREFUSED|connect|no answer/i);
  });
});

describe('GET /healthz with a key that may not list buckets', () => {
  let engine: TestEngine;
  let proxy: PolicyProxy;
  beforeAll(async () => {
    // ListBuckets is GET / on a path-style endpoint: this key is scoped to its buckets and may not.
    proxy = await startPolicyProxy(inject('s3Endpoint'), (req) =>
      req.method === 'GET' && (req.url === '/' || req.url?.startsWith('/?')) ? { status: 403, code: 'AccessDenied' } : undefined,
    );
    engine = await startTestEngine({ endpoints: { redisUrl: testEndpoints().redisUrl, s3Endpoint: proxy.endpoint } });
  });
  afterAll(async () => {
    await engine.close();
    await proxy.close();
  });

  it('answers 200: the store answered, so it is reachable', async () => {
    const { status, body } = await health(engine);
    expect(body.checks.s3).toBe('ok');
    expect(status).toBe(200);
    expect(proxy.seen.some((r) => r.startsWith('GET / '))).toBe(false);
    expect(proxy.seen.length).toBeGreaterThan(0);
  });
});

describe('GET /healthz with a store that answers 503', () => {
  let engine: TestEngine;
  let proxy: PolicyProxy;
  beforeAll(async () => {
    proxy = await startPolicyProxy(inject('s3Endpoint'), () => ({ status: 503, code: 'ServiceUnavailable' }));
    engine = await startTestEngine({ endpoints: { redisUrl: testEndpoints().redisUrl, s3Endpoint: proxy.endpoint } });
  });
  afterAll(async () => {
    await engine.close();
    await proxy.close();
  });

  it('answers 503: an answer of 5xx does not prove the store works', async () => {
    const { status, body } = await health(engine);
    expect(status).toBe(503);
    expect(body.checks.redis).toBe('ok');
    expect(body.checks.s3).not.toBe('ok');
  });
});
