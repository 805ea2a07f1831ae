// Concat jobs that really run: the seed's examples 2 and 3 and a mixed-inputs job, submitted with the
// official SDK, fetched from and written to the real S3 store, checked with ffprobe and MD5.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3 } from '../../src/storage/s3.js';
import { BUCKET, REGION, ciRequest, cosClient } from '../helpers/cos-client.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { makeSyncClip } from '../helpers/av-sync.js';
import { ffprobeJson, makeClip, maxVolumeDb } from '../helpers/media.js';
import { SEED_REQUEST_2, SEED_REQUEST_3 } from '../fixtures/seed-examples.js';

let engine: TestEngine;
let cos: ReturnType<typeof cosClient>;
let s3: S3Client;
let work: string;

async function put(bucket: string, key: string, file: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: await readFile(file) }));
}

async function getToFile(bucket: string, key: string): Promise<{ file: string; md5: string }> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const bytes = Buffer.from(await res.Body!.transformToByteArray());
  const file = path.join(work, `got-${Math.random().toString(16).slice(2)}-${path.basename(key)}`);
  writeFileSync(file, bytes);
  return { file, md5: createHash('md5').update(bytes).digest('hex') };
}

async function runJob(body: string, timeoutMs = 120_000): Promise<any> {
  const res = await ciRequest(cos, { Method: 'POST', Key: 'jobs', Body: body });
  expect(res.statusCode, JSON.stringify(res.body)).toBe(200);
  const jobId = res.body.Response.JobsDetail.JobId;
  const deadline = Date.now() + timeoutMs;
  const progress: number[] = [];
  for (;;) {
    const d = (await ciRequest(cos, { Method: 'GET', Key: `jobs/${jobId}` })).body.Response.JobsDetail;
    progress.push(Number(d.Progress));
    if (d.State === 'Success' || d.State === 'Failed') return { ...d, progressSeen: progress };
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${d.State}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const run = promisify(execFile);

/** The hash column of `ffmpeg -f framemd5` over a file's decoded pictures. */
async function frameHashes(file: string): Promise<string[]> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:v:0', '-f', 'framemd5', '-'], { maxBuffer: 1 << 24 });
  return stdout
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(',').pop()!.trim());
}

const streams = (probe: Awaited<ReturnType<typeof ffprobeJson>>, type: string) =>
  (probe.streams ?? []).filter((s) => s.codec_type === type);

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'concat-e2e-'));
  engine = await startTestEngine({ worker: true, env: { WORKER_CONCURRENCY: '2' } });
  cos = cosClient(engine.api.url);
  s3 = createS3({
    endpoint: engine.endpoints.s3Endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  });
  for (const b of [BUCKET, 'test-xxx']) await s3.send(new CreateBucketCommand({ Bucket: b })).catch(() => undefined);
  const clip = (name: string, spec: Parameters<typeof makeClip>[1]) => makeClip(path.join(work, name), spec);
  await Promise.all([
    clip('demo.mp4', { width: 320, height: 180, fps: 25, durationSec: 2, audio: true }).then((f) => put(BUCKET, 'input/demo.mp4', f)),
    clip('start.mp4', { width: 320, height: 180, fps: 30, durationSec: 7, audio: true }).then((f) => put(BUCKET, 'start.mp4', f)),
    clip('middle.mp4', { width: 180, height: 320, fps: 25, durationSec: 2, audio: false }).then((f) => put(BUCKET, 'middle.mp4', f)),
    clip('end.mp4', { width: 320, height: 180, fps: 25, durationSec: 10, audio: true }).then((f) => put(BUCKET, 'end.mp4', f)),
    clip('short-start.mp4', { width: 320, height: 180, fps: 30, durationSec: 2, audio: true }).then((f) =>
      put(BUCKET, 'short/start.mp4', f),
    ),
    clip('short-end.mp4', { width: 180, height: 320, fps: 25, durationSec: 2, audio: true }).then((f) => put(BUCKET, 'short/end.mp4', f)),
    // A recording with B-frames and an IDR picture every second, for trims cut frame-exact.
    makeSyncClip(path.join(work, 'recording.mp4'), {
      frames: 90,
      fps: 30,
      width: 320,
      height: 240,
      moving: true,
      videoCodecArgs: ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'],
      videoArgs: ['-bf', '3', '-g', '30', '-sc_threshold', '0'],
    }).then((f) => put(BUCKET, 'recording.mp4', f)),
    clip('mix1.mp3', { video: false, durationSec: 3, audio: true, frequency: 880, sampleRate: 44100 }).then((f) =>
      put('test-xxx', 'mix1.mp3', f),
    ),
    clip('mix2.mp3', { video: false, durationSec: 3, audio: true, frequency: 220, sampleRate: 44100 }).then((f) =>
      put('test-xxx', 'mix2.mp3', f),
    ),
  ]);
}, 120_000);

