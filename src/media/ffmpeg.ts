// The one module that starts ffmpeg and ffprobe. It owns the process side of a media job: finding the
// binaries, the exact command line, progress from `-progress` output, the time limit, cancellation
// (SIGTERM, then SIGKILL), the error message taken from stderr, and the helper files a plan names (the
// concat list of a stream copy, the text files of Text watermarks).
//
// Both binaries are started with node's spawn, with exactly the argv args.ts built: one spawn path, no
// wrapper between the plan and the process. (fluent-ffmpeg's public API cannot run an exact argv: its
// run() rebuilds the command line, inserting `-y` and re-splitting options, refuses `-f concat` as an
// unknown output format, and its ffprobe() drops ffprobe's JSON for a shape of its own.) The binaries
// are found as FFMPEG_PATH / FFPROBE_PATH when the file exists, else on the PATH, and for ffprobe last
// in the directory of ffmpeg.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, open, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  buildConcatArgs,
  buildConcatListFile,
  buildCopyAudioArgs,
  buildHybridArgs,
  buildCopyPictureArgs,
  buildSmartCutJoinArgs,
  buildSmartCutPieceArgs,
  copyListEntries,
  pieceListEntry,
} from './args.js';
import { MediaProcessError } from './errors.js';
import { jobTimeoutMs, progressPercent, type ConcatPlan, type CopyPlan, type EncodePlan } from './plan.js';
import type { SplitPlan, VideoChunk } from './split.js';
import { buildAudioTrackArgs, buildChunkArgs, buildStitchArgs, buildStitchListFile } from './split-args.js';
import type { FfprobeJson, MediaProbe } from './probe.js';
import { buildKeyframeIndex, keyframeSamplesToRead, type KeyframeIndex, type KeyframeStreamJson, type PacketJson } from './keyframes.js';
import type { EncodePiece, SmartCut } from './smart-cut.js';
import {
  buildDecodeArgs,
  buildScanArgs,
  checkPacketScan,
  decodeWindowsOf,
  failed,
  parsePacketScan,
  pictureSpecOf,
  verifySpecOf,
  verifySpecOfChunk,
  verifySpecOfSplit,
  WINDOWS_PER_DECODE,
  type ChunkCheck,
  type ChunkFacts,
  type CopyOutcome,
  type DecodeWindow,
  type VerifySpec,
  type VerifyVerdict,
} from './verify.js';

type MediaLog = (event: string, data: object) => void;

interface RunFfmpegOptions {
  /** Planned output duration; progress is out_time against it. */
  expectedDurationSec: number;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Whole percent, 0..100, never decreasing. */
  onProgress?: (percent: number) => void;
  log?: MediaLog;
}

/** Grace period between SIGTERM (ffmpeg stops and finalises) and SIGKILL. */
const KILL_GRACE_MS = 5_000;
const PROBE_TIMEOUT_MS = 30_000;
/** Lines of stdout and stderr kept for the error message and the failure log. */
const KEPT_LINES = 100;

// ---------------------------------------------------------------------------------------------- binaries

const found = new Map<string, string>();

async function exists(file: string, mode = constants.F_OK): Promise<boolean> {
  return access(file, mode).then(
    () => true,
    () => false,
  );
}

/** The first executable `name` on the PATH, or '' when there is none. */
async function onPath(name: string): Promise<string> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir.replace(/^"(.*)"$/, '$1'), name);
    if (await exists(file, constants.X_OK)) return file;
  }
  return '';
}

/** $FFMPEG_PATH when that file exists, else ffmpeg on the PATH; '' when neither. Found paths are remembered. */
async function ffmpegBinary(): Promise<string> {
  const known = found.get('ffmpeg');
  if (known) return known;
  const env = process.env.FFMPEG_PATH;
  const binary = env && (await exists(env)) ? env : await onPath('ffmpeg');
  if (binary) found.set('ffmpeg', binary);
  return binary;
}

/** $FFPROBE_PATH when that file exists, else ffprobe on the PATH, else beside ffmpeg; '' when none. */
async function ffprobeBinary(): Promise<string> {
  const known = found.get('ffprobe');
  if (known) return known;
  const env = process.env.FFPROBE_PATH;
  let binary = env && (await exists(env)) ? env : await onPath('ffprobe');
  if (!binary) {
    const ffmpeg = await ffmpegBinary();
    const beside = ffmpeg ? path.join(path.dirname(ffmpeg), 'ffprobe') : '';
    binary = beside && (await exists(beside)) ? beside : '';
  }
  if (binary) found.set('ffprobe', binary);
  return binary;
}

// ---------------------------------------------------------------------------------------------- lines

/** The last lines of a stream, each complete line also handed to `onLine` as it arrives. */
class LineRing {
  private readonly lines: string[] = [];
  private current: string | null = null;

  constructor(
    private readonly max: number,
    private readonly onLine: (line: string) => void = () => undefined,
  ) {}

  append(text: string): void {
    if (text === '') return;
    const parts = text.split(/\r\n|\r|\n/);
    if (parts.length === 1) {
      this.current = (this.current ?? '') + parts[0]!;
      return;
    }
    const first = (this.current ?? '') + parts.shift()!;
    this.current = parts.pop() ?? null;
    for (const line of [first, ...parts]) this.push(line);
  }

  close(): void {
    if (this.current !== null) this.push(this.current);
    this.current = null;
  }

  text(): string {
    return (this.current !== null ? [...this.lines, this.current] : this.lines).join('\n');
  }

