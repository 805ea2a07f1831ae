// The `ci-concat` command line as a user runs it: the package's `bin`, built from cli/ in the setup and
// run as a subprocess against engines started here. One engine has a worker and no key (uploads, a job
// that succeeds and one that fails, listing and describing); one has a key and no worker, so its jobs
// wait (signing, cancel, pause and resume). A bar is drawn when the CLI runs in a terminal (`script`
// gives it one).
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3 } from '../../src/storage/s3.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { makeClip } from '../helpers/media.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const BUCKET = `cli-${randomBytes(4).toString('hex')}-1250000000`;
const REGION = 'ap-chengdu';
const KEY = { id: 'AKIDcliTestKey0001', secret: 'cli-test-secret-0001' };

let engine: TestEngine;
let signed: TestEngine;
let work: string;
let bin: string;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI's environment: no CI_ or S3_ variable of this process, the unsigned engine's addresses, then `env`. */
function cliEnv(env: Record<string, string> = {}): Record<string, string | undefined> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(CI|S3)_/.test(k)));
  return { ...base, S3_ENDPOINT: engine.endpoints.s3Endpoint, CI_ENDPOINT: engine.api.url, ...env };
}

/** Runs the built bin with `args`. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd: work, env: cliEnv(env), timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const asSigned = { CI_ENDPOINT: '', CI_SECRET_ID: KEY.id, CI_SECRET_KEY: KEY.secret };

function jobXml(fragments: string[]): string {
  return `<Request>
  <Tag>Concat</Tag>
  <Operation>
    <ConcatTemplate>
${fragments.map((f) => `      <ConcatFragment><Url>${f}</Url></ConcatFragment>`).join('\n')}
      <Container><Format>mp4</Format></Container>
    </ConcatTemplate>
    <Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>out/\${jobid}.\${ext}</Object></Output>
  </Operation>
</Request>
`;
}

async function objectSize(key: string): Promise<number | undefined> {
  const s3 = createS3({
    endpoint: engine.endpoints.s3Endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  });
  try {
    return (await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))).ContentLength;
  } catch {
    return undefined;
  } finally {
    s3.destroy();
  }
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'cli-'));
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  bin = path.join(ROOT, pkg.bin['ci-concat']!);
  // The same compile `npm run build` makes of cli/, alone: a few seconds.
  await Promise.all([
    makeClip(path.join(work, 'a.mp4'), { durationSec: 1, audio: true }),
    run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.cli.json'], { cwd: ROOT }),
  ]);
  engine = await startTestEngine({ worker: true });
  signed = await startTestEngine({ env: { CI_SECRET_ID: KEY.id, CI_SECRET_KEY: KEY.secret } });
  asSigned.CI_ENDPOINT = signed.api.url;
  writeFileSync(path.join(work, 'job.xml'), jobXml(['in/a.mp4', 'in/a.mp4']));
  writeFileSync(path.join(work, 'bad.xml'), jobXml(['in/a.mp4', 'in/missing.mp4']));
}, 120_000);

afterAll(async () => {
  await engine.close();
  await signed.close();
  rmSync(work, { recursive: true, force: true });
});

describe('ci-concat', () => {
  let okJob = '';
  let badJob = '';

  it('uploads files to the store, creating the bucket, and prints each key', async () => {
    const r = await cli(['upload', 'a.mp4', '--bucket', BUCKET, '--prefix', 'in/']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^in\/a\.mp4 {2}\(/);
    expect(r.stderr).toContain(`created bucket ${BUCKET}`);
    // The S3 SDK's notice about its own future Node versions is not the user's business here.
    expect(r.stderr).not.toContain('Warning');
    expect(await objectSize('in/a.mp4')).toBe(readFileSync(path.join(work, 'a.mp4')).length);
  });

  it('submits a job with --wait: exit code 0, then the output key, duration and size, and the output exists', async () => {
    const r = await cli(['submit', 'job.xml', '--wait', '--interval', '100']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    okJob = lines[0]!;
    expect(okJob).toMatch(/^j[0-9a-f]{32}$/);
    expect(lines[1]).toBe(`${okJob}: Success`);
    const key = `out/${okJob}.mp4`;
    expect(r.stdout).toContain(`Output:    ${BUCKET}/${key}\n`);
    expect(Number(/Duration: +([\d.]+) s/.exec(r.stdout)?.[1])).toBeCloseTo(2, 0);
    const size = await objectSize(key);
    expect(size).toBeGreaterThan(1000);
    expect(r.stdout).toContain(`(${size} bytes)`);
    // Without a terminal each state is a line on stderr instead of a bar.
    expect(r.stderr).toContain(`${okJob}: Success`);
  });

  it('exits non-zero with the Code and Message of a job that fails', async () => {
    const r = await cli(['submit', 'bad.xml', '--wait', '--interval', '100']);
    expect(r.code).toBe(1);
    badJob = r.stdout.trim();
    expect(badJob).toMatch(/^j[0-9a-f]{32}$/);
    expect(r.stderr).toContain(`${badJob}: Failed\nResourceNotFound: `);
    expect(r.stderr).toMatch(/ResourceNotFound: .*missing\.mp4/);
  });

  it('lists jobs, by state too, and describes one', async () => {
    const all = await cli(['jobs', '--bucket', BUCKET, '--region', REGION]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout.split('\n')[0]).toMatch(/^JOB +STATE +PROGRESS +CREATED +OUTPUT \/ CODE$/);
    expect(all.stdout).toMatch(new RegExp(`${okJob} +Success +100% .* out/${okJob}\\.mp4`));
    expect(all.stdout).toMatch(new RegExp(`${badJob} +Failed .* ResourceNotFound`));

    const failed = JSON.parse((await cli(['jobs', '--state', 'Failed', '--json'], { CI_BUCKET: BUCKET })).stdout);
    expect(failed.jobs.map((j: { jobId: string }) => j.jobId)).toEqual([badJob]);

    const one = await cli(['job', okJob, '--bucket', BUCKET]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toContain(`Job:       ${okJob}\nState:     Success\nProgress:  100%\n`);
    expect(one.stdout).toContain(`Output:    ${BUCKET}/out/${okJob}.mp4`);
    const json = JSON.parse((await cli(['job', badJob, '--bucket', BUCKET, '--json'])).stdout);
    expect(json).toMatchObject({ jobId: badJob, state: 'Failed', code: 'ResourceNotFound' });

    const unknown = await cli(['job', 'j0123456789abcdef0123456789abcdef', '--bucket', BUCKET]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('does not exist');
  });

  it('draws a progress bar in a terminal', async () => {
    // `script` runs the command on a pseudo-terminal, as a person's shell would.
    const command = [process.execPath, bin, 'submit', 'job.xml', '--wait', '--interval', '100'].map((a) => `'${a}'`).join(' ');
    const r = await run('script', ['-qec', command, '/dev/null'], {
      cwd: work,
      env: cliEnv(),
      timeout: 30_000,
    });
    expect(r.stdout).toMatch(/\u2588{40} 100% \| Success/);
    expect(r.stdout).toMatch(/Output: +\S+\/out\/j[0-9a-f]{32}\.mp4/);
  });

  it('signs its requests with CI_SECRET_ID/CI_SECRET_KEY; a wrong key or none is refused with the Code', async () => {
    const ok = await cli(['jobs', '--bucket', BUCKET], asSigned);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.trim()).toBe('no jobs');

    const wrong = await cli(['jobs', '--bucket', BUCKET], { ...asSigned, CI_SECRET_KEY: 'not-the-key' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^AccessDenied: the signature does not match/);

    const none = await cli(['jobs', '--bucket', BUCKET], { CI_ENDPOINT: signed.api.url });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^MissingAuthorization: /);
  });

  it('pauses and resumes the default queue, and cancels a waiting job (signed, on an engine without a worker)', async () => {
    const submitted = await cli(['submit', 'job.xml'], asSigned);
    expect(submitted.code, submitted.stderr).toBe(0);
    const jobId = submitted.stdout.trim();
    const state = async () => JSON.parse((await cli(['job', jobId, '--bucket', BUCKET, '--json'], asSigned)).stdout).state as string;
    expect(await state()).toBe('Submitted');

    const paused = await cli(['queue', 'pause', '--bucket', BUCKET], asSigned);
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toMatch(/^queue p[0-9a-f]{32} \(queue-1\): Paused$/m);
    expect(await state()).toBe('Pause');
    const refused = await cli(['submit', 'job.xml'], asSigned);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^QueuePaused: queue p[0-9a-f]{32} is paused/);

    const queueId = /queue (p[0-9a-f]{32})/.exec(paused.stdout)![1]!;
    const resumed = JSON.parse((await cli(['queue', 'resume', '--queue', queueId, '--bucket', BUCKET, '--json'], asSigned)).stdout);
    expect(resumed).toEqual({ queueId, name: 'queue-1', state: 'Active' });
    expect(await state()).toBe('Submitted');

    const cancelled = await cli(['cancel', jobId, '--bucket', BUCKET], asSigned);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout.trim()).toBe(`${jobId}: Cancel`);
    expect(await state()).toBe('Cancel');
    const again = await cli(['cancel', jobId, '--bucket', BUCKET], asSigned);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^InvalidArgument: /);
  });

  it('stops waiting on Ctrl-C and leaves the job as it is', async () => {
    // The signed engine has no worker: the job waits until it is cancelled.
    const child = spawn(process.execPath, [bin, 'submit', 'job.xml', '--wait', '--interval', '100'], { cwd: work, env: cliEnv(asSigned) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 200 && !stderr.includes(': Submitted'); i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const jobId = stdout.trim();
    expect(stderr).toContain(`stopped waiting; the job goes on: ci-concat job ${jobId} --bucket ${BUCKET}\n`);
    const job = JSON.parse((await cli(['job', jobId, '--bucket', BUCKET, '--json'], asSigned)).stdout);
    expect(job.state).toBe('Submitted');
    expect((await cli(['cancel', jobId, '--bucket', BUCKET], asSigned)).code).toBe(0);
  });

  it('says the engine is not running, and how to start it, when nothing listens', async () => {
    const r = await cli(['jobs', '--bucket', BUCKET, '--endpoint', 'http://127.0.0.1:9']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the engine is not running at http://127.0.0.1:9');
    expect(r.stderr).toContain('`npm start`');
    const s3 = await cli(['upload', 'a.mp4', '--bucket', BUCKET], { S3_ENDPOINT: 'http://127.0.0.1:9' });
    expect(s3.code).toBe(1);
    expect(s3.stderr).toContain('the S3 store is not answering at http://127.0.0.1:9');
  });

  it('asks for the bucket when neither --bucket nor CI_BUCKET names it', async () => {
    const r = await cli(['jobs']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--bucket');
  });
});
