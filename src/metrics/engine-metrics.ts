// The engine's Prometheus metrics: one registry per process, every metric defined here so the names, label
// sets and buckets are read in one place (the README's Metrics section lists them). Labels hold only
// bounded values: a state, a CI error Code, a media path, a phase, a queue id, a route pattern; never a job
// id, an object key, a bucket or a raw URL. Durations are in seconds. The layers that count things reach
// this class through the narrow methods below; queue depth is read at scrape time from a source the
// composition root hands in.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobDoc, JobRecord, JobState } from '../domain/job.js';

/** Phases of a job's run, as the runner times them. */
export const JOB_PHASES = ['fetch_and_probe', 'plan', 'ffmpeg', 'verify', 'fallback_encode', 'upload'] as const;
export type JobPhase = (typeof JOB_PHASES)[number];

/** The media path a job's output took; `none` when the job failed before it was planned. */
export type MediaPathLabel = 'copy' | 'hybrid' | 'smartcut' | 'encode' | 'split' | 'none';

/**
 * What a job's run tells the worker's metrics: its media path and phase times. Filled in by the runner
 * as it goes (so a failed job reports what it reached), never stored with the job nor shown to a client.
 */
export interface JobRunReport {
  /** The path of the plan whose output was (or was to be) uploaded: after a fallback, `encode`. */
  path?: MediaPathLabel;
  /** Seconds spent in each phase reached. */
  phases: Partial<Record<JobPhase, number>>;
}

export function newRunReport(): JobRunReport {
  return { phases: {} };
}

/** Jobs of one queue by state, as the job store counts them. */
export type QueueDepth = { queueId: string; counts: Record<JobState, number> }[];

export type CallbackOutcome = 'delivered' | 'retried' | 'failed';

/** Seconds: a job waits or runs from well under a second (a copy) to hours (a long encode). */
const JOB_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200];
/** Seconds: API answers are milliseconds; a submit reaching Redis and S3 may take longer. */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** How long a scrape waits for the job store's counts; Prometheus' own scrape timeout is 10 s by default. */
const DEPTH_TIMEOUT_MS = 2000;

/** Route label of a request no route took (404s): the raw URL would be unbounded. */
export const UNMATCHED_ROUTE = 'unmatched';

export class EngineMetrics {
  readonly registry = new Registry();
  private depthSource?: () => Promise<QueueDepth>;

  private readonly submitted = new Counter({
    name: 'ci_jobs_submitted_total',
    help: 'Jobs accepted into a queue, by queue and JobLevel (API and workflow submissions, counted by the process that submitted).',
    labelNames: ['queue', 'job_level'],
    registers: [this.registry],
  });

  private readonly finished = new Counter({
    name: 'ci_jobs_finished_total',
    help: 'Jobs that reached Success or Failed, by state, Code (Success for a success) and media path (none: failed before planning).',
    labelNames: ['state', 'code', 'path'],
    registers: [this.registry],
  });

  private readonly queueWait = new Histogram({
    name: 'ci_job_queue_wait_seconds',
    help: 'Time from submit to the start of the run on a worker (observed when the job ends).',
    buckets: JOB_BUCKETS,
    registers: [this.registry],
  });

  private readonly phase = new Histogram({
    name: 'ci_job_phase_seconds',
    help: 'Time of each phase of a job run: fetch_and_probe, plan, ffmpeg, verify (copies), fallback_encode (a copy that failed verification), upload.',
    labelNames: ['phase'],
    buckets: JOB_BUCKETS,
    registers: [this.registry],
  });

  private readonly total = new Histogram({
    name: 'ci_job_duration_seconds',
    help: 'Time from submit to Success or Failed, by state and media path.',
    labelNames: ['state', 'path'],
    buckets: JOB_BUCKETS,
    registers: [this.registry],
  });

  private readonly callbacks = new Counter({
    name: 'ci_callbacks_total',
    help: 'Callback delivery tries by event (TaskFinish, WorkflowFinish) and outcome: delivered, retried (a try failed, another follows) or failed (the last try failed).',
    labelNames: ['event', 'outcome'],
    registers: [this.registry],
  });

  private readonly httpRequests = new Counter({
    name: 'ci_http_requests_total',
    help: 'API requests answered, by method, route pattern (unmatched for no route) and status.',
    labelNames: ['method', 'route', 'status'],
    registers: [this.registry],
  });

  private readonly httpDuration = new Histogram({
    name: 'ci_http_request_duration_seconds',
    help: 'API request latency, from the request received to the answer sent, by method and route pattern.',
    labelNames: ['method', 'route'],
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'ci_' });
    const source = (): (() => Promise<QueueDepth>) | undefined => this.depthSource;
    new Gauge({
      name: 'ci_queue_jobs',
      help: 'Jobs per queue and state (Submitted = waiting), read from the job store at scrape time.',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        const read = source();
        // Without the counts (Redis down or slow) the gauge has no series, and the rest of the scrape is served.
        const depth = read ? await withTimeout(read(), DEPTH_TIMEOUT_MS).catch(() => []) : [];
        // Reset only once the counts are in: a queue deleted since the last scrape loses its series.
        this.reset();
        for (const { queueId, counts } of depth) {
          for (const [state, n] of Object.entries(counts)) this.set({ queue: queueId, state }, n);
        }
      },
    });
  }

  /** Where ci_queue_jobs is read from at each scrape (the API's job store); unset, the gauge has no series. */
  readQueueDepthFrom(source: () => Promise<QueueDepth>): void {
    this.depthSource = source;
  }

  readonly jobSubmitted = (doc: JobDoc): void => {
    this.submitted.inc({ queue: doc.queueId, job_level: String(doc.request.operation.jobLevel) });
  };

  /** A job that reached Success or Failed, with what its run reported (nothing when it never ran). */
  readonly jobFinished = (rec: JobRecord, report: JobRunReport = newRunReport()): void => {
    const state = rec.state;
    const path = report.path ?? 'none';
    this.finished.inc({ state, code: state === 'Success' ? 'Success' : rec.code || 'InternalError', path });
    if (rec.startMs !== undefined) this.queueWait.observe(Math.max(0, rec.startMs - rec.creationMs) / 1000);
    for (const [name, sec] of Object.entries(report.phases)) this.phase.observe({ phase: name }, sec);
    if (rec.endMs !== undefined) this.total.observe({ state, path }, Math.max(0, rec.endMs - rec.creationMs) / 1000);
  };

  readonly callbackTry = (event: string, outcome: CallbackOutcome): void => {
    this.callbacks.inc({ event, outcome });
  };

  /** `route` is the route's pattern (e.g. /jobs/:jobId), or UNMATCHED_ROUTE. */
  readonly httpRequest = (method: string, route: string, status: number, seconds: number): void => {
    this.httpRequests.inc({ method, route, status: String(status) });
    this.httpDuration.observe({ method, route }, seconds);
  };

  /** The exposition text and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