  private push(line: string): void {
    this.onLine(line);
    this.lines.push(line);
    if (this.lines.length > this.max - 1) this.lines.splice(0, this.lines.length - (this.max - 1));
  }
}

// ---------------------------------------------------------------------------------------------- stderr

// Lines ffmpeg prints as a consequence of an earlier, more specific error.
const GENERIC_ERRORS = [
  /^Conversion failed!?$/,
  /^Invalid argument$/,
  /^Error initializing (complex filters|filters|output stream)/,
  /^Error opening (output files?|filters)/,
  /^Error while (filtering|processing the decoded data)/,
  /^Exiting normally/,
];

const LEVEL_LINE = /^(?:\[([^\]@]+?) @ 0x[0-9a-f]+\] )?\[(error|fatal|panic)\] (.*)$/;

/**
 * The line that says why ffmpeg failed, from stderr written with `-loglevel level+…`: the last error
 * line that is not a generic consequence ("Conversion failed!"), prefixed with the component that
 * reported it; else the last generic error; else the last non-empty line.
 */
export function ffmpegErrorLine(stderr: string): string | undefined {
  const errors: string[] = [];
  for (const raw of stderr.split(/\r\n|\r|\n/)) {
    const m = LEVEL_LINE.exec(raw.trim());
    if (m) errors.push(m[1] ? `${m[1].trim()}: ${m[3]!.trim()}` : m[3]!.trim());
  }
  const specific = errors.filter((e) => !GENERIC_ERRORS.some((g) => g.test(e.replace(/^[^:]+: /, '')) || g.test(e)));
  const pick = specific[specific.length - 1] ?? errors[errors.length - 1];
  if (pick) return pick;
  const lines = stderr
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^\w+=/.test(l));
  return lines[lines.length - 1];
}

/** Seconds of output written, from one `-progress` line; undefined for other lines. */
export function outTimeOf(line: string): number | undefined {
  const us = /^out_time_(?:us|ms)=(\d+)$/.exec(line);
  if (us) return Number(us[1]) / 1e6;
  const hms = /^out_time=(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(line);
  if (hms) return Number(hms[1]) * 3600 + Number(hms[2]) * 60 + Number(hms[3]);
  return undefined;
}

// ---------------------------------------------------------------------------------------------- ffmpeg

/** Run ffmpeg with exactly `args` (no leading 'ffmpeg'). Resolves when it exits 0. */
export function runFfmpeg(args: string[], opts: RunFfmpegOptions): Promise<void> {
  const { signal, log, onProgress } = opts;
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new MediaProcessError('Canceled', 'the job was canceled before ffmpeg started'));
      return;
    }
    let proc: ChildProcess | undefined;
    let stopReason: 'timeout' | 'abort' | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let settled = false;
    let lastPercent = -1;
    const startedAt = Date.now();

    const report = (percent: number): void => {
      if (percent > lastPercent) {
        lastPercent = percent;
        onProgress?.(percent);
      }
    };

    const kill = (child: ChildProcess): void => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };

    const stop = (why: 'timeout' | 'abort'): void => {
      if (stopReason) return;
      stopReason = why;
      if (proc) kill(proc); // else it is killed as soon as it exists
    };

    const timer = setTimeout(() => stop('timeout'), opts.timeoutMs);
    const onAbort = (): void => stop('abort');
    signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (err: MediaProcessError | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      signal?.removeEventListener('abort', onAbort);
      const ms = Date.now() - startedAt;
      if (err) {
        log?.('ffmpeg.failed', { code: err.code, message: err.message, ms });
        reject(err);
      } else {
        report(100);
        log?.('ffmpeg.done', { ms });
        resolve();
      }
    };

    /** How the run ended: `err` is the process's own failure (not started, non-zero exit, killed). */
    const ended = (err: Error | null, stderr?: LineRing): void => {
      if (settled) return; // a spawn failure is reported by 'error' and again by 'close'
      if (stopReason === 'timeout') {
        finish(new MediaProcessError('JobTimeout', `ffmpeg did not finish within ${opts.timeoutMs / 1000} s and was stopped`));
      } else if (stopReason === 'abort') {
        finish(new MediaProcessError('Canceled', 'the job was canceled; ffmpeg was stopped'));
      } else if (err) {
        const line = stderr ? ffmpegErrorLine(stderr.text()) : undefined;
        log?.('ffmpeg.stderr', {
          tail:
            stderr
              ?.text()
              .split('\n')
              .filter((l) => l.trim() !== '')
              .slice(-20) ?? [],
        });
        finish(new MediaProcessError('InternalError', line ?? err.message));
      } else {
        finish(undefined);
      }
    };

    void ffmpegBinary().then((binary) => {
      if (!binary) {
        ended(new Error('Cannot find ffmpeg'));
        return;
      }
      const child = spawn(binary, [...args], { windowsHide: true });
      proc = child;
      // What was really started: the resolved binary and argv as node spawned them.
      const [spawned, ...argv] = child.spawnargs;
      log?.('ffmpeg.start', {
        binary: spawned,
        args: argv,
        pid: child.pid,
        expectedDurationSec: opts.expectedDurationSec,
        timeoutMs: opts.timeoutMs,
      });
      if (stopReason) kill(child);

      const stdout = new LineRing(KEPT_LINES, (line) => {
        const sec = outTimeOf(line.trim());
        if (sec !== undefined) report(progressPercent(sec, opts.expectedDurationSec));
      });
      const stderr = new LineRing(KEPT_LINES);
      child.stdout.setEncoding('utf8').on('data', (d: string) => stdout.append(d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => stderr.append(d));
      child.on('error', (err) => ended(err));
      // 'close': the process has exited and both pipes are drained.
      child.on('close', (code, killedBy) => {
        stdout.close();
        stderr.close();
        const err = killedBy
          ? new Error(`ffmpeg was killed with signal ${killedBy}`)
          : code
            ? new Error(`ffmpeg exited with code ${code}`)
            : null;
        ended(err, stderr);
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------- ffprobe

async function ffprobePath(): Promise<string> {
  const binary = await ffprobeBinary();
  if (!binary) throw new MediaProcessError('InternalError', 'cannot find ffprobe: not on PATH');
  return binary;
}

/** Runs ffprobe to its end and keeps what it wrote; past `timeoutMs` it is killed (and exits with no code). */
async function runFfprobe(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const binary = await ffprobePath();
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    let out = '';
    let errText = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (errText += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new MediaProcessError('InternalError', `cannot run ffprobe: ${e.message}`));
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ code: exitCode, stdout: out, stderr: errText });
    });
  });
}

