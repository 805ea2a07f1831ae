// A media queue as the engine keeps it (docs/ci-api.md 5): its state, limits and notification settings.

export type QueueState = 'Active' | 'Paused';

export interface NotifyConfig {
  state: 'On' | 'Off';
  url?: string;
  event?: string;
  type?: 'Url' | 'TDMQ';
  resultFormat?: 'XML' | 'JSON';
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
