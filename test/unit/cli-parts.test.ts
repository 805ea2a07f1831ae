// The command line's pure parts: where its settings come from (flags, then the environment, then the
// defaults `npm start` prints), the XML it writes, how a JobsDetail reads on a terminal, and the package
// wiring that makes `npx ci-concat` run the compiled cli/main.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/errors.js';
import { formatBytes, jobLines, jobView } from '../../cli/job-view.js';
import { apiSettings, bucketOf, regionOf, s3Settings } from '../../cli/settings.js';
import { buildXml, list, parseXml } from '../../cli/xml.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('cli settings', () => {
  it('defaults to the engine and store `npm start` runs, unsigned', () => {
    expect(apiSettings({}, {})).toEqual({ endpoint: new URL('http://127.0.0.1:8080') });
    expect(s3Settings({})).toEqual({
      endpoint: 'http://127.0.0.1:4568',
      region: 'us-east-1',
      forcePathStyle: true,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
    });
    expect(regionOf({}, {})).toBe('ap-guangzhou');
  });

  it('takes a flag over the environment, and the environment over a fallback', () => {
    const env = { CI_ENDPOINT: 'http://engine:8080', CI_BUCKET: 'env-1250000000', CI_REGION: 'ap-beijing' };
    expect(apiSettings({ endpoint: 'https://flag.example:9443/ci' }, env).endpoint.href).toBe('https://flag.example:9443/ci');
    expect(apiSettings({}, env).endpoint.href).toBe('http://engine:8080/');
    expect(bucketOf({ bucket: 'flag-1250000000' }, env, 'output-1250000000')).toBe('flag-1250000000');
    expect(bucketOf({}, env, 'output-1250000000')).toBe('env-1250000000');
    expect(bucketOf({}, {}, 'output-1250000000')).toBe('output-1250000000');
    expect(regionOf({ region: 'ap-shanghai' }, env)).toBe('ap-shanghai');
    expect(regionOf({}, {}, 'ap-chengdu')).toBe('ap-chengdu');
  });

  it('reads the S3 store from the variables the engine reads', () => {
    expect(s3Settings({ S3_PORT: '14568' }).endpoint).toBe('http://127.0.0.1:14568');
    expect(
      s3Settings({
        S3_ENDPOINT: 'http://minio:9000',
        S3_PORT: '14568',
        S3_REGION: 'eu-west-1',
        S3_FORCE_PATH_STYLE: 'false',
        S3_ACCESS_KEY_ID: 'minio',
        S3_SECRET_ACCESS_KEY: 'minio-secret',
      }),
    ).toEqual({
      endpoint: 'http://minio:9000',
      region: 'eu-west-1',
      forcePathStyle: false,
      accessKeyId: 'minio',
      secretAccessKey: 'minio-secret',
    });
  });

  it('signs with CI_SECRET_ID/CI_SECRET_KEY (and a session token), and refuses half a key pair or a bad endpoint', () => {
    expect(apiSettings({}, { CI_SECRET_ID: 'AKIDx', CI_SECRET_KEY: 'k' }).credentials).toEqual({ secretId: 'AKIDx', secretKey: 'k' });
    expect(apiSettings({}, { CI_SECRET_ID: 'AKIDx', CI_SECRET_KEY: 'k', CI_SECURITY_TOKEN: 't' }).credentials).toEqual({
      secretId: 'AKIDx',
      secretKey: 'k',
      sessionToken: 't',
    });
    expect(() => apiSettings({}, { CI_SECRET_ID: 'AKIDx' })).toThrow(UsageError);
    expect(() => apiSettings({ endpoint: 'ftp://x' }, {})).toThrow(/--endpoint \/ CI_ENDPOINT must be an http\(s\) URL/);
    expect(() => bucketOf({}, {})).toThrow(/--bucket/);
  });
});