/** ffprobe's JSON for a local file. A file that is not audio/video rejects with ResourceNotSupported. */
export async function probeFile(file: string): Promise<FfprobeJson> {
  const name = path.basename(file);
  const args = [
    '-v',
    'error',
    '-protocol_whitelist',
    'file',
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    // extradata_hash per stream: the parameter sets a stream copy must find equal in every fragment; and the
    // extradata itself (a few bytes; no packets are shown, so no packet is dumped): H.264's avcC, whose NAL length
    // size the keyframe scan needs.
    '-show_data_hash',
    'sha256',
    '-show_data',
    '-i',
    file.startsWith('-') ? `./${file}` : file,
  ];
  const { code, stdout, stderr } = await runFfprobe(args, PROBE_TIMEOUT_MS);
  const reason = stderr.trim().split('\n').pop()?.replace(`${file}: `, '') ?? '';
  if (code !== 0) {
    if (stderr.includes('No such file or directory'))
      throw new MediaProcessError('InternalError', `"${name}" does not exist on the worker`);
    throw new MediaProcessError('ResourceNotSupported', `"${name}" is not a media file ffprobe can read${reason ? `: ${reason}` : ''}`);
  }
  let json: FfprobeJson;
  try {
    json = JSON.parse(stdout) as FfprobeJson;
  } catch {
    throw new MediaProcessError('ResourceNotSupported', `"${name}": ffprobe gave no readable description`);
  }
  const media = (json.streams ?? []).some((s) => s.codec_type === 'video' || s.codec_type === 'audio');
  if (!media) throw new MediaProcessError('ResourceNotSupported', `"${name}" has no audio or video stream`);
  return json;
}

/** ffprobe's JSON for `args` (a local file at the end); rejects with the last stderr line. */
async function ffprobeJsonOf<T>(args: string[], timeoutMs: number): Promise<T> {
  const { code, stdout, stderr } = await runFfprobe(args, timeoutMs);
  if (code !== 0) throw new MediaProcessError('InternalError', `ffprobe failed: ${stderr.trim().split('\n').pop() ?? `exit ${code}`}`);
  return JSON.parse(stdout) as T;
}

interface KeyframeScanJson {
  streams?: KeyframeStreamJson[];
  format?: { start_time?: string };
  packets?: PacketJson[];
}

/** A packet scan reads the whole file's index: allow it more time than a probe. */
const SCAN_TIMEOUT_MS = 120_000;

/**
 * The keyframe index of a file's first video stream (keyframes.ts): its packets from a demux-only ffprobe
 * scan, and for each keyframe the sample's own bytes (read at the packet's position; MP4/MOV samples are
 * contiguous there), from which the NAL types tell IDR pictures from other keyframes. A file already probed
 * (probeFile) gives `probed`: its NAL length size, so one ffprobe run is enough. Without it a second run reads
 * the codec's global header (its hex dump is requested alone: `-show_data` with the packets would dump every
 * packet's bytes as well, which costs more than the whole scan).
 */
