// A/V sync measured as a player renders it. A "sync clip" is a picture with one white frame and a 1 kHz
// beep that starts on that frame, at known instants; measure() decodes a file (pictures with their
// presentation times, audio as PCM from its first sample's time) and returns every flash and every beep,
// so a test compares them join by join. (A filter's own timestamps can report a drifting file as in sync.)
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** PCM rate the audio is decoded at for measuring. */
export const SYNC_RATE = 48000;

export interface SyncClipSpec {
  /** Picture length in frames. */
  frames: number;
  fps: number;
  /** The white frames' indexes (default: [15]); each starts a 0.1 s beep. */
  flashFrames?: number[];
  /** Audio track length; default the picture's. */
  audioSec?: number;
  width?: number;
  height?: number;
  /** testsrc2 under the flashes instead of black: pictures that differ frame to frame, as real video does. */
  moving?: boolean;
  /** Extra ffmpeg output options for the video, e.g. ['-bf', '3', '-g', '48', '-sc_threshold', '0']. */
  videoArgs?: string[];
  /** Default ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']. */
  videoCodecArgs?: string[];
  /** Default ['-c:a', 'aac', '-ac', '1']. */
  audioCodecArgs?: string[];
}

/** Writes a sync clip to `out` (the muxer from its extension). */
export async function makeSyncClip(out: string, spec: SyncClipSpec): Promise<string> {
  const { frames, fps } = spec;
  const flashes = spec.flashFrames ?? [15];
  const sec = frames / fps;
  const size = `${spec.width ?? 160}x${spec.height ?? 90}`;
  const base = spec.moving ? `testsrc2=s=${size}:r=${fps}:d=${sec}` : `color=c=black:s=${size}:r=${fps}:d=${sec}`;
  const lit = flashes.map((f) => `eq(n,${f})`).join('+');
  const beeps = flashes.map((f) => `between(t,${f / fps},${f / fps + 0.1})`).join('+');
  await run('ffmpeg', [
    ...['-hide_banner', '-nostdin', '-y', '-loglevel', 'error'],
    ...['-f', 'lavfi', '-i', `${base},drawbox=c=white:t=fill:enable='${lit}'`],
    ...['-f', 'lavfi', '-i', `aevalsrc='0.8*sin(2*PI*1000*t)*(${beeps})':s=${SYNC_RATE}:d=${spec.audioSec ?? sec}`],
    ...(spec.videoCodecArgs ?? ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p']),
    ...(spec.videoArgs ?? []),
    ...(spec.audioCodecArgs ?? ['-c:a', 'aac', '-ac', '1']),
    out,
  ]);
  return out;
}

export interface Measured {
  /** Time of each white frame, from the decoded frames' timestamps. */
  flashes: number[];
  /** Time of each beep's first loud sample in the decoded PCM. */
  beeps: number[];
  frames: number;
  videoSec: number;
  audioSec: number;
}

async function firstFramePts(file: string, stream: 'a' | 'v'): Promise<number> {
  const { stdout } = await run('ffprobe', [
    ...['-v', 'error', '-select_streams', `${stream}:0`],
    ...['-show_entries', 'frame=pts_time', '-of', 'csv=p=0', file],
  ]);
  return Number(
    stdout
      .split('\n')
      .find((l) => /^-?\d/.test(l))!
      .split(',')[0],
  );
}

/** Decodes `file` as a player does and finds every flash (mean luma > 128) and every beep. */
export async function measureSync(file: string): Promise<Measured> {
  const { stdout: times } = await run('ffprobe', [
    ...['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', file],
  ]);
  // Side data (the first frame's) prints as extra empty lines.
  const pts = times
    .split('\n')
    .map((l) => l.split(',')[0]!)
    .filter((t) => t !== '')
    .map(Number);
  const luma = await run(
    'ffmpeg',
    ['-v', 'error', '-i', file, '-map', '0:v:0', '-vf', 'scale=1:1,format=gray', '-fps_mode', 'passthrough', '-f', 'rawvideo', '-'],
    { encoding: 'buffer', maxBuffer: 1 << 26 },
  );
  const lumaBytes = luma.stdout;
  if (lumaBytes.length !== pts.length) throw new Error(`decoded ${lumaBytes.length} pictures but ffprobe lists ${pts.length} frames`);
  const flashes = pts.filter((_, i) => lumaBytes[i]! > 128);

  const pcm = await run('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:a:0', '-ac', '1', '-ar', String(SYNC_RATE), '-f', 's16le', '-'], {
    encoding: 'buffer',
    maxBuffer: 1 << 28,
  });
  const samples = new Int16Array(pcm.stdout.buffer, pcm.stdout.byteOffset, pcm.stdout.length / 2);
  const audioStart = await firstFramePts(file, 'a');
  // A beep starts at the first sample above ~0.25 of full scale after at least 0.3 s of quiet; at 0.8
  // amplitude a 1 kHz sine gets there within 3 samples (0.06 ms) of its start, the same in every fragment.
  const beeps: number[] = [];
  let lastLoud = -Infinity;
  for (let k = 0; k < samples.length; k++) {
    if (Math.abs(samples[k]!) < 8000) continue;
    if (k - lastLoud > 0.3 * SYNC_RATE) beeps.push(audioStart + k / SYNC_RATE);
    lastLoud = k;
  }
  const step = pts.length > 1 ? (pts[pts.length - 1]! - pts[0]!) / (pts.length - 1) : 0;
  return {
    flashes,
    beeps,
    frames: pts.length,
    videoSec: pts[pts.length - 1]! + step - pts[0]!,
    audioSec: audioStart + samples.length / SYNC_RATE - pts[0]!,
  };
}

/** Beep minus flash for each pair, in ms rounded to the microsecond. */
export const offsetsMs = (m: Measured): number[] => m.beeps.map((b, i) => Math.round((b - m.flashes[i]!) * 1e6) / 1e3);
