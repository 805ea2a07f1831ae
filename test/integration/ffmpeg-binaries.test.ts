// FFMPEG_PATH and FFPROBE_PATH (README, Configuration): when they name an existing file, that file is the
// ffmpeg or ffprobe the engine runs. Each test file runs in a process of its own, so the binaries this
// one finds are not remembered from another file.
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeFile, runFfmpeg } from '../../src/media/ffmpeg.js';

let dir = '';

/** A wrapper that notes each call in `<name>.calls`, then runs the real binary with the same arguments. */
async function wrapper(name: 'ffmpeg' | 'ffprobe'): Promise<string> {
  const real = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
  const file = path.join(dir, `my-${name}`);
  await writeFile(file, `#!/bin/sh\necho called >> '${path.join(dir, `${name}.calls`)}'\nexec '${real}' "$@"\n`);
  await chmod(file, 0o755);
  return file;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ffmpeg-binaries-'));
  process.env.FFMPEG_PATH = await wrapper('ffmpeg');
  process.env.FFPROBE_PATH = await wrapper('ffprobe');
});

afterAll(async () => {
  delete process.env.FFMPEG_PATH;
  delete process.env.FFPROBE_PATH;
  await rm(dir, { recursive: true, force: true });
});

describe('FFMPEG_PATH and FFPROBE_PATH', () => {
  it('run the named binaries for ffmpeg and for ffprobe', async () => {
    const clip = path.join(dir, 'clip.mp4');
    await runFfmpeg(['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=64x36:rate=10:duration=0.5', '-y', clip], {
      expectedDurationSec: 0.5,
      timeoutMs: 30_000,
    });
    expect(await readFile(path.join(dir, 'ffmpeg.calls'), 'utf8')).toBe('called\n');

    const probe = await probeFile(clip);
    expect(probe.streams?.[0]?.codec_type).toBe('video');
    expect(await readFile(path.join(dir, 'ffprobe.calls'), 'utf8')).toBe('called\n');
  });
});