export async function scanKeyframes(file: string, probed?: { nalLengthSize?: number }): Promise<KeyframeIndex> {
  const input = file.startsWith('-') ? `./${file}` : file;
  const common = ['-v', 'error', '-protocol_whitelist', 'file', '-select_streams', 'v:0', '-of', 'json'];

  const [scan, header] = await Promise.all([
    ffprobeJsonOf<KeyframeScanJson>(
      [
        ...common,
        ...['-show_streams', '-show_data_hash', 'sha256'],
        ...['-show_entries', 'format=start_time:packet=pts,dts,duration,flags,pos,size', '-i', input],
      ],
      SCAN_TIMEOUT_MS,
    ),
    probed
      ? Promise.resolve(undefined)
      : ffprobeJsonOf<{ streams?: KeyframeStreamJson[] }>([...common, '-show_streams', '-show_data', '-i', input], PROBE_TIMEOUT_MS),
  ]);
  const stream = scan.streams?.[0];
  if (!stream) throw new MediaProcessError('ResourceNotSupported', `"${path.basename(file)}" has no video stream`);
  const packets = scan.packets ?? [];
  const samples = new Map<number, Uint8Array>();
  const handle = await open(file, 'r');
  try {
    for (const at of keyframeSamplesToRead(packets)) {
      const bytes = Buffer.alloc(at.size);
      const { bytesRead } = await handle.read(bytes, 0, at.size, at.pos);
      samples.set(at.packet, bytes.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  const start = Number(scan.format?.start_time ?? 0);
  const extradata = header?.streams?.[0]?.extradata;
  return buildKeyframeIndex(
    extradata ? { ...stream, extradata } : stream,
    Number.isFinite(start) ? start : 0,
    packets,
    samples,
    probed?.nalLengthSize,
  );
}

// ---------------------------------------------------------------------------------------------- verbs

interface ConcatRunOptions {
  /** Defaults to jobTimeoutMs(plan). */
  timeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (percent: number) => void;
  log?: MediaLog;
}

/** Text watermarks: each text goes to its own file (drawtext textfile=); a missing font is a clear error. */
async function writeWatermarkFiles(plan: ConcatPlan): Promise<string[]> {
  if (plan.kind !== 'encode') return [];
  const texts = (plan.watermarks ?? []).flatMap((m) => (m.kind === 'text' ? [m] : []));
  for (const m of texts) {
    await access(m.fontFile).catch(() => {
      throw new MediaProcessError(
        'InternalError',
        `font file ${m.fontFile} for ${m.label} is not installed; run scripts/ensure-deps.sh (fonts-noto-cjk, fonts-liberation)`,
      );
    });
  }
  if (texts.length > 0) await mkdir(plan.workDir, { recursive: true });
  for (const m of texts) await writeFile(m.textFile, m.text, 'utf8');
  return texts.map((m) => m.textFile);
}

/** The smart-cut pieces a plan has to make before its join. */
function encodePiecesOf(plan: ConcatPlan): EncodePiece[] {
  if (plan.kind !== 'copy') return [];
  return plan.segments.flatMap((s) => (s.smartCut?.pieces ?? []).flatMap((p) => (p.kind === 'encode' ? [p] : [])));
}

/** Share of a job's progress the smart-cut pieces take: their frames re-encoded against the join, which
 * copies the picture and encodes only the audio (measured a tenth or less of the pieces' time). */
function pieceShare(plan: ConcatPlan): number {
  if (plan.kind !== 'copy') return 0;
  const pieces = encodePiecesOf(plan);
  const encoded = pieces.reduce((sum, p) => sum + p.durationSec, 0);
  if (pieces.length === 0) return 0;
  return Math.max(0.1, Math.min(0.9, encoded / (encoded + 0.1 * plan.durationSec)));
}

/** Produce plan.outputPath from the plan's local fragments. A copy is not checked here: copyAndVerify makes
 * and checks one. */
export async function concat(plan: ConcatPlan, opts: ConcatRunOptions = {}): Promise<void> {
  opts.log?.('concat.plan', plan);
  await mkdir(path.dirname(plan.outputPath), { recursive: true });
  if (plan.kind === 'copy') {
    await makeCopy(plan, opts);
    return;
  }
  const helperFiles = await writeWatermarkFiles(plan);
  try {
    await runFfmpeg(buildConcatArgs(plan), runOptions(plan, opts, opts.onProgress));
  } finally {
    await Promise.all(helperFiles.map((f) => rm(f, { force: true })));
  }
}

function runOptions(plan: ConcatPlan, opts: ConcatRunOptions, onProgress: ((p: number) => void) | undefined): RunFfmpegOptions {
  return {
    expectedDurationSec: plan.durationSec,
    timeoutMs: opts.timeoutMs ?? jobTimeoutMs(plan),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(onProgress ? { onProgress } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  };
}

/** Checks a hybrid copy's picture while its sound is still being encoded. */
type PictureCheck = (pictureFile: string, signal: AbortSignal) => Promise<VerifyVerdict>;

/**
 * Makes a copy plan's output: the smart-cut pieces, then the copy. A hybrid copy (plan.parts) copies its picture
 * into a part of its own and checks it with `checkPicture` while its sound is encoded. Without re-encoded pieces
 * the run that encodes the sound also writes the output (the picture copied through the list); with pieces the
 * sound is encoded into a part while the pieces are made, and the two parts are then muxed. Resolves with the
 * picture's verdict ({ ok: true } without a check or a hybrid copy); a failed check leaves no output.
 */
async function makeCopy(plan: CopyPlan, opts: ConcatRunOptions, checkPicture?: PictureCheck): Promise<VerifyVerdict> {
  await mkdir(plan.workDir, { recursive: true });
  // Absolute: the demuxer resolves relative entries against the list file's directory.
  await writeFile(
    plan.listFilePath,
    buildConcatListFile(
      copyListEntries(plan).map((e) => ({ ...e, path: path.resolve(e.path) })),
      plan.listStream,
    ),
  );
  const pieces = encodePiecesOf(plan);
  const share = pieceShare(plan);
  const made = [
    plan.listFilePath,
    ...pieces.map((p) => p.outputPath),
    ...(plan.parts ? [plan.parts.pictureFile, plan.parts.audioFile] : []),
  ];
  try {
    const { parts, audioEncode } = plan;
    if (!parts || !audioEncode) {
      if (pieces.length > 0) await makePieces(pieces, opts, (p) => opts.onProgress?.(Math.floor(p * share)));
      const base = Math.floor(share * 100);
      await runFfmpeg(
        buildConcatArgs(plan),
        runOptions(plan, opts, opts.onProgress ? (p) => opts.onProgress!(base + Math.floor((p * (100 - base)) / 100)) : undefined),
      );
      return { ok: true };
    }
    const copyPicture = (inner: ConcatRunOptions): Promise<void> =>
      runFfmpeg(buildCopyPictureArgs(plan, parts), runOptions(plan, inner, undefined));
    if (pieces.length === 0) {
      const verdict = await besidePictureCheck(opts, parts.pictureFile, checkPicture, copyPicture, (inner) =>
        runFfmpeg(buildHybridArgs(plan, audioEncode), runOptions(plan, inner, opts.onProgress)),
      );
      if (!verdict.ok) await rm(plan.outputPath, { force: true });
      return verdict;
    }
    // Progress: the pieces' share and the sound's, made at the same time, up to 95; the mux writes the rest.
    let piecesDone = 0;
    let soundDone = 0;
    const progress = (): void => opts.onProgress?.(Math.floor(0.95 * (share * piecesDone + (1 - share) * soundDone)));
    const verdict = await besidePictureCheck(
      opts,
      parts.pictureFile,
      checkPicture,
      async (inner) => {
        await makePieces(pieces, inner, (p) => {
          piecesDone = p;
          progress();
        });
        await copyPicture(inner);
      },
      (inner) =>
        runFfmpeg(
          buildCopyAudioArgs(plan, audioEncode, parts),
          runOptions(plan, inner, (p) => {
            soundDone = p;
            progress();
          }),
        ),
    );
    if (!verdict.ok) return verdict;
    await runFfmpeg(
      buildConcatArgs(plan),
      runOptions(plan, opts, opts.onProgress ? (p) => opts.onProgress!(95 + Math.floor(p / 20)) : undefined),
    );
    return { ok: true };
  } finally {
    await Promise.all(made.map((f) => rm(f, { force: true })));
  }
}

/**
 * Makes a copy's picture part and checks it while `other` runs beside it. The first failure, or a failed check,
 * stops the other side. Resolves with the check's verdict once both sides have ended; rejects with the first
 * failure.
 */
async function besidePictureCheck(
  opts: ConcatRunOptions,
  pictureFile: string,
  checkPicture: PictureCheck | undefined,
  makePicture: (inner: ConcatRunOptions) => Promise<void>,
  other: (inner: ConcatRunOptions) => Promise<void>,
): Promise<VerifyVerdict> {
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  const inner: ConcatRunOptions = { ...opts, signal };
  let firstError: Error | undefined;
  const stopOthers = (err: unknown): never => {
    firstError ??= err instanceof Error ? err : new Error(String(err));
    stop.abort();
    throw err;
  };
  const picture = (async (): Promise<VerifyVerdict> => {
    await makePicture(inner);
    const verdict = checkPicture ? await checkPicture(pictureFile, signal) : ({ ok: true } as const);
    if (!verdict.ok) stop.abort();
    return verdict;
  })().catch(stopOthers);
  const [verdict] = await Promise.allSettled([picture, other(inner).catch(stopOthers)]);
  if (verdict.status === 'fulfilled' && !verdict.value.ok) return verdict.value;
  if (firstError) throw firstError;
  return { ok: true };
}

function makePieces(pieces: readonly EncodePiece[], opts: ConcatRunOptions, onProgress: (percent: number) => void): Promise<void> {
  return produceSmartCutPieces(pieces, {
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.log ? { log: opts.log } : {}),
    onProgress,
  });
}

/**
 * Makes a copy plan's output and checks it (verify.ts). A hybrid copy's picture is scanned and its joins and
 * re-encoded pieces decoded while the sound is encoded; after the mux the whole output is scanned again (the
 * planned pictures and the sound as long as them). Anything else is checked whole once made. Rejects when
 * ffmpeg cannot make the copy, the job is canceled or a binary cannot run.
 */
export async function copyAndVerify(plan: CopyPlan, opts: ConcatRunOptions = {}): Promise<CopyOutcome> {
  opts.log?.('concat.plan', plan);
  await mkdir(path.dirname(plan.outputPath), { recursive: true });
  const spec = verifySpecOf(plan);
  let verifyMs = 0;
  const timed = async (check: () => Promise<VerifyVerdict>): Promise<VerifyVerdict> => {
    const t0 = Date.now();
    try {
      return await check();
    } finally {
      verifyMs += Date.now() - t0;
    }
  };
  const checkOptions = (signal: AbortSignal | undefined): VerifyOptions => ({
    ...(signal ? { signal } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
  const pictureVerdict = await makeCopy(plan, opts, (file, signal) =>
    timed(() => verifyFile(file, pictureSpecOf(spec), 'decode', plan.durationSec, checkOptions(signal))),
  );
  if (!pictureVerdict.ok) return { verdict: pictureVerdict, verifyMs };
  const verdict = await timed(() =>
    verifyFile(plan.outputPath, spec, plan.parts ? 'scan-only' : 'decode', plan.durationSec, checkOptions(opts.signal)),
  );
  return { verdict, verifyMs };
}

interface PieceRunOptions {
  signal?: AbortSignal;
  /** Whole percent of all the pieces' frames written, 0..100. */
  onProgress?: (percent: number) => void;
  log?: MediaLog;
}

/** Pieces made at the same time: most are a few frames, where starting ffmpeg costs as much as the work. */
const PIECE_CONCURRENCY = 2;

/**
 * Produce every re-encoded smart-cut piece, one ffmpeg run each, two at a time (copied GOPs are read
 * from the source by the concat list). Progress counts frames over all pieces; the first failure stops the rest.
 */
export async function produceSmartCutPieces(pieces: readonly EncodePiece[], opts: PieceRunOptions = {}): Promise<void> {
  const total = pieces.reduce((sum, p) => sum + p.frameCount, 0);
  const written = pieces.map(() => 0);
  let lastPercent = -1;
  const report = (): void => {
    const percent = Math.floor((written.reduce((a, b) => a + b, 0) / total) * 100);
    if (percent > lastPercent) {
      lastPercent = percent;
      opts.onProgress?.(percent);
    }
  };
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < pieces.length) {
      const k = next++;
      const piece = pieces[k]!;
      await mkdir(path.dirname(piece.outputPath), { recursive: true });
      await runFfmpeg(buildSmartCutPieceArgs(piece), {
        expectedDurationSec: piece.durationSec,
        timeoutMs: jobTimeoutMs(piece),
        signal,
        ...(opts.log ? { log: opts.log } : {}),
        onProgress: (p) => {
          written[k] = (p / 100) * piece.frameCount;
          report();
        },
      });
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(PIECE_CONCURRENCY, pieces.length) }, () =>
      worker().catch((err: unknown) => {
        stop.abort();
        throw err;
      }),
    ),
  );
}

/** The picture of one smart-cut fragment as an MP4 of its own: the re-encoded pieces, then their join with
 * the copied GOPs. */
export async function smartCutVideo(cut: SmartCut, outputPath: string, opts: PieceRunOptions = {}): Promise<void> {
  const pieces = cut.pieces.flatMap((p) => (p.kind === 'encode' ? [p] : []));
  await produceSmartCutPieces(pieces, opts);
  const listFile = `${outputPath}.ffconcat`;
  await writeFile(
    listFile,
    buildConcatListFile(
      cut.pieces.map((p) => ({ ...pieceListEntry(p), path: path.resolve(pieceListEntry(p).path) })),
      cut.trackId !== undefined ? { exactStreamId: cut.trackId } : undefined,
    ),
  );
  try {
    await runFfmpeg(buildSmartCutJoinArgs(listFile, outputPath, cut.inBandParameterSets), {
      expectedDurationSec: cut.durationSec,
      timeoutMs: jobTimeoutMs(cut),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.log ? { log: opts.log } : {}),
    });
  } finally {
    await Promise.all([listFile, ...pieces.map((p) => p.outputPath)].map((f) => rm(f, { force: true })));
  }
}

// ---------------------------------------------------------------------------------------------- verify

interface Captured {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a binary to completion and keeps its output: for the short read-only runs of verification. */
function capture(binary: string, args: string[], timeoutMs: number, signal?: AbortSignal): Promise<Captured> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new MediaProcessError('Canceled', 'the job was canceled before the output was verified'));
      return;
    }
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    let out = '';
    let errText = '';
    let stopped: 'timeout' | 'abort' | undefined;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (errText += d));
    const stop = (why: 'timeout' | 'abort'): void => {
      stopped ??= why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop('timeout'), timeoutMs);
    const onAbort = (): void => stop('abort');
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (e) => {
      done();
      reject(new MediaProcessError('InternalError', `cannot run ${path.basename(binary)}: ${e.message}`));
    });
    child.on('close', (code) => {
      done();
      if (stopped === 'abort') reject(new MediaProcessError('Canceled', 'the job was canceled while its output was verified'));
      else if (stopped === 'timeout')
        reject(new MediaProcessError('JobTimeout', `${path.basename(binary)} did not finish within ${timeoutMs / 1000} s`));
      else resolve({ code, stdout: out, stderr: errText });
    });
  });
}

