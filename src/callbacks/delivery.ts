// Callback delivery from a queue of its own, so a slow or dead receiver never holds a media worker.
// Any 2xx counts as delivered; anything else (or no answer within the timeout) is retried with
// exponential backoff: 6 tries, by default 10 s, 20 s, 40 s, 80 s and 160 s apart (about 5 minutes).
// The job record keeps the delivery state: Pending, Delivered or Failed, the tries and the last error.
// Every try goes through safePost: a receiver address the policy refuses is a failed try (lastError
// says why), never a request.
//
// Once per notification: the queue entry's id is the notification's (`TaskFinish-<JobId>`), so asking
// again while BullMQ holds it adds nothing, and each try claims the notification in Redis first
// (store/delivery-marks.ts), so neither a delivery run again after its worker died nor a job that
// ended twice posts what a receiver already answered 2xx to. The one duplicate left: a worker killed
// between the receiver's answer and the mark; the next try logs that it may be a second one.
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { CallBackFormat } from '../domain/concat-types.js';
import type { CallbackStatus } from '../domain/job.js';
import type { JobStore } from '../store/job-store.js';
import type { ExecutionStore } from '../store/execution-store.js';
import type { DeliveryMarks } from '../store/delivery-marks.js';
import { bullPrefix } from '../queue/media-queues.js';
import { taskFinishBody, workflowFinishBody } from './task-finish.js';
import { AddressRefused, type AddressPolicy } from '../net/address-policy.js';
import { safePost } from './safe-post.js';

type CallbackTask =
  | { kind: 'TaskFinish'; jobId: string; url: string; format: CallBackFormat }
  | { kind: 'WorkflowFinish'; runId: string; url: string; format: CallBackFormat };

/** What a notification is about: its body, where its delivery state is kept, how its log lines name it. */
interface CallbackSubject {
  body: { contentType: string; body: string };
  record(status: CallbackStatus): Promise<void>;
  logFields: Record<string, string>;
}

interface SubjectDeps {
  jobs: JobStore;
  executions: ExecutionStore;
}

/** One entry per kind of notification: a new kind does not compile until it is here. */
const SUBJECTS: {
  [K in CallbackTask['kind']]: (task: Extract<CallbackTask, { kind: K }>, deps: SubjectDeps) => Promise<CallbackSubject | undefined>;
} = {
  TaskFinish: async (task, deps) => {
    const job = await deps.jobs.get(task.jobId);
    if (!job) return undefined;
    return {
      body: taskFinishBody(job, task.format),
      record: (callback) => deps.jobs.update(task.jobId, { callback }),
      logFields: { jobId: task.jobId },
    };
  },
  WorkflowFinish: async (task, deps) => {
    const exec = await deps.executions.get(task.runId);
    if (!exec) return undefined;
    return {
      body: workflowFinishBody(exec, task.format),
      record: (status) => deps.executions.setCallback(task.runId, { ...status }),
      logFields: { runId: task.runId, workflowId: exec.workflowId },
    };
  },
};

function subjectOf(task: CallbackTask, deps: SubjectDeps): Promise<CallbackSubject | undefined> {
  return task.kind === 'TaskFinish' ? SUBJECTS.TaskFinish(task, deps) : SUBJECTS.WorkflowFinish(task, deps);
}

/** The notification a task delivers, as the delivery marks and the queue entry's id name it. */
function notificationOf(task: CallbackTask): { kind: string; id: string } {
  return { kind: task.kind, id: task.kind === 'TaskFinish' ? task.jobId : task.runId };
}

const CALLBACK_QUEUE = 'callbacks';
const CALLBACK_ATTEMPTS = 6;

/** The config's callbacks section as it is; it is also the address policy (checked again at every try: DNS can change). */
interface CallbackSettings extends AddressPolicy {
  /** First retry delay; each next one doubles. */
  retryBaseMs: number;
  timeoutMs: number;
  /** CALLBACK_SIGNING_KEY: sign each POST (see safe-post.ts). */
  signingKey?: string;
}

export class CallbackQueue {
  private readonly queue: Queue<CallbackTask>;

  constructor(
    connection: Redis,
    keyPrefix: string,
    private readonly settings: CallbackSettings,
    private readonly marks: DeliveryMarks,
  ) {
    this.queue = new Queue<CallbackTask>(CALLBACK_QUEUE, { connection, prefix: bullPrefix(keyPrefix) });
  }

