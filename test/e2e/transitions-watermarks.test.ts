// Transitions and inline watermarks through the API: jobs submitted with Tencent's official SDK, inputs
// and the watermark image fetched from the real S3 store, outputs checked with ffprobe and pixel by pixel.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3 } from '../../src/storage/s3.js';
import { BUCKET, REGION, ciRequest, cosClient } from '../helpers/cos-client.js';
import { startTestEngine, type TestEngine } from '../helpers/engine.js';
import { decodeFrames, ffprobeJson, makeClip } from '../helpers/media.js';

const run = promisify(execFile);
const W = 320;
const H = 180;

let engine: TestEngine;
let cos: ReturnType<typeof cosClient>;
let s3: S3Client;
let work: string;

async function put(key: string, file: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: await readFile(file) }));
}

async function getToFile(key: string): Promise<string> {
  const res = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  const file = path.join(work, `got-${Math.random().toString(16).slice(2)}-${path.basename(key)}`);
  writeFileSync(file, Buffer.from(await res.Body!.transformToByteArray()));
  return file;
}

async function runJob(body: string, timeoutMs = 60_000): Promise<any> {
  const res = await ciRequest(cos, { Method: 'POST', Key: 'jobs', Body: body });
  expect(res.statusCode, JSON.stringify(res.body)).toBe(200);
  const jobId = res.body.Response.JobsDetail.JobId;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = (await ciRequest(cos, { Method: 'GET', Key: `jobs/${jobId}` })).body.Response.JobsDetail;
    if (d.State === 'Success' || d.State === 'Failed') return d;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${d.State}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const job = (
  template: string,
  extra: string,
  object: string,
): string => `<Request><Tag>Concat</Tag><Operation><ConcatTemplate>${template}</ConcatTemplate>${extra}
<Output><Region>${REGION}</Region><Bucket>${BUCKET}</Bucket><Object>${object}</Object></Output></Operation></Request>`;

function rgb(frame: Buffer, x: number, y: number): [number, number, number] {
  const o = (y * W + x) * 3;
  return [frame[o]!, frame[o + 1]!, frame[o + 2]!];
}
const isRed = ([r, g, b]: [number, number, number]): boolean => r > 180 && g < 70 && b < 70;
const isBlack = ([r, g, b]: [number, number, number]): boolean => r < 40 && g < 40 && b < 40;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'tw-e2e-'));
  engine = await startTestEngine({ worker: true, env: { WORKER_CONCURRENCY: '2' } });
  cos = cosClient(engine.api.url);
  s3 = createS3({
    endpoint: engine.endpoints.s3Endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch(() => undefined);
  const lavfi = async (name: string, graph: string, extra: string[]) => {
    const f = path.join(work, name);
    await run('ffmpeg', ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-f', 'lavfi', '-i', graph, ...extra, f]);
    return f;
  };
  await Promise.all([
    lavfi('black.mp4', `color=c=black:s=${W}x${H}:r=25:d=2`, ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']).then((f) =>
      put('tw/black.mp4', f),
    ),
    lavfi('red.png', 'color=c=red:s=16x16', ['-frames:v', '1', '-update', '1']).then((f) => put('tw/marks/red.png', f)),
    makeClip(path.join(work, 'one.mp4'), { width: W, height: H, fps: 25, durationSec: 1.5, audio: true }).then((f) => put('tw/one.mp4', f)),
    makeClip(path.join(work, 'two.mp4'), { width: W, height: H, fps: 25, durationSec: 1.5, audio: true }).then((f) => put('tw/two.mp4', f)),
  ]);
}, 60_000);

afterAll(async () => {
  // Either may be unset when beforeAll failed part way; the temporary directory still goes.
  await (engine as TestEngine | undefined)?.close();
  (s3 as S3Client | undefined)?.destroy();
  rmSync(work, { recursive: true, force: true });
});

describe('transitions and watermarks through the API', () => {
  it('draws an inline Image mark (fetched from the bucket) and a Text mark where and while requested', async () => {
    const marks = `<Watermark><Type>Image</Type><Pos>TopRight</Pos><LocMode>Absolute</LocMode><Dx>10</Dx><Dy>10</Dy>
<StartTime>0.5</StartTime><EndTime>1.5</EndTime>
<Image><Url>http://${BUCKET}.cos.${REGION}.myqcloud.com/tw/marks/red.png</Url><Mode>Fixed</Mode><Width>40</Width><Height>20</Height><Transparency>100</Transparency></Image></Watermark>
<Watermark><Type>Text</Type><Pos>BottomLeft</Pos><LocMode>Relativity</LocMode><Dx>5</Dx><Dy>5</Dy>
<Text><Text>CI-水印</Text><FontSize>24</FontSize><FontType>simhei.ttf</FontType><FontColor>0xFFFFFF</FontColor><Transparency>100</Transparency></Text></Watermark>`;
    const d = await runJob(
      job(
        '<ConcatFragment><Url>tw/black.mp4</Url></ConcatFragment><Container><Format>mp4</Format></Container>',
        marks,
        'tw/out/marked.${ext}',
      ),
    );
    expect(d.State, d.Message).toBe('Success');
    // The request's watermarks are echoed back.
    expect(d.Operation.Watermark).toHaveLength(2);

    const file = await getToFile('tw/out/marked.mp4');
    expect(Number((await ffprobeJson(file)).format?.duration)).toBeCloseTo(2, 1);
    const f = await decodeFrames(file, 'rgb24', W, H);
    expect(f).toHaveLength(50);
    // Image box: x 270..309, y 10..29.
    for (const t of [15, 25, 36]) {
      for (const [x, y] of [
        [272, 12],
        [290, 20],
        [307, 27],
      ] as const)
        expect(isRed(rgb(f[t]!, x, y)), `frame ${t}`).toBe(true);
      for (const [x, y] of [
        [265, 20],
        [314, 20],
        [290, 34],
        [290, 5],
      ] as const)
        expect(isBlack(rgb(f[t]!, x, y)), `frame ${t}`).toBe(true);
    }
    for (const t of [0, 11, 39, 49]) expect(isBlack(rgb(f[t]!, 290, 20)), `frame ${t}`).toBe(true);
    // Text: lit pixels only in the bottom-left corner (16 px in, 9 px up), in every frame.
    for (const t of [0, 25, 49]) {
      let lit = 0;
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const [r, g, b] = rgb(f[t]!, x, y);
          if (r > 150 && g > 150 && b > 150) {
            lit++;
            expect(x >= 15 && x < W / 2 && y > H / 2 && y <= H - 9, `frame ${t} lit at (${x},${y})`).toBe(true);
          }
        }
      }
      expect(lit).toBeGreaterThan(50);
    }
  });

  it('runs a GRADIENT job: 2 x 1.5 s crossfaded over 1 s make 2 s of picture and sound', async () => {
    const template = `<ConcatFragment><Url>tw/one.mp4</Url></ConcatFragment><ConcatFragment><Url>tw/two.mp4</Url></ConcatFragment>
<SceneChangeInfo><Mode>GRADIENT</Mode><Time>1</Time></SceneChangeInfo><Container><Format>mp4</Format></Container>`;
    const d = await runJob(job(template, '', 'tw/out/gradient.${ext}'));
    expect(d.State, d.Message).toBe('Success');
    const probe = await ffprobeJson(await getToFile('tw/out/gradient.mp4'));
    const v = probe.streams?.find((s) => s.codec_type === 'video');
    const a = probe.streams?.find((s) => s.codec_type === 'audio');
    expect(Number(probe.format?.duration)).toBeCloseTo(2, 1);
    expect(Number(v?.duration)).toBeCloseTo(2, 1);
    expect(Number(a?.duration)).toBeCloseTo(2, 1);
    expect(Number(d.Operation.MediaInfo.Format.Duration)).toBeCloseTo(2, 1);
  });

  it('fails a DirectConcat job with a watermark as InvalidArgument: a stream copy cannot draw', async () => {
    const mark = `<Watermark><Type>Text</Type><Pos>TopLeft</Pos><LocMode>Absolute</LocMode><Dx>0</Dx><Dy>0</Dy>
<Text><Text>x</Text><FontSize>20</FontSize><FontType>arial.ttf</FontType><FontColor>0xFFFFFF</FontColor><Transparency>100</Transparency></Text></Watermark>`;
    const d = await runJob(
      job(
        '<ConcatFragment><Url>tw/one.mp4</Url></ConcatFragment><Container><Format>mp4</Format></Container><DirectConcat>true</DirectConcat>',
        mark,
        'tw/out/copy.${ext}',
      ),
    );
    expect(d).toMatchObject({ State: 'Failed', Code: 'InvalidArgument' });
    expect(d.Message).toMatch(/cannot stream-copy: a Watermark needs the picture re-encoded/);
  });
});