interface VerifyOptions {
  /** Defaults to 60 s plus the planned duration: both checks run many times faster than real time. */
  timeoutMs?: number;
  signal?: AbortSignal;
  log?: MediaLog;
  /** Defaults to verifySpecOf(plan). */
  spec?: VerifySpec;
}

const firstLines = (text: string, count: number): string =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(0, count)
    .join(' | ');

/**
 * Checks a copy plan's finished output (verify.ts): one packet scan of the whole file, then a decode of the
 * windows around the joins. Resolves with the first failed check; rejects only when the job is canceled or a
 * binary cannot be started.
 */
export async function verifyOutput(plan: CopyPlan, opts: VerifyOptions = {}): Promise<VerifyVerdict> {
  return verifyFile(plan.outputPath, opts.spec ?? verifySpecOf(plan), 'decode', plan.durationSec, opts);
}

/** 'scan-only': the packet scan without the decode, for a file whose pictures were decoded before the mux. */
async function verifyFile(
  file: string,
  spec: VerifySpec,
  depth: 'decode' | 'scan-only',
  durationSec: number,
  opts: VerifyOptions,
): Promise<VerifyVerdict> {
  const timeoutMs = opts.timeoutMs ?? Math.round(60_000 + durationSec * 1000);
  const startedAt = Date.now();
  const verdict = await verifySteps(file, spec, depth, timeoutMs, opts).catch((err: unknown) => {
    if (err instanceof MediaProcessError && err.code === 'JobTimeout') return failed('scan', `verification stopped: ${err.message}`);
    throw err;
  });
  opts.log?.(verdict.ok ? 'verify.passed' : 'verify.failed', { ...verdict, file: path.basename(file), ms: Date.now() - startedAt });
  return verdict;
}

