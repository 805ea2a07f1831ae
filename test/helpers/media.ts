// Tiny real media for tests: lavfi-generated clips (testsrc2 picture, sine tone) and ffprobe JSON of a
// file. The frozen fixtures in test/fixtures/probe were made the same way (1280x720 etc., libx264
// veryfast crf 30) and then `ffprobe -v error -print_format json -show_format -show_streams <file>`.
import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import type { FfprobeJson } from '../../src/media/probe.js';

const run = promisify(execFile);

export interface ClipSpec {
  /** Default true. */
  video?: boolean;
  width?: number;
  height?: number;
  fps?: number;
  durationSec: number;
  audio: boolean;
  /** The tone's length when it differs from the picture's. */
  audioSec?: number;
  /** More video encoder options (e.g. a GOP length). */
  videoArgs?: string[];
  /** ffmpeg encoder name, default aac (libmp3lame for .mp3 files). */
  audioCodec?: string;
  /** ffmpeg encoder name, default libx264. */
  videoCodec?: string;
  /** Muxer name (-f), default from the extension. */
  format?: string;
  sampleRate?: number;
  channels?: number;
  /** Tone frequency; 0 writes digital silence. Default 440. */
  frequency?: number;
}

export async function makeClip(file: string, spec: ClipSpec): Promise<string> {
  const d = String(spec.durationSec);
  const withVideo = spec.video ?? true;
  const args = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error'];
  if (withVideo) {
    args.push('-f', 'lavfi', '-i', `testsrc2=size=${spec.width ?? 160}x${spec.height ?? 90}:rate=${spec.fps ?? 25}:duration=${d}`);
  }
  if (spec.audio) {
    const rate = spec.sampleRate ?? 48000;
    const source =
      spec.frequency === 0
        ? `anullsrc=r=${rate}:cl=${(spec.channels ?? 1) === 1 ? 'mono' : 'stereo'}:d=${d}`
        : `sine=frequency=${spec.frequency ?? 440}:sample_rate=${rate}:duration=${spec.audioSec ?? d}`;
    args.push('-f', 'lavfi', '-i', source);
  }
  if (withVideo) args.push('-c:v', spec.videoCodec ?? 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', ...(spec.videoArgs ?? []));
  if (spec.audio) {
    const codec = spec.audioCodec ?? (file.endsWith('.mp3') ? 'libmp3lame' : 'aac');
    args.push('-c:a', codec, '-ac', String(spec.channels ?? 1));
  }
  if (spec.format) args.push('-f', spec.format);
  args.push(file);
  await run('ffmpeg', args);
  return file;
}

export async function ffprobeJson(file: string): Promise<FfprobeJson> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file]);
  return JSON.parse(stdout) as FfprobeJson;
}

/** Peak level of a file's audio in dBFS (-91 for digital silence). */
export async function maxVolumeDb(file: string): Promise<number> {
  const { stderr } = await run('ffmpeg', [
    '-hide_banner',
    '-nostdin',
    '-i',
    file,
    '-map',
    '0:a:0',
    '-af',
    'volumedetect',
    '-f',
    'null',
    '-',
  ]);
  const m = /max_volume: (-?[\d.]+|-inf) dB/.exec(stderr);
  if (!m) throw new Error(`no volumedetect result for ${file}`);
  return m[1] === '-inf' ? -Infinity : Number(m[1]);
}

/**
 * Every frame of a file's first video stream decoded to raw bytes, for pixel checks: rgb24 (3 bytes a
 * pixel, row by row) or yuv420p (the Y plane first: byte i < width*height is the luma of pixel i).
 */
export async function decodeFrames(file: string, pixFmt: 'rgb24' | 'yuv420p', width: number, height: number): Promise<Buffer[]> {
  const { stdout } = await run(
    'ffmpeg',
    ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', file, '-map', '0:v:0', '-f', 'rawvideo', '-pix_fmt', pixFmt, '-'],
    {
      encoding: 'buffer',
      maxBuffer: 256 << 20,
    },
  );
  const size = pixFmt === 'rgb24' ? width * height * 3 : (width * height * 3) / 2;
  const frames: Buffer[] = [];
  for (let o = 0; o + size <= stdout.length; o += size) frames.push(stdout.subarray(o, o + size));
  return frames;
}

export type ProbeFixture =
  | 'landscape-1280x720-30fps-aac'
  | 'portrait-720x1280-25fps-aac'
  | 'video-640x360-30fps-noaudio'
  | 'odd-641x360-24fps-yuv444p'
  | 'music-44100-stereo-mp3'
  | 'rotated-1280x720-rot90-aac'
  /** A 200x100 RGBA PNG (a watermark image). */
  | 'logo-200x100-png';

/** A frozen ffprobe output from test/fixtures/probe. */
export function loadProbeFixture(name: ProbeFixture): FfprobeJson {
  return JSON.parse(readFileSync(new URL(`../fixtures/probe/${name}.json`, import.meta.url), 'utf8')) as FfprobeJson;
}

/**
 * Damages one video packet of a file in place: the middle half of its bytes overwritten, the container left
 * whole, so a packet scan still reads it and only a decode notices. The packet shown at `atSec`, or without it
 * the first one in the file.
 */
export async function damageVideoPacket(file: string, atSec?: number): Promise<void> {
  const { stdout } = await run('ffprobe', [
    ...['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,pos,size', '-of', 'json', file],
  ]);
  const packets = (JSON.parse(stdout) as { packets: { pts_time: string; pos: string; size: string }[] }).packets;
  const p = atSec === undefined ? packets[0] : packets.find((x) => Math.abs(Number(x.pts_time) - atSec) < 1e-6);
  if (!p) throw new Error(`no video packet at ${atSec} s in ${file}`);
  const size = Number(p.size);
  const length = Math.floor(size / 2);
  const fd = await open(file, 'r+');
  try {
    await fd.write(Buffer.alloc(length, 0x5a), 0, length, Number(p.pos) + Math.floor(size / 4));
  } finally {
    await fd.close();
  }
}