afterAll(async () => {
  // Either may be unset when beforeAll failed part way; the temporary directory still goes.
  await (engine as TestEngine | undefined)?.close();
  (s3 as S3Client | undefined)?.destroy();
  rmSync(work, { recursive: true, force: true });
});

describe('Concat jobs through the API', () => {
  it('runs seed example 3: three fragments by FragmentIndex with trims, to mp4', async () => {
    const d = await runJob(SEED_REQUEST_3.replace('http://callback.demo.com', 'no'));
    expect(d.State, d.Message).toBe('Success');
    expect(d.Progress).toBe('100');
    expect(d.progressSeen).toEqual([...d.progressSeen].sort((x: number, y: number) => x - y));
    const outKey = 'output/out.mp4';
    const result = d.Operation.MediaResult.OutputFile;
    expect(result).toMatchObject({ Bucket: BUCKET, Region: REGION, ObjectName: outKey });
    const { file, md5 } = await getToFile(BUCKET, outKey);
    expect(result.Md5Info).toEqual({ Md5: md5, ObjectName: outKey });
    const probe = await ffprobeJson(file);
    // 6 s of start.mp4 + all 2 s of middle.mp4 + 5 s of end.mp4.
    expect(Number(probe.format?.duration)).toBeCloseTo(13, 0);
    const [v] = streams(probe, 'video');
    const [a] = streams(probe, 'audio');
    expect(v).toMatchObject({ codec_name: 'h264', width: 320, height: 180 });
    expect(a).toMatchObject({ codec_name: 'aac' });
    expect(Number(a?.duration)).toBeCloseTo(13, 0);
    // MediaInfo describes the object in storage.
    expect(d.Operation.MediaInfo.Format.Size).toBe(String(probe.format?.size));
    expect(Number(d.Operation.MediaInfo.Format.Duration)).toBeCloseTo(Number(probe.format?.duration), 3);
    expect(d.Operation.MediaInfo.Stream.Video.Width).toBe('320');
    expect(d.Operation.MediaInfo.Stream.Audio.CodecName).toBe('aac');
  });

  it('runs seed example 2: Input at Index between fragments, 1280x720 at 30 fps, mp3 audio, AudioMixArray replacing the audio', async () => {
    // The seed's body, with 2 s start and end clips (the 720p encode is the slow part of this suite).
    const body = SEED_REQUEST_2.replace('http://callback.demo.com', 'no')
      .replace('<ConcatTemplate>', '<ConcatTemplate><Index>1</Index>')
      .replace('/start.mp4', '/short/start.mp4')
      .replace('/end.mp4', '/short/end.mp4');
    const d = await runJob(body);
    expect(d.State, d.Message).toBe('Success');
    const { file, md5 } = await getToFile(BUCKET, 'output/out.mp4');
    expect(d.Operation.MediaResult.OutputFile.Md5Info.Md5).toBe(md5);
    const probe = await ffprobeJson(file);
    // short/start.mp4 (2 s) + input/demo.mp4 (2 s) + short/end.mp4 (2 s).
    expect(Number(probe.format?.duration)).toBeCloseTo(6, 0);
    const [v] = streams(probe, 'video');
    const [a] = streams(probe, 'audio');
    expect(v).toMatchObject({ codec_name: 'h264', width: 1280, height: 720, avg_frame_rate: '30/1' });
    expect(a).toMatchObject({ codec_name: 'mp3' });
    // Replace: the background music (two Once tracks of 3 s) is the audio, at full level.
    expect(await maxVolumeDb(file)).toBeGreaterThan(-30);
  });

  it('joins mixed inputs (landscape and portrait, 25 and 30 fps, one without audio) into one file with audio throughout', async () => {
    const body = `<Request><Tag>Concat</Tag><Operation><ConcatTemplate>
<ConcatFragment><Url>start.mp4</Url><StartTime>0</StartTime><EndTime>1.5</EndTime></ConcatFragment>
<ConcatFragment><Url>http://${BUCKET}.cos.${REGION}.myqcloud.com/middle.mp4</Url></ConcatFragment>
<ConcatFragment><Url>${engine.endpoints.s3Endpoint}/${BUCKET}/end.mp4</Url><StartTime>1</StartTime><EndTime>2.5</EndTime></ConcatFragment>
<Video><Codec>H.264</Codec><Width>320</Width></Video><Container><Format>mp4</Format></Container></ConcatTemplate>
<Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>mixed/\${jobid}.\${ext}</Object></Output></Operation></Request>`;
    const d = await runJob(body);
    expect(d.State, d.Message).toBe('Success');
    const key = `mixed/${d.JobId}.mp4`;
    expect(d.Operation.MediaResult.OutputFile.ObjectName).toBe(key);
    const probe = await ffprobeJson((await getToFile(BUCKET, key)).file);
    const [v] = streams(probe, 'video');
    const [a] = streams(probe, 'audio');
    expect(v).toMatchObject({ width: 320, height: 180 });
    expect(Number(probe.format?.duration)).toBeCloseTo(5, 0);
    expect(Number(a?.duration)).toBeCloseTo(Number(v?.duration), 0);
  });

  it('copies the picture of a job that asks for nothing new (AUTO_COPY is on by default): every frame as in the sources', async () => {
    const body = `<Request><Tag>Concat</Tag><Operation><ConcatTemplate>
<ConcatFragment><Url>short/start.mp4</Url></ConcatFragment>
<ConcatFragment><Url>short/start.mp4</Url></ConcatFragment>
<Video><Codec>H.264</Codec></Video><Container><Format>mp4</Format></Container></ConcatTemplate>
<Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>copied/\${jobid}.\${ext}</Object></Output></Operation></Request>`;
    const d = await runJob(body);
    expect(d.State, d.Message).toBe('Success');
    const { file } = await getToFile(BUCKET, `copied/${d.JobId}.mp4`);
    // An encode would not give back the sources' pictures bit for bit.
    const source = await frameHashes(path.join(work, 'short-start.mp4'));
    expect(source).toHaveLength(60);
    expect(await frameHashes(file)).toEqual([...source, ...source]);
    const probe = await ffprobeJson(file);
    const [a] = streams(probe, 'audio');
    expect(a).toMatchObject({ codec_name: 'aac' });
    expect(Number(a?.duration)).toBeCloseTo(4, 1);
    const { stdout, stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-i', file, '-f', 'null', '-']);
    expect(stdout + stderr).toBe('');
  });

  it('cuts trims of an H.264 recording frame-exact (AUTO_COPY is on by default): the GOPs between the cuts come back bit for bit', async () => {
    const body = `<Request><Tag>Concat</Tag><Operation><ConcatTemplate>
<ConcatFragment><Url>recording.mp4</Url><StartTime>0.52</StartTime><EndTime>2.39</EndTime></ConcatFragment>
<ConcatFragment><Url>recording.mp4</Url><StartTime>1.1</StartTime><EndTime>2.9</EndTime></ConcatFragment>
<Container><Format>mp4</Format></Container></ConcatTemplate>
<Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>cut/\${jobid}.\${ext}</Object></Output></Operation></Request>`;
    const d = await runJob(body);
    expect(d.State, d.Message).toBe('Success');
    const { file } = await getToFile(BUCKET, `cut/${d.JobId}.mp4`);
    // Frames 16..72 (0.52 s is 0.6 frame into frame 15), then 33..86, as the encode path would keep them.
    const out = await frameHashes(file);
    expect(out).toHaveLength(57 + 54);
    // Frames 30..59 of the recording, an IDR picture to the next, were copied, not encoded.
    const source = await frameHashes(path.join(work, 'recording.mp4'));
    expect(out.slice(14, 44)).toEqual(source.slice(30, 60));
    // The second trim holds no whole GOP (it ends before frame 90's IDR picture): it is all re-encoded.
    expect(out.slice(57 + 27, 57 + 54)).not.toEqual(source.slice(60, 87));
    const { stdout, stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-v', 'error', '-i', file, '-f', 'null', '-']);
    expect(stdout + stderr).toBe('');
  });

  it('writes HLS as a playlist with relative segment names, segments beside it', async () => {
    const body = `<Request><Tag>Concat</Tag><Operation><ConcatTemplate>
<ConcatFragment><Url>input/demo.mp4</Url></ConcatFragment><ConcatFragment><Url>input/demo.mp4</Url></ConcatFragment>
<Container><Format>hls</Format></Container></ConcatTemplate>
<Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>hls/\${jobid}/index.\${ext}</Object></Output></Operation></Request>`;
    const d = await runJob(body);
    expect(d.State, d.Message).toBe('Success');
    const key = `hls/${d.JobId}/index.m3u8`;
    expect(d.Operation.MediaResult.OutputFile.ObjectName).toBe(key);
    const playlist = await readFile((await getToFile(BUCKET, key)).file, 'utf8');
    const segments = playlist.split('\n').filter((l) => l.endsWith('.ts'));
    expect(segments.length).toBeGreaterThan(0);
    for (const s of segments) expect(s).not.toMatch(/^\/|:\/\//);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `hls/${d.JobId}/` }));
    const keys = (listed.Contents ?? []).map((o) => o.Key);
    for (const s of segments) expect(keys).toContain(`hls/${d.JobId}/${s}`);
  });

  it('fails with ResourceNotFound naming a missing fragment', async () => {
    const body = `<Request><Tag>Concat</Tag><Operation><ConcatTemplate><ConcatFragment><Url>nope/missing.mp4</Url></ConcatFragment>
<Container><Format>mp4</Format></Container></ConcatTemplate>
<Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>x.\${ext}</Object></Output></Operation></Request>`;
    const d = await runJob(body);
    expect(d).toMatchObject({ State: 'Failed', Code: 'ResourceNotFound' });
    expect(d.Message).toContain('nope/missing.mp4');
    expect(d.Operation.MediaResult).toBeUndefined();
  });

  it('fails with InvalidArgument when a StartTime is past the clip end', async () => {
    const body = `<Request><Tag>Concat</Tag><Operation><ConcatTemplate><ConcatFragment><Url>input/demo.mp4</Url><StartTime>30</StartTime></ConcatFragment>
<Container><Format>mp4</Format></Container></ConcatTemplate>
<Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>x.\${ext}</Object></Output></Operation></Request>`;
    const d = await runJob(body);
    expect(d).toMatchObject({ State: 'Failed', Code: 'InvalidArgument' });
    expect(d.Message).toContain('input/demo.mp4');
  });

  it('fails with ResourceNotSupported for a file that is not media', async () => {
    const junk = path.join(work, 'junk.mp4');
    writeFileSync(junk, 'this is not a video');
    await put(BUCKET, 'junk.mp4', junk);
    const body = `<Request><Tag>Concat</Tag><Operation><ConcatTemplate><ConcatFragment><Url>junk.mp4</Url></ConcatFragment>
<Container><Format>mp4</Format></Container></ConcatTemplate>
<Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>x.\${ext}</Object></Output></Operation></Request>`;
    const d = await runJob(body);
    expect(d).toMatchObject({ State: 'Failed', Code: 'ResourceNotSupported' });
    expect(d.Message).toContain('junk.mp4');
  });
});
