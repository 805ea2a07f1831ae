// A job as a person reads it: the JobsDetail fields that matter on a terminal (state, progress, the
// failure's Code and Message, and once it succeeded the output's key, duration and size from MediaResult
// and MediaInfo, docs/ci-api.md 2.4 and 2.5), and the lines that print it.
import { at, text } from './xml.js';

export interface JobOutput {
  bucket: string;
  key: string;
  durationSec?: number;
  sizeBytes?: number;
}

export interface JobView {
  jobId: string;
  state: string;
  progress?: number;
  code: string;
  message: string;
  queueId: string;
  creationTime: string;
  startTime: string;
  endTime: string;
  /** Present once the job succeeded. */
  output?: JobOutput;
}

function numberOf(s: string): number | undefined {
  if (s.trim() === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

export function jobView(detail: unknown): JobView {
  const operation = at(detail, 'Operation');
  const file = at(operation, 'MediaResult', 'OutputFile');
  const view: JobView = {
    jobId: text(detail, 'JobId'),
    state: text(detail, 'State'),
    code: text(detail, 'Code'),
    message: text(detail, 'Message'),
    queueId: text(detail, 'QueueId'),
    creationTime: text(detail, 'CreationTime'),
    startTime: text(detail, 'StartTime'),
    endTime: text(detail, 'EndTime'),
  };
  const progress = numberOf(text(detail, 'Progress'));
  if (progress !== undefined) view.progress = progress;
  if (file !== undefined) {
    const prefix = text(file, 'ObjectPrefix');
    const output: JobOutput = { bucket: text(file, 'Bucket'), key: `${prefix}${text(file, 'ObjectName')}` };
    const duration = numberOf(text(operation, 'MediaInfo', 'Format', 'Duration'));
    const size = numberOf(text(operation, 'MediaInfo', 'Format', 'Size'));
    if (duration !== undefined) output.durationSec = duration;
    if (size !== undefined) output.sizeBytes = size;
    view.output = output;
  }
  return view;
}

/** 1234567 -> "1.2 MB" (decimal units, as file managers show them). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let unit = 'B';
  for (const u of units) {
    if (v < 1000) break;
    v /= 1000;
    unit = u;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${unit}`;
}

/** The lines about a finished output: where it is, how long, how large. */
export function outputLines(output: JobOutput): string[] {
  const lines = [`Output:    ${output.bucket}/${output.key}`];
  if (output.durationSec !== undefined) lines.push(`Duration:  ${output.durationSec.toFixed(3)} s`);
  if (output.sizeBytes !== undefined) lines.push(`Size:      ${formatBytes(output.sizeBytes)} (${output.sizeBytes} bytes)`);
  return lines;
}

/** The describe view: every field that is set, one per line. */
export function jobLines(job: JobView): string[] {
  const lines = [`Job:       ${job.jobId}`, `State:     ${job.state}`];
  if (job.progress !== undefined) lines.push(`Progress:  ${job.progress}%`);
  if (job.state === 'Failed' || (job.code !== '' && job.code !== 'Success')) lines.push(`Error:     ${job.code}: ${job.message}`);
  lines.push(`Queue:     ${job.queueId}`, `Created:   ${job.creationTime}`);
  if (job.startTime !== '' && job.startTime !== '-') lines.push(`Started:   ${job.startTime}`);
  if (job.endTime !== '' && job.endTime !== '-') lines.push(`Ended:     ${job.endTime}`);
  if (job.output) lines.push(...outputLines(job.output));
  return lines;
}