describe('cli xml', () => {
  it('writes elements in order with their text escaped, and reads it back unchanged', () => {
    const body = buildXml({ Request: { Name: `a&b <c> "d" 'e'`, State: 'Paused', NotifyConfig: { State: 'Off' } } });
    expect(body).toBe(
      '<Request><Name>a&amp;b &lt;c&gt; &quot;d&quot; &apos;e&apos;</Name><State>Paused</State><NotifyConfig><State>Off</State></NotifyConfig></Request>',
    );
    expect(parseXml(body)).toEqual({ Request: { Name: `a&b <c> "d" 'e'`, State: 'Paused', NotifyConfig: { State: 'Off' } } });
  });

  it('reads a repeated element as a list whether it appears once or more', () => {
    expect(list((parseXml('<R><J>1</J></R>').R as { J: unknown }).J)).toEqual(['1']);
    expect(list((parseXml('<R><J>1</J><J>2</J></R>').R as { J: unknown }).J)).toEqual(['1', '2']);
    expect(list(undefined)).toEqual([]);
  });
});

describe('cli job view', () => {
  const success = parseXml(`<Response><JobsDetail><Code>Success</Code><Message/><JobId>j1</JobId><State>Success</State>
    <Progress>100</Progress><CreationTime>2026-01-01T00:00:00+0800</CreationTime><StartTime>2026-01-01T00:00:01+0800</StartTime>
    <EndTime>2026-01-01T00:00:09+0800</EndTime><QueueId>p1</QueueId><Tag>Concat</Tag>
    <Operation><MediaInfo><Format><Duration>9.018000</Duration><Size>1060099</Size></Format></MediaInfo>
    <MediaResult><OutputFile><Bucket>b-1250000000</Bucket><Region>ap-guangzhou</Region><ObjectPrefix/><ObjectName>output/j1.mp4</ObjectName></OutputFile></MediaResult>
    </Operation></JobsDetail></Response>`);

  it("reads the output's key, duration and size from MediaResult and MediaInfo", () => {
    const job = jobView((success.Response as Record<string, unknown>).JobsDetail);
    expect(job).toMatchObject({
      jobId: 'j1',
      state: 'Success',
      progress: 100,
      output: { bucket: 'b-1250000000', key: 'output/j1.mp4', durationSec: 9.018, sizeBytes: 1060099 },
    });
    expect(jobLines(job)).toEqual([
      'Job:       j1',
      'State:     Success',
      'Progress:  100%',
      'Queue:     p1',
      'Created:   2026-01-01T00:00:00+0800',
      'Started:   2026-01-01T00:00:01+0800',
      'Ended:     2026-01-01T00:00:09+0800',
      'Output:    b-1250000000/output/j1.mp4',
      'Duration:  9.018 s',
      'Size:      1.1 MB (1060099 bytes)',
    ]);
  });

  it("shows a failed job's Code and Message, and no output", () => {
    const failed = parseXml(`<JobsDetail><Code>ResourceNotFound</Code><Message>object a.mp4 does not exist</Message><JobId>j2</JobId>
      <State>Failed</State><Progress>0</Progress><StartTime>-</StartTime><EndTime>-</EndTime><Operation/></JobsDetail>`);
    const lines = jobLines(jobView(failed.JobsDetail));
    expect(lines).toContain('Error:     ResourceNotFound: object a.mp4 does not exist');
    expect(lines.some((l) => l.startsWith('Output:') || l.startsWith('Started:'))).toBe(false);
  });

  it('prints sizes in decimal units', () => {
    expect([999, 1000, 12_345, 1_060_099, 25_000_000_000].map(formatBytes)).toEqual(['999 B', '1.0 kB', '12 kB', '1.1 MB', '25 GB']);
  });
});

describe('cli package wiring', () => {
  it('`bin` runs what `npm run build` compiles from cli/main.ts', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    const build = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    const base = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')) as {
      compilerOptions: { outDir: string; rootDir: string };
    };
    expect(base.compilerOptions).toMatchObject({ outDir: 'dist', rootDir: '.' });
    expect(build.include).toContain('cli');
    expect(pkg.bin).toEqual({ 'ci-concat': 'dist/cli/main.js' });
    expect(readFileSync(path.join(ROOT, 'cli/main.ts'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });
});
