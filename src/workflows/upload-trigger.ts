// Starting workflows when an object is created: every Active workflow of the bucket whose Start node's
// ObjectPrefix the key falls under, and whose ExtFilter passes, gets an execution for the object.
// Objects the engine wrote itself (outputs carry its metadata) never trigger anything, so a workflow
// whose output lands under its own prefix cannot loop.
import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '../logger.js';
import { scalarText } from '../domain/scalar-text.js';
import { unrunnableTypes, type Tree, type WorkflowRecord } from '../domain/workflow.js';
import { objectHeaders, type ObjectHeaders } from '../storage/object-headers.js';
import type { WorkflowStore } from '../store/workflow-store.js';
import { objectCreatedEvents, type ObjectCreated } from './s3-events.js';
import { RunRefused, type WorkflowRunner } from './runner.js';
import { ENGINE_OUTPUT_META } from '../storage/output-meta.js';

// The docs do not list the built-in extension sets; these are the common ones.
const EXTENSIONS: Record<'Video' | 'Audio' | 'Image', readonly string[]> = {
  Video: [
    'mp4',
    'mov',
    'm4v',
    'mkv',
    'flv',
    'ts',
    'mts',
    'm2ts',
    'avi',
    'wmv',
    'webm',
    'mpg',
    'mpeg',
    '3gp',
    'm3u8',
    'vob',
    'ogv',
    'f4v',
    'rmvb',
    'rm',
    'asf',
    'mxf',
  ],
  Audio: ['mp3', 'aac', 'm4a', 'wav', 'flac', 'ogg', 'opus', 'wma', 'amr', 'ac3', 'aiff', 'ape'],
  Image: ['jpg', 'jpeg', 'png', 'gif', 'bmp', 'webp', 'tif', 'tiff', 'heic', 'heif', 'avif', 'svg'],
};

function isTree(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function text(v: unknown): string | undefined {
  return scalarText(v)?.trim();
}

function startInput(w: WorkflowRecord): Tree {
  const nodes = isTree(w.topology.Nodes) ? w.topology.Nodes : {};
  const start = nodes.Start;
  return isTree(start) && isTree(start.Input) ? start.Input : {};
}

/** Whether a created object starts this workflow: under its ObjectPrefix and through its ExtFilter. */
function workflowMatches(w: WorkflowRecord, key: string, contentType?: string): boolean {
  const input = startInput(w);
  const prefix = (text(input.ObjectPrefix) ?? '').replace(/^\/+/, '');
  if (!key.replace(/^\/+/, '').startsWith(prefix)) return false;
  const f = input.ExtFilter;
  if (!isTree(f) || text(f.State) !== 'On') return true;
  const on = (name: string) => text(f[name]) === 'true';
  if (on('AllFile')) return true;
  const ext = key.includes('.') ? (key.split('.').pop() ?? '').toLowerCase() : '';
  if (on('ContentType') && contentType) {
    const kind = contentType.split('/')[0]?.toLowerCase();
    return (on('Video') && kind === 'video') || (on('Audio') && kind === 'audio') || (on('Image') && kind === 'image');
  }
  for (const kind of ['Video', 'Audio', 'Image'] as const) {
    if (on(kind) && EXTENSIONS[kind].includes(ext)) return true;
  }
  if (on('Custom')) {
    const custom = (text(f.CustomExts) ?? '').split('/').map((s) => s.trim().replace(/^\./, '').toLowerCase());
    if (custom.includes(ext)) return true;
  }
  return false;
}

interface UploadTriggerDeps {
  workflows: WorkflowStore;
  runner: WorkflowRunner;
  s3: S3Client;
  logger: Logger;
}

/**
 * Feeds an S3 event notification (the AWS/MinIO JSON) to the upload triggers, one created object at a
 * time; returns the RunIds started. Keys arrive URL-encoded unless the sender says otherwise.
 */
export async function onS3Notification(deps: UploadTriggerDeps, body: unknown, opts?: { keysEncoded: boolean }): Promise<string[]> {
  const runIds: string[] = [];
  for (const ev of objectCreatedEvents(body, opts)) {
    runIds.push(...(await onObjectCreated(deps, ev)));
  }
  return runIds;
}

/** Starts the matching workflows for one created object; returns the RunIds started. */
async function onObjectCreated(deps: UploadTriggerDeps, ev: ObjectCreated): Promise<string[]> {
  const candidates = (await deps.workflows.all(ev.bucket)).filter(
    (w) => w.state === 'Active' && workflowMatches(w, ev.key, ev.contentType),
  );
  if (candidates.length === 0) return [];
  let head: ObjectHeaders;
  try {
    head = await objectHeaders(deps.s3, ev.bucket, ev.key);
  } catch (err) {
    deps.logger.warn(
      { bucket: ev.bucket, key: ev.key, err: (err as Error).message },
      'created object is not readable; no workflow started',
    );
    return [];
  }
  if (head.metadata[ENGINE_OUTPUT_META] !== undefined) return [];
  const cosHeaders = [
    ...head.headers,
    { key: 'EventName', value: `cos:${ev.eventName}` },
    { key: 'Size', value: String(head.size ?? ev.size ?? 0) },
  ];
  const runIds: string[] = [];
  for (const w of candidates) {
    if (unrunnableTypes(w.topology).length > 0) {
      deps.logger.warn(
        { workflowId: w.workflowId, key: ev.key },
        'upload matches a workflow with node types this engine does not run; not started',
      );
      continue;
    }
    try {
      runIds.push(await deps.runner.start(w, ev.key, { cosHeaders }));
    } catch (err) {
      if (!(err instanceof RunRefused)) throw err;
      deps.logger.warn({ workflowId: w.workflowId, key: ev.key, message: err.message }, 'workflow not started');
    }
  }
  return runIds;
}
