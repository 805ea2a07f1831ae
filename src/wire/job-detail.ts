// A job record as CI's JobsDetail tree: the shape of submit, describe, list and callback bodies.
import { operationToXml } from './concat-request.js';
import type { JobRecord } from '../domain/job.js';
import { formatCiTime } from '../domain/time.js';

interface JobXmlOptions {
  /** Describe and list show Progress; the submit response does not. */
  progress: boolean;
}

export function jobToXml(job: JobRecord, opts: JobXmlOptions): Record<string, unknown> {
  const operation: Record<string, unknown> = {};
  const echo = operationToXml(job.request.operation);
  for (const [k, v] of Object.entries(echo)) {
    operation[k] = v;
    if (k === 'TemplateId' && job.templateName !== undefined) operation.TemplateName = job.templateName;
  }
  if (job.state === 'Success' && job.result) {
    operation.MediaInfo = job.result.mediaInfo;
    operation.MediaResult = job.result.mediaResult;
  }
  const input: Record<string, unknown> = { BucketId: job.bucket };
  if (job.request.input) input.Object = job.request.input.object;
  input.Region = job.region;
  if (job.cosHeaders && job.cosHeaders.length > 0) input.CosHeaders = job.cosHeaders.map((h) => ({ Key: h.key, Value: h.value }));

  const detail: Record<string, unknown> = {
    Code: job.code,
    Message: job.message,
    JobId: job.jobId,
    State: job.state,
  };
  if (opts.progress) detail.Progress = String(job.progress);
  Object.assign(detail, {
    CreationTime: formatCiTime(job.creationMs),
    StartTime: job.startMs !== undefined ? formatCiTime(job.startMs) : '-',
    EndTime: job.endMs !== undefined ? formatCiTime(job.endMs) : '-',
    QueueId: job.queueId,
    Tag: job.tag,
    Input: input,
    Operation: operation,
  });
  if (opts.progress && job.callback.delivery !== 'None') {
    // Engine extension (not in CI's JobsDetail): whether the TaskFinish callback reached its receiver.
    detail.CallBackInfo = {
      State: job.callback.delivery,
      Attempts: String(job.callback.attempts),
      LastError: job.callback.lastError ?? '',
    };
  }
  if (job.workflow) {
    detail.Workflow = {
      Name: job.workflow.name,
      RunId: job.workflow.runId,
      WorkflowId: job.workflow.workflowId,
      WorkflowName: job.workflow.workflowName,
    };
  }
  return detail;
}
