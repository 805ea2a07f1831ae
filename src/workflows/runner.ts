// Running workflows: an execution per (workflow, object), each node a Concat job in the Start node's
// queue whose JobsDetail carries Workflow {Name, RunId, WorkflowId, WorkflowName}. A node's job takes
// the object as input (after Start) or its predecessor's output; when a job ends, its successors are
// submitted, and when the last job of the execution ends, the execution ends: Failed if a task failed,
// Cancel if one was cancelled, else Success, and the WorkflowFinish notification goes out.
import type { Logger } from '../logger.js';
import { CiFailure } from '../domain/errors.js';
import type { ConcatJobRequest } from '../domain/concat-types.js';
import { newId } from '../domain/ids.js';
import { scalarText } from '../domain/scalar-text.js';
import type { JobDoc, JobRecord } from '../domain/job.js';
import type { TemplateRecord } from '../domain/template.js';
import {
  expandWorkflowOutput,
  type ExecutionDoc,
  type ExecutionRecord,
  type ExecutionTask,
  type WorkflowNotify,
} from '../domain/workflow-execution.js';
import { nodeType, successorsOf, unrunnableTypes, type Tree, type WorkflowRecord } from '../domain/workflow.js';
import { EnqueueFailed, submitJob } from '../queue/submit-job.js';
import type { MediaQueues } from '../queue/media-queues.js';
import type { ExecutionStore } from '../store/execution-store.js';
import type { JobStore } from '../store/job-store.js';
import type { QueueStore } from '../store/queue-store.js';
import type { TemplateStore } from '../store/template-store.js';

/** A workflow that cannot run as it stands; the message names what to fix. */
export class RunRefused extends CiFailure {
  constructor(message: string) {
    super('InvalidArgument', message);
  }
}

interface WorkflowRunnerDeps {
  templates: TemplateStore;
  executions: ExecutionStore;
  jobs: JobStore;
  queues: QueueStore;
  mediaQueues: MediaQueues;
  logger: Logger;
  /** Called once when an execution ends (the WorkflowFinish notification hangs here). */
  onExecutionFinished?: (e: ExecutionRecord) => Promise<void>;
  /** Told of each job a workflow step submits (the metrics count them). */
  onSubmitted?: (doc: JobDoc) => void;
}

interface NodeInput {
  bucket: string;
  region: string;
  object: string;
  /** The triggering object's headers (for the nodes right after Start). */
  cosHeaders?: { key: string; value: string }[];
}

