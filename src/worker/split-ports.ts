// What the runner needs to split a job (split-run.ts): the chunk queue (queue/split-queue.ts in the
// engine, a fake in unit tests), the deployment's settings, and the job's own BullMQ entry, which the
// worker frame hands in as the children's parent.
import type { SplitConfig } from '../config.js';
import type { ParentRef, SplitQueue } from '../queue/split-queue.js';

export type SplitQueuePort = Pick<SplitQueue, 'workers' | 'dispatch' | 'states' | 'discard' | 'noteTemp' | 'dropTemp' | 'temps'>;

export interface SplitDeps {
  settings: SplitConfig;
  queue: SplitQueuePort;
  /** How often the parent reads its children's states (a few Redis calls per child); 250 ms unless given. */
  pollMs?: number;
}

/** The running job's BullMQ entry (media-worker.ts fills it in). */
export interface SplitParent {
  ref: ParentRef;
  /** Counts the job's runs: each run's children get ids of their own. */
  generation: number;
  /** Ids of children an earlier run of the job added and that have not finished. */
  pendingChildren(): Promise<string[]>;
}