async function verifySteps(
  file: string,
  spec: VerifySpec,
  depth: 'decode' | 'scan-only',
  timeoutMs: number,
  opts: VerifyOptions,
): Promise<VerifyVerdict> {
  const deadline = Date.now() + timeoutMs;
  const left = (): number => Math.max(1, deadline - Date.now());
  const scanned = await capture(await ffprobePath(), buildScanArgs(file), left(), opts.signal);
  if (scanned.code !== 0 || scanned.stderr.trim() !== '') {
    const why = firstLines(scanned.stderr, 3) || `ffprobe exited with code ${scanned.code}`;
    return failed('scan', `reading the output's packets reported: ${why}`);
  }
  const scan = parsePacketScan(scanned.stdout);
  const checked = checkPacketScan(scan, spec);
  opts.log?.('verify.scan', { packets: (scan.video?.packets.length ?? 0) + (scan.audio?.packets.length ?? 0), ok: checked.ok });
  if (!checked.ok || depth === 'scan-only') return checked;

  const windows = decodeWindowsOf(scan, spec).filter((w) => w.endSec > w.startSec);
  const ffmpeg = await ffmpegBinary();
  if (windows.length > 0 && !ffmpeg) throw new MediaProcessError('InternalError', 'Cannot find ffmpeg');
  const decode = async (batch: DecodeWindow[]): Promise<string | undefined> => {
    const decoded = await capture(ffmpeg, buildDecodeArgs(file, batch), left(), opts.signal);
    opts.log?.('verify.decode', { windows: batch, code: decoded.code });
    const clean = decoded.code === 0 && decoded.stderr.trim() === '';
    return clean ? undefined : firstLines(decoded.stderr, 3) || `ffmpeg exited with code ${decoded.code}`;
  };
  for (let k = 0; k < windows.length; k += WINDOWS_PER_DECODE) {
    const batch = windows.slice(k, k + WINDOWS_PER_DECODE);
    const batchError = await decode(batch);
    if (batchError === undefined) continue;
    // A failed batch is decoded again window by window, so the failure names its join.
    for (const w of batch.length > 1 ? batch : []) {
      const error = await decode([w]);
      if (error !== undefined) return decodeFailure(w, error);
    }
    return decodeFailure(batch[0]!, batchError);
  }
  return { ok: true };
}

