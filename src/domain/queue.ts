// A media queue as the engine keeps it (docs/ci-api.md 5): its state, limits and notification settings.

export const QUEUE_STATES = ['Active', 'Paused'] as const;
export const NOTIFY_STATES = ['On', 'Off'] as const;
export const NOTIFY_EVENTS = ['TaskFinish', 'WorkflowFinish', 'WorkflowStart'] as const;
export const NOTIFY_TYPES = ['Url', 'TDMQ'] as const;
export const NOTIFY_FORMATS = ['XML', 'JSON'] as const;

export type QueueState = (typeof QUEUE_STATES)[number];

export interface NotifyConfig {
  state: (typeof NOTIFY_STATES)[number];
  url?: string;
  /** The events as sent: a comma list of NOTIFY_EVENTS. */
  event?: string;
  type?: (typeof NOTIFY_TYPES)[number];
  resultFormat?: (typeof NOTIFY_FORMATS)[number];
  mqMode?: string;
  mqRegion?: string;
  mqName?: string;
}

export interface QueueRecord {
  queueId: string;
  name: string;
  state: QueueState;
  category: 'Transcoding' | 'SpeedTranscoding';
  maxSize: number;
  maxConcurrent: number;
  notifyConfig: NotifyConfig;
  createMs: number;
  updateMs: number;
}