  /**
   * Queues a notification's delivery, once: false when it reached its receiver already. While BullMQ
   * keeps the entry (waiting, retrying, or among the last completed) its id makes a second add a no-op;
   * after that, the delivery mark refuses it. `beforeAdd` runs only when the delivery is queued.
   */
  async enqueue(task: CallbackTask, beforeAdd?: () => Promise<void>): Promise<boolean> {
    const n = notificationOf(task);
    if (await this.marks.isSent(n)) return false;
    // The record says Pending before any try can say Delivered.
    await beforeAdd?.();
    // BullMQ job ids must not contain ':'.
    await this.queue.add(task.kind, task, {
      jobId: `${n.kind}-${n.id}`,
      attempts: CALLBACK_ATTEMPTS,
      backoff: { type: 'exponential', delay: this.settings.retryBaseMs },
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 5000 },
    });
    return true;
  }

  close(): Promise<void> {
    return this.queue.close();
  }

  /** The BullMQ queue itself, for the dashboard to show. */
  get bullQueue(): Queue {
    return this.queue;
  }
}

export function startCallbackWorker(deps: {
  connection: Redis;
  keyPrefix: string;
  jobs: JobStore;
  executions: ExecutionStore;
  marks: DeliveryMarks;
  logger: Logger;
  settings: CallbackSettings;
  /** The media worker's WORKER_LOCK_SECONDS and WORKER_STALLED_CHECK_SECONDS (in ms) and its limit of deaths
   * under one entry: a delivery whose worker died is taken up again as soon as a media job would be. */
  lockMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
  /** Told of each try's outcome (the metrics count them). */
  onTry?: (event: CallbackTask['kind'], outcome: 'delivered' | 'retried' | 'failed') => void;
}): Worker<CallbackTask> {
  const worker = new Worker<CallbackTask>(
    CALLBACK_QUEUE,
    async (task: Job<CallbackTask>) => {
      const { url } = task.data;
      const attempt = task.attemptsMade + 1;
      const subject = await subjectOf(task.data, deps);
      if (!subject) return;
      const log = deps.logger.child(subject.logFields);
      const { contentType, body } = subject.body;
      const n = notificationOf(task.data);
      const found = await deps.marks.claim(n, attempt);
      if (found === 'sent') {
        // Its receiver answered 2xx to an earlier try, whose worker died before the queue knew.
        // A stalled entry keeps its try count: the earlier try had this number.
        await subject.record({ delivery: 'Delivered', url, attempts: attempt, deliveredMs: Date.now() });
        log.info({ attempt, event: task.data.kind }, 'callback delivered already; not sent again');
        return;
      }
      if (found === 'sending') {
        log.warn(
          { attempt, event: task.data.kind },
          "callback sent again: an earlier try's worker stopped during it, and that try may have reached the receiver",
        );
      }
      let problem: string | undefined;
      try {
        const status = await safePost(url, body, {
          contentType,
          timeoutMs: deps.settings.timeoutMs,
          policy: deps.settings,
          userAgent: 'ci-concat-engine-callback',
          signingKey: deps.settings.signingKey,
        });
        if (status < 200 || status >= 300) problem = `the receiver answered HTTP ${status}`;
      } catch (err) {
        const e = err as Error & { code?: string };
        problem = e instanceof AddressRefused ? `refused: ${e.message}` : e.name === 'TimeoutError' ? e.message : (e.code ?? e.message);
      }
      await deps.marks.settle(n, problem === undefined);
      if (problem === undefined) {
        await subject.record({ delivery: 'Delivered', url, attempts: attempt, deliveredMs: Date.now() });
        deps.onTry?.(task.data.kind, 'delivered');
        log.info({ attempt, event: task.data.kind }, 'callback delivered');
        return;
      }
      const last = attempt >= CALLBACK_ATTEMPTS;
      deps.onTry?.(task.data.kind, last ? 'failed' : 'retried');
      await subject.record({ delivery: last ? 'Failed' : 'Pending', url, attempts: attempt, lastError: problem });
      log.warn(
        { attempt, problem, final: last, event: task.data.kind },
        last ? 'callback not delivered; giving up' : 'callback not delivered; will retry',
      );
      throw new Error(problem);
    },
    {
      connection: deps.connection,
      prefix: bullPrefix(deps.keyPrefix),
      concurrency: 16,
      lockDuration: deps.lockMs,
      stalledInterval: deps.stalledIntervalMs,
      maxStalledCount: deps.maxStalledCount,
    },
  );
  worker.on('error', (err) => deps.logger.error({ err }, 'callback worker error'));
  return worker;
}