function decodeFailure(w: DecodeWindow, error: string): VerifyVerdict {
  const span = `${Math.round(w.startSec * 1000) / 1000}-${Math.round(w.endSec * 1000) / 1000} s`;
  return failed('decode', `decoding ${w.why} (${span}) reported: ${error}`);
}

// ---------------------------------------------------------------------------------------------- split

/** Encodes exactly chunk.frames pictures of the plan's output picture (no audio) into outputPath. */
export async function encodeChunk(
  plan: EncodePlan,
  split: SplitPlan,
  chunk: VideoChunk,
  outputPath: string,
  opts: ConcatRunOptions = {},
): Promise<void> {
  if (!plan.video) throw new MediaProcessError('InternalError', 'the plan has no picture to encode in chunks');
  await mkdir(path.dirname(outputPath), { recursive: true });
  // Text marks read their text from files of this chunk's own, next to its output: chunks of one job may run at
  // once in one work directory, and each removes its files when it ends.
  const local: EncodePlan = {
    ...plan,
    ...(plan.watermarks
      ? {
          watermarks: plan.watermarks.map((m, k) => (m.kind === 'text' ? { ...m, textFile: `${outputPath}.watermark-${k}.txt` } : m)),
        }
      : {}),
  };
  const helperFiles = await writeWatermarkFiles(local);
  try {
    await runFfmpeg(buildChunkArgs(local, split, chunk, outputPath), {
      expectedDurationSec: chunk.durationSec,
      timeoutMs: opts.timeoutMs ?? jobTimeoutMs(chunk),
      ...splitRunOptions(opts),
    });
  } finally {
    await Promise.all(helperFiles.map((f) => rm(f, { force: true })));
  }
}

/** The whole output's audio track, encoded as the one-pass job would, into outputPath (an MP4 without picture). */
export async function encodeAudioTrack(plan: EncodePlan, outputPath: string, opts: ConcatRunOptions = {}): Promise<void> {
  if (!plan.audio) throw new MediaProcessError('InternalError', 'the plan has no audio track to encode');
  await mkdir(path.dirname(outputPath), { recursive: true });
  await runFfmpeg(buildAudioTrackArgs(plan, outputPath), {
    expectedDurationSec: plan.durationSec,
    timeoutMs: opts.timeoutMs ?? jobTimeoutMs(plan),
    ...splitRunOptions(opts),
  });
}

/** A split run's cancel, progress and log options, as runFfmpeg takes them. */
function splitRunOptions(opts: ConcatRunOptions): Pick<RunFfmpegOptions, 'signal' | 'onProgress' | 'log'> {
  return {
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  };
}

/** A chunk's picture: its packets counted, its parameter sets hashed. */
async function chunkFacts(file: string): Promise<ChunkFacts> {
  const json = await ffprobeJsonOf<{
    streams?: { codec_name?: string; time_base?: string; nb_read_packets?: string; extradata_hash?: string }[];
  }>(
    [
      ...['-v', 'error', '-protocol_whitelist', 'file', '-select_streams', 'v:0', '-count_packets', '-show_data_hash', 'sha256'],
      ...['-show_entries', 'stream=codec_name,time_base,nb_read_packets,extradata_hash', '-of', 'json'],
      ...['-i', file.startsWith('-') ? `./${file}` : file],
    ],
    SCAN_TIMEOUT_MS,
  );
  const v = json.streams?.[0];
  return {
    frames: Number(v?.nb_read_packets ?? 0),
    extradata: v?.extradata_hash ?? '',
    codec: v?.codec_name ?? '',
    timeBase: v?.time_base ?? '',
  };
}

