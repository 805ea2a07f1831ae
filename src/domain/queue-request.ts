// UpdateMediaQueue bodies (docs/ci-api.md 5.2) and the queue echo (5.1).
import type { NotifyConfig, QueueRecord } from '../store/queue-store.js';
import { formatCiTime } from './time.js';
import { ValidationError } from './validation-error.js';

export interface QueueUpdate {
  name: string;
  state: 'Active' | 'Paused';
  notifyConfig: NotifyConfig;
  /** Engine extensions: CI fixes these per bucket; here they can be set. */
  maxSize?: number;
  maxConcurrent?: number;
}

function text(tree: Record<string, unknown>, name: string, path: string): string | undefined {
  const v = tree[name];
  if (v === undefined) return undefined;
  if (typeof v === 'object') throw new ValidationError(`${path}.${name}`, 'must be a single text element');
  return String(v).trim();
}

function oneOf<T extends string>(value: string | undefined, path: string, allowed: readonly T[], def?: T): T {
  if (value === undefined || value === '') {
    if (def !== undefined) return def;
    throw new ValidationError(path, `is required (one of [${allowed.join(', ')}])`);
  }
  if (!(allowed as readonly string[]).includes(value)) throw new ValidationError(path, `must be one of [${allowed.join(', ')}], got ${JSON.stringify(value)}`);
  return value as T;
}

function int(value: string | undefined, path: string, min: number, max: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) throw new ValidationError(path, `must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  return n;
}

export function parseQueueUpdate(tree: Record<string, unknown>): QueueUpdate {
  const name = text(tree, 'Name', 'Request');
  if (name === undefined || name === '') throw new ValidationError('Request.Name', 'is required');
  if (name.length > 128) throw new ValidationError('Request.Name', `must be at most 128 characters, got ${name.length}`);
  const state = oneOf(text(tree, 'State', 'Request'), 'Request.State', ['Active', 'Paused'] as const);
  const n = tree.NotifyConfig;
  let notifyConfig: NotifyConfig = { state: 'Off' };
  if (n !== undefined) {
    if (typeof n !== 'object' || n === null || Array.isArray(n)) throw new ValidationError('Request.NotifyConfig', 'must be one container element');
    const t = n as Record<string, unknown>;
    const p = 'Request.NotifyConfig';
    const on = oneOf(text(t, 'State', p), `${p}.State`, ['On', 'Off'] as const, 'Off');
    notifyConfig = { state: on };
    const event = text(t, 'Event', p);
    const type = text(t, 'Type', p);
    const url = text(t, 'Url', p);
    const resultFormat = text(t, 'ResultFormat', p);
    if (resultFormat) notifyConfig.resultFormat = oneOf(resultFormat, `${p}.ResultFormat`, ['XML', 'JSON'] as const);
    if (event) {
      for (const e of event.split(',').map((s) => s.trim())) oneOf(e, `${p}.Event`, ['TaskFinish', 'WorkflowFinish', 'WorkflowStart'] as const);
      notifyConfig.event = event;
    }
    if (type) notifyConfig.type = oneOf(type, `${p}.Type`, ['Url', 'TDMQ'] as const);
    if (url) notifyConfig.url = url;
    if (on === 'On') {
      if (!event) throw new ValidationError(`${p}.Event`, 'is required when State is On (TaskFinish, WorkflowFinish)');
      if (!type) throw new ValidationError(`${p}.Type`, 'is required when State is On (Url)');
      if (notifyConfig.type === 'TDMQ') throw new ValidationError(`${p}.Type`, 'TDMQ delivery is not available in this engine; use Url');
      if (!url) throw new ValidationError(`${p}.Url`, 'is required when State is On and Type is Url');
      if (!/^https?:\/\/[^\s/]+/i.test(url)) throw new ValidationError(`${p}.Url`, `must be an http(s) URL, got ${JSON.stringify(url)}`);
    }
  }
  return {
    name,
    state,
    notifyConfig,
    maxSize: int(text(tree, 'MaxSize', 'Request'), 'Request.MaxSize', 1, 1_000_000),
    maxConcurrent: int(text(tree, 'MaxConcurrent', 'Request'), 'Request.MaxConcurrent', 1, 1000),
  };
}

export function queueToXml(q: QueueRecord, bucket: string): Record<string, unknown> {
  const n = q.notifyConfig;
  const notify: Record<string, unknown> = {};
  if (n.url !== undefined) notify.Url = n.url;
  if (n.event !== undefined) notify.Event = n.event;
  if (n.type !== undefined) notify.Type = n.type;
  notify.State = n.state;
  if (n.resultFormat !== undefined) notify.ResultFormat = n.resultFormat;
  return {
    QueueId: q.queueId,
    Name: q.name,
    State: q.state,
    NotifyConfig: notify,
    MaxSize: String(q.maxSize),
    MaxConcurrent: String(q.maxConcurrent),
    UpdateTime: formatCiTime(q.updateMs),
    CreateTime: formatCiTime(q.createMs),
    Category: q.category,
    BucketId: bucket,
  };
}
