// UpdateMediaQueue bodies (docs/ci-api.md 5.2) and the queue echo (5.1). Queue bodies are read as CI's
// queue pages describe them: text trimmed, an empty element meaning absent, fields read in row order.
import {
  NOTIFY_EVENTS,
  NOTIFY_FORMATS,
  NOTIFY_STATES,
  NOTIFY_TYPES,
  QUEUE_STATES,
  type NotifyConfig,
  type QueueRecord,
  type QueueState,
} from '../domain/queue.js';
import { formatCiTime } from '../domain/time.js';
import { ValidationError } from '../domain/validation-error.js';
import { box, readTree, trimmed, trimmedOneOf, type Element, type Reader, type Tree } from './read.js';

interface QueueUpdate {
  name: string;
  state: QueueState;
  notifyConfig: NotifyConfig;
  /** Engine extensions: CI fixes these per bucket; here they can be set. */
  maxSize?: number;
  maxConcurrent?: number;
}

/** NotifyConfig as read: the values are checked together once all of them have been read. */
interface NotifyText {
  state: NotifyConfig['state'];
  event?: string;
  type?: string;
  url?: string;
  resultFormat?: string;
}

function checkedOneOf<T extends string>(value: string, path: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new ValidationError(path, `must be one of [${allowed.join(', ')}], got ${JSON.stringify(value)}`);
  return value as T;
}

const NOTIFY_CONFIG: Element<NotifyText> = {
  order: 'rows',
  rows: [
    { xml: 'State', key: 'state', read: trimmedOneOf(NOTIFY_STATES), default: 'Off', echo: 'always' },
    { xml: 'Event', key: 'event', read: trimmed(), echo: 'ifSet' },
    { xml: 'Type', key: 'type', read: trimmed(), echo: 'ifSet' },
    { xml: 'Url', key: 'url', read: trimmed(), echo: 'ifSet' },
    { xml: 'ResultFormat', key: 'resultFormat', read: trimmed(), echo: 'ifSet' },
  ],
  check: (n, p) => {
    if (n.resultFormat !== undefined) checkedOneOf(n.resultFormat, `${p}.ResultFormat`, NOTIFY_FORMATS);
    if (n.event !== undefined) {
      for (const e of n.event.split(',').map((s) => s.trim())) {
        if (e === '') throw new ValidationError(`${p}.Event`, `is required (one of [${NOTIFY_EVENTS.join(', ')}])`);
        checkedOneOf(e, `${p}.Event`, NOTIFY_EVENTS);
      }
    }
    if (n.type !== undefined) checkedOneOf(n.type, `${p}.Type`, NOTIFY_TYPES);
    if (n.state === 'On') {
      if (n.event === undefined) throw new ValidationError(`${p}.Event`, 'is required when State is On (TaskFinish, WorkflowFinish)');
      if (n.type === undefined) throw new ValidationError(`${p}.Type`, 'is required when State is On (Url)');
      if (n.type === 'TDMQ') throw new ValidationError(`${p}.Type`, 'TDMQ delivery is not available in this engine; use Url');
      if (n.url === undefined) throw new ValidationError(`${p}.Url`, 'is required when State is On and Type is Url');
      if (!/^https?:\/\/[^\s/]+/i.test(n.url))
        throw new ValidationError(`${p}.Url`, `must be an http(s) URL, got ${JSON.stringify(n.url)}`);
    }
  },
};

/** The stored NotifyConfig: State first, then the fields the request set. */
function notifyConfigOf(n: NotifyText): NotifyConfig {
  const out: NotifyConfig = { state: n.state };
  if (n.resultFormat !== undefined) out.resultFormat = n.resultFormat as NotifyConfig['resultFormat'];
  if (n.event !== undefined) out.event = n.event;
  if (n.type !== undefined) out.type = n.type as NotifyConfig['type'];
  if (n.url !== undefined) out.url = n.url;
  return out;
}

/** A queue name: at most 128 characters. */
function queueName(): Reader<string | undefined> {
  const asText = trimmed();
  return (value, path) => {
    const name = asText(value, path);
    if (name !== undefined && name.length > 128) throw new ValidationError(path, `must be at most 128 characters, got ${name.length}`);
    return name;
  };
}

/** An integer in [min, max] written in digits; an empty element reads as absent. */
function digits(min: number, max: number): Reader<number | undefined> {
  const asText = trimmed();
  return (value, path) => {
    const s = asText(value, path);
    if (s === undefined) return undefined;
    const n = /^\d+$/.test(s) ? Number(s) : NaN;
    if (!(n >= min && n <= max)) throw new ValidationError(path, `must be an integer in [${min}, ${max}], got ${JSON.stringify(s)}`);
    return n;
  };
}

const QUEUE_UPDATE: Element<Omit<QueueUpdate, 'notifyConfig'> & { notifyConfig: NotifyText }> = {
  order: 'rows',
  rows: [
    { xml: 'Name', key: 'name', read: queueName(), required: true, echo: 'ifSet' },
    { xml: 'State', key: 'state', read: trimmedOneOf(QUEUE_STATES), required: `one of [${QUEUE_STATES.join(', ')}]`, echo: 'ifSet' },
    {
      xml: 'NotifyConfig',
      key: 'notifyConfig',
      read: box(NOTIFY_CONFIG, 'must be one container element'),
      default: { state: 'Off' },
      echo: 'ifSet',
    },
    { xml: 'MaxSize', key: 'maxSize', read: digits(1, 1_000_000), echo: 'ifSet' },
    { xml: 'MaxConcurrent', key: 'maxConcurrent', read: digits(1, 1000), echo: 'ifSet' },
  ],
};

export function parseQueueUpdate(tree: Tree): QueueUpdate {
  const q = readTree(QUEUE_UPDATE, tree, 'Request');
  return {
    name: q.name,
    state: q.state,
    notifyConfig: notifyConfigOf(q.notifyConfig),
    maxSize: q.maxSize,
    maxConcurrent: q.maxConcurrent,
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