function isTree(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function text(v: unknown): string | undefined {
  return scalarText(v)?.trim();
}

function nodeOf(topology: Tree, key: string): Tree {
  const nodes = isTree(topology.Nodes) ? topology.Nodes : {};
  const node = nodes[key];
  return isTree(node) ? node : {};
}

function notifyOf(topology: Tree): WorkflowNotify | undefined {
  const input = nodeOf(topology, 'Start').Input;
  const n = isTree(input) ? input.NotifyConfig : undefined;
  if (!isTree(n) || text(n.State) !== 'On' || (text(n.Type) ?? 'Url') !== 'Url' || !text(n.Url)) return undefined;
  return {
    url: text(n.Url)!,
    format: text(n.ResultFormat) === 'JSON' ? 'JSON' : 'XML',
    events: (text(n.Event) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  };
}

export class WorkflowRunner {
  constructor(private readonly deps: WorkflowRunnerDeps) {}

  /** Whether the workflow can run now: node types, its queue, and every Concat node's template. */
  async check(w: WorkflowRecord): Promise<Map<string, TemplateRecord>> {
    const missing = unrunnableTypes(w.topology);
    if (missing.length > 0) {
      throw new RunRefused(`workflow ${w.workflowId} cannot run: this engine runs Start, Concat and End nodes, not ${missing.join(', ')}`);
    }
    const input = nodeOf(w.topology, 'Start').Input;
    const queueId = isTree(input) ? (text(input.QueueId) ?? '') : '';
    if (!(await this.deps.queues.get(queueId))) {
      throw new RunRefused(
        `workflow ${w.workflowId} cannot run: Start.Input.QueueId ${queueId} is not a queue of this engine (GET /queue lists them)`,
      );
    }
    const templates = new Map<string, TemplateRecord>();
    const nodes = isTree(w.topology.Nodes) ? w.topology.Nodes : {};
    for (const key of Object.keys(nodes)) {
      if (nodeType(w.topology, key) !== 'Concat') continue;
      const op = nodeOf(w.topology, key).Operation;
      const id = isTree(op) ? (text(op.TemplateId) ?? '') : '';
      const t = await this.deps.templates.get(w.bucket, id);
      if (!t)
        throw new RunRefused(
          `workflow ${w.workflowId} cannot run: node ${key} names template ${id}, which does not exist in bucket ${w.bucket}`,
        );
      if (t.tag !== 'Concat')
        throw new RunRefused(
          `workflow ${w.workflowId} cannot run: node ${key} names template ${id}, a ${t.tag} template, not a Concat template`,
        );
      templates.set(key, t);
    }
    return templates;
  }

  /** Starts an execution of the workflow for an object of its bucket; returns its RunId (the InstanceId). */
  async start(
    w: WorkflowRecord,
    object: string,
    opts: { name?: string; cosHeaders?: { key: string; value: string }[] } = {},
  ): Promise<string> {
    const templates = await this.check(w);
    const input = nodeOf(w.topology, 'Start').Input as Tree;
    const now = Date.now();
    const doc: ExecutionDoc = {
      runId: newId('instance', now),
      workflowId: w.workflowId,
      workflowName: w.name,
      bucket: w.bucket,
      region: w.region,
      object,
      name: opts.name,
      queueId: text(input.QueueId)!,
      createMs: now,
      topology: w.topology,
      notify: notifyOf(w.topology),
      cosHeaders: opts.cosHeaders ?? [],
    };
    const first = (successorsOf(w.topology).get('Start') ?? []).filter((n) => n !== 'End');
    await this.deps.executions.create(doc, first.length);
    this.deps.logger.info({ runId: doc.runId, workflowId: w.workflowId, object }, 'workflow execution started');
    if (first.length === 0) {
      await this.finish(doc.runId);
      return doc.runId;
    }
    for (const key of first)
      await this.submitNode(doc, key, { bucket: w.bucket, region: w.region, object, cosHeaders: doc.cosHeaders }, templates.get(key));
    return doc.runId;
  }

  /** Records a node job's end and moves its execution on. Jobs outside workflows are ignored. */
  async onJobFinished(job: JobRecord): Promise<void> {
    if (!job.workflow) return;
    const exec = await this.deps.executions.get(job.workflow.runId);
    if (!exec) return;
    const key = job.workflow.name;
    await this.deps.executions.putTask(exec.runId, taskOf(key, job));
    if (job.state === 'Success') {
      const out = job.result?.mediaResult as { OutputFile?: { Bucket?: string; Region?: string; ObjectName?: string } } | undefined;
      const next = (successorsOf(exec.topology).get(key) ?? []).filter((n) => n !== 'End');
      if (next.length > 0 && out?.OutputFile?.ObjectName) {
        await this.deps.executions.addPending(exec.runId, next.length);
        const input = {
          bucket: out.OutputFile.Bucket ?? job.bucket,
          region: out.OutputFile.Region ?? job.region,
          object: out.OutputFile.ObjectName,
        };
        for (const n of next) await this.submitNode(exec, n, input, undefined);
      }
    }
    if ((await this.deps.executions.addPending(exec.runId, -1)) <= 0) await this.finish(exec.runId);
  }

  private async submitNode(exec: ExecutionDoc, key: string, input: NodeInput, template: TemplateRecord | undefined): Promise<void> {
    const now = Date.now();
    const jobId = newId('job', now);
    const type = nodeType(exec.topology, key) ?? '';
    const op = nodeOf(exec.topology, key).Operation;
    const fail = async (code: string, message: string): Promise<void> => {
      await this.deps.executions.putTask(exec.runId, { name: key, type, jobId, state: 'Failed', createMs: now, endMs: now, code, message });
      this.deps.logger.warn({ runId: exec.runId, node: key, code, message }, 'workflow node not started');
      if ((await this.deps.executions.addPending(exec.runId, -1)) <= 0) await this.finish(exec.runId);
    };
    const templateId = isTree(op) ? (text(op.TemplateId) ?? '') : '';
    const t = template ?? (await this.deps.templates.get(exec.bucket, templateId));
    if (type !== 'Concat' || t?.tag !== 'Concat' || !isTree(op) || !isTree(op.Output)) {
      await fail('InvalidArgument', `node ${key} cannot run: it needs a Concat template (${templateId || 'none'}) and an Output`);
      return;
    }
    const output = op.Output;
    const notify = exec.notify;
    const request: ConcatJobRequest = {
      tag: 'Concat',
      input: { object: input.object },
      queueId: exec.queueId,
      operation: {
        templateId: t.templateId,
        watermarkTemplateIds: [],
        watermarks: [],
        output: {
          region: text(output.Region) ?? input.region,
          bucket: text(output.Bucket) ?? input.bucket,
          object: expandWorkflowOutput(text(output.Object) ?? '', input.object, exec.runId),
        },
        jobLevel: 0,
      },
      // The Start node's NotifyConfig stands in for the queue's: TaskFinish per node when it lists it.
      ...(notify ? { callBack: notify.events.includes('TaskFinish') ? notify.url : 'no', callBackFormat: notify.format } : {}),
    };
    const doc: JobDoc = {
      jobId,
      tag: 'Concat',
      bucket: input.bucket,
      region: input.region,
      queueId: exec.queueId,
      creationMs: now,
      request,
      templateSnapshot: t.concatTemplate,
      templateName: t.name,
      workflow: { name: key, runId: exec.runId, workflowId: exec.workflowId, workflowName: exec.workflowName },
      cosHeaders: input.cosHeaders,
    };
    const task: ExecutionTask = {
      name: key,
      type,
      jobId,
      state: 'Submitted',
      createMs: now,
      code: 'Success',
      message: '',
      templateId: t.templateId,
      templateName: t.name,
    };
    await this.deps.executions.putTask(exec.runId, task);
    try {
      const outcome = await submitJob(this.deps, doc);
      if (!outcome.ok) {
        const why =
          outcome.reason === 'PAUSED'
            ? 'is paused'
            : outcome.reason === 'SATURATED'
              ? `holds its MaxSize of ${outcome.maxSize} jobs`
              : 'does not exist';
        await fail(
          outcome.reason === 'NOQUEUE' ? 'InvalidArgument' : outcome.reason === 'PAUSED' ? 'QueuePaused' : 'QueueSaturated',
          `queue ${exec.queueId} ${why}`,
        );
      }
    } catch (err) {
      const cause = err instanceof EnqueueFailed ? err.queueError : err;
      await fail('InternalError', `the job of node ${key} could not be queued: ${(cause as Error).message}`);
    }
  }

  private async finish(runId: string): Promise<void> {
    const exec = await this.deps.executions.get(runId);
    if (exec?.state !== 'Running') return;
    const state = exec.tasks.some((t) => t.state === 'Failed')
      ? 'Failed'
      : exec.tasks.some((t) => t.state === 'Cancel')
        ? 'Cancel'
        : 'Success';
    const endMs = Date.now();
    await this.deps.executions.finish(runId, state, endMs);
    this.deps.logger.info({ runId, workflowId: exec.workflowId, state }, 'workflow execution finished');
    await this.deps
      .onExecutionFinished?.({ ...exec, state, endMs })
      .catch((err: unknown) => this.deps.logger.error({ err, runId }, 'workflow finish hook failed'));
  }
}

function taskOf(name: string, job: JobRecord): ExecutionTask {
  return {
    name,
    type: 'Concat',
    jobId: job.jobId,
    state: job.state,
    createMs: job.creationMs,
    startMs: job.startMs,
    endMs: job.endMs,
    code: job.code,
    message: job.message,
    templateId: job.request.operation.templateId,
    templateName: job.templateName,
  };
}
