// GET /healthz: 200 once the API, Redis and S3 are reachable; 503 naming what is not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../setup/services.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { testEndpoints } from '../helpers/endpoints.js';

describe('GET /healthz with the S3 store unreachable', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    // Nothing listens on this port.
    const deadS3 = `http://127.0.0.1:${await freePort()}`;
    engine = await startTestEngine({ endpoints: { redisUrl: testEndpoints().redisUrl, s3Endpoint: deadS3 } });
  });
  afterAll(() => engine.close());

  it('answers 503 and names the failing dependency', async () => {
    const res = await fetch(`${engine.api.url}/healthz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; checks: Record<string, string> };
    expect(body.status).toBe('unavailable');
    expect(body.checks.redis).toBe('ok');
    expect(body.checks.s3).not.toBe('ok');
    expect(body.checks.s3).toMatch(/ECONNREFUSED|connect|no answer/i);
  });
});
