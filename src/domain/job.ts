// The job record: what the engine knows about one job, from submit to its end.
import type { ConcatJobRequest, ConcatTemplate, Watermark } from './concat-types.js';

export const JOB_STATES = ['Submitted', 'Running', 'Success', 'Failed', 'Pause', 'Cancel'] as const;
export type JobState = (typeof JOB_STATES)[number];

interface WorkflowRef {
  name: string;
  runId: string;
  workflowId: string;
  workflowName: string;
}

type CallbackDelivery = 'None' | 'Pending' | 'Delivered' | 'Failed';

export interface CallbackStatus {
  delivery: CallbackDelivery;
  url?: string;
  attempts: number;
  lastError?: string;
  deliveredMs?: number;
}

/** Fields fixed at submit. */
export interface JobDoc {
  jobId: string;
  tag: 'Concat';
  bucket: string;
  region: string;
  queueId: string;
  creationMs: number;
  request: ConcatJobRequest;
  /**
   * The concat template of a job submitted with TemplateId, as it was at submit: a later template edit
   * never changes the job. Inline parameters stay in request.operation.concatTemplate.
   */
  templateSnapshot?: ConcatTemplate;
  /** The watermarks of the job's WatermarkTemplateIds, as they were at submit. */
  watermarkSnapshot?: Watermark[];
  templateName?: string;
  workflow?: WorkflowRef;
  /** Workflow-triggered jobs: the triggering object's headers (Content-Type, x-cos-meta-*, …). */
  cosHeaders?: { key: string; value: string }[];
}

export interface JobResult {
  /** CI MediaInfo tree (PascalCase, strings). */
  mediaInfo: Record<string, unknown>;
  /** CI MediaResult tree (PascalCase, strings). */
  mediaResult: Record<string, unknown>;
}

export interface JobRecord extends JobDoc {
  state: JobState;
  progress: number;
  code: string;
  message: string;
  startMs?: number;
  endMs?: number;
  result?: JobResult;
  callback: CallbackStatus;
}

/** JobLevel 2 runs before 1 before 0. BullMQ runs lower numbers first, and a job without a priority before all. */
export function priorityOf(jobLevel: number): number {
  return 3 - jobLevel;
}

/** The concat parameters a job runs with: the template snapshot, else the inline ConcatTemplate. */
export function concatTemplateOf(job: JobDoc): ConcatTemplate | undefined {
  return job.templateSnapshot ?? job.request.operation.concatTemplate;
}

/** Every watermark a job draws: the inline ones, then those of its watermark templates. */
export function watermarksOf(job: JobDoc): Watermark[] {
  return [...job.request.operation.watermarks, ...(job.watermarkSnapshot ?? [])];
}
