// Where a job's output goes and how it is typed: Output.Object with `${ext}` and `${jobid}` expanded
// (checked again here, as outputs made by workflows and templates never went through submit), the
// local file name ffmpeg writes, and the content type of each uploaded file.
import path from 'node:path';
import type { ContainerFormat } from '../domain/concat-types.js';
import { objectKeyProblem } from '../domain/object-key.js';
import { JobError } from './job-error.js';

/** The extension `${ext}` stands for, per Container.Format. */
const EXTENSIONS: Record<ContainerFormat, string> = { mp4: 'mp4', flv: 'flv', ts: 'ts', hls: 'm3u8', mp3: 'mp3', aac: 'aac' };

const CONTENT_TYPES: Record<string, string> = {
  mp4: 'video/mp4',
  flv: 'video/x-flv',
  ts: 'video/mp2t',
  m3u8: 'application/vnd.apple.mpegurl',
  mp3: 'audio/mpeg',
  aac: 'audio/aac',
};

/** An HLS output's segments, uploaded beside the playlist. */
export const SEGMENT_CONTENT_TYPE = 'video/mp2t';

/** Expands `${ext}` and `${jobid}` (any letter case) in Output.Object. */
function expandOutputObject(object: string, ext: string, jobId: string): string {
  return object.replace(/\$\{ext\}/gi, ext).replace(/\$\{jobid\}/gi, jobId);
}

/** The output's object key and content type; a key the storage must not hold is InvalidArgument. */
export function outputObjectOf(object: string, format: ContainerFormat, jobId: string): { key: string; contentType: string } {
  const ext = EXTENSIONS[format];
  const key = expandOutputObject(object, ext, jobId);
  // Checked at submit for jobs; again here for outputs made by other paths (workflows, templates).
  const problem = objectKeyProblem(key);
  if (problem) throw new JobError('InvalidArgument', `Output.Object: ${JSON.stringify(key.slice(0, 200))} ${problem}`);
  return { key, contentType: CONTENT_TYPES[ext] ?? 'application/octet-stream' };
}

/** The local name ffmpeg writes the output to: the key's base name, made safe for the file system. */
export function localNameOf(key: string): string {
  const base = path.posix
    .basename(key)
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^\.+/, '_');
  return base === '' ? 'output' : base;
}