/**
 * One chunk's own checks, made when it arrives while later chunks still encode: its packets counted and its
 * parameter sets hashed (for the stitch to compare), a packet scan (its frames, timestamps strictly increasing,
 * no gap), and a decode of what meets a seam in the stitched file: its first second, from its IDR picture, and
 * its last GOP when that is at most 2 s long. The stitched file holds the same packets behind the same
 * parameter sets, so after the stitch a scan of the whole output is left.
 */
export async function checkChunk(
  plan: EncodePlan,
  split: SplitPlan,
  chunk: VideoChunk,
  file: string,
  opts: ConcatRunOptions = {},
): Promise<ChunkCheck> {
  const [facts, verdict] = await Promise.all([
    chunkFacts(file),
    verifyFile(file, verifySpecOfChunk(split, chunk), 'decode', chunk.durationSec, {
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.log ? { log: opts.log } : {}),
    }),
  ]);
  const named = verdict.ok ? verdict : { ...verdict, reason: `chunk ${chunk.index}: ${verdict.reason}` };
  return { index: chunk.index, file, facts, verdict: named };
}

/** The first chunk that does not fit: missing, failed its own checks, a wrong frame count, or parameter sets,
 * codec or time base unlike chunk 0's. */
function checkChunks(split: SplitPlan, checks: readonly ChunkCheck[]): VerifyVerdict {
  if (checks.length !== split.chunks.length) {
    return failed('chunks', `${checks.length} chunk files for ${split.chunks.length} chunks`);
  }
  const ref = checks[0]!.facts;
  for (const chunk of split.chunks) {
    const check = checks[chunk.index]!;
    if (check.index !== chunk.index) return failed('chunks', `chunk ${chunk.index}'s place holds chunk ${check.index}`);
    if (!check.verdict.ok) return check.verdict;
    const f = check.facts;
    if (f.frames !== chunk.frames) return failed('chunks', `chunk ${chunk.index} has ${f.frames} pictures, the split ${chunk.frames}`);
    if (f.codec !== ref.codec || f.timeBase !== ref.timeBase) {
      return failed('chunks', `chunk ${chunk.index} is ${f.codec} in ${f.timeBase}, chunk 0 ${ref.codec} in ${ref.timeBase}`);
    }
    if (f.extradata === '' || f.extradata !== ref.extradata) {
      return failed('chunks', `chunk ${chunk.index}'s parameter sets differ from chunk 0's`);
    }
  }
  return { ok: true };
}

/**
 * Checks the chunks (each one's own checks, frame counts, identical parameter sets), joins them in index order
 * with their exact lengths, muxes the audio track, writes plan.outputPath, then scans it whole. A failed check
 * is the verdict; a run that fails rejects.
 */
export async function stitch(
  plan: EncodePlan,
  split: SplitPlan,
  chunks: readonly ChunkCheck[],
  audioFile: string | undefined,
  opts: ConcatRunOptions = {},
): Promise<VerifyVerdict> {
  const checked = checkChunks(split, chunks);
  opts.log?.('stitch.chunks', {
    chunks: chunks.length,
    frames: split.frames,
    ok: checked.ok,
    ...(checked.ok ? {} : { reason: checked.reason }),
  });
  if (!checked.ok) return checked;
  if (split.audio && audioFile === undefined) return failed('audio-missing', 'the split has audio but no audio track was made');
  await mkdir(path.dirname(plan.outputPath), { recursive: true });
  await mkdir(plan.workDir, { recursive: true });
  const listFile = path.join(plan.workDir, `${path.basename(plan.outputPath).replace(/\.[^.]*$/, '')}.chunks.txt`);
  await writeFile(
    listFile,
    buildStitchListFile(
      split,
      chunks.map((c) => path.resolve(c.file)),
    ),
  );
  try {
    await runFfmpeg(buildStitchArgs(plan, listFile, split.audio ? audioFile : undefined), {
      expectedDurationSec: split.frames / split.fps,
      timeoutMs: opts.timeoutMs ?? jobTimeoutMs(plan),
      ...splitRunOptions(opts),
    });
  } finally {
    await rm(listFile, { force: true });
  }
  return verifyFile(plan.outputPath, verifySpecOfSplit(plan, split), 'scan-only', plan.durationSec, {
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
}

/** The media adapter a job runner is given: describe a file, run a plan, check a copy's output, and the three
 * steps of a split encode. */
export const ffmpegMedia = {
  probe: probeFile,
  keyframes: (file: string, probe: MediaProbe): Promise<KeyframeIndex> =>
    scanKeyframes(file, probe.video?.nalLengthSize !== undefined ? probe.video : undefined),
  run: (plan: EncodePlan, opts: ConcatRunOptions): Promise<void> => concat(plan, opts),
  copy: (plan: CopyPlan, opts: ConcatRunOptions): Promise<CopyOutcome> => copyAndVerify(plan, opts),
  encodeChunk,
  encodeAudioTrack,
  checkChunk,
  stitch,
};
