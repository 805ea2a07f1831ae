// The TaskFinish notification (docs/ci-api.md 7.2), as XML (the default) or JSON, and where it goes: the
// job's own CallBack wins; `no` suppresses the queue's; otherwise the queue's NotifyConfig when it is
// On and lists TaskFinish.
import { buildXml, xmlTreeToJson } from '../wire/xml.js';
import type { CallBackFormat } from '../domain/concat-types.js';
import { jobToXml } from '../wire/job-detail.js';
import type { JobRecord } from '../domain/job.js';
import type { QueueRecord } from '../store/queue-store.js';
import type { ExecutionRecord } from '../domain/workflow-execution.js';
import { workflowFinishTree } from '../wire/execution.js';

interface CallbackTarget {
  url: string;
  format: CallBackFormat;
}

export function callbackTargetOf(job: JobRecord, queue: QueueRecord | undefined): CallbackTarget | undefined {
  const own = job.request.callBack;
  if (own === 'no') return undefined;
  if (own !== undefined) return { url: own, format: job.request.callBackFormat ?? 'XML' };
  const n = queue?.notifyConfig;
  if (
    n?.state === 'On' &&
    n.url &&
    (n.type ?? 'Url') === 'Url' &&
    (n.event ?? '')
      .split(',')
      .map((s) => s.trim())
      .includes('TaskFinish')
  ) {
    return { url: n.url, format: job.request.callBackFormat ?? n.resultFormat ?? 'XML' };
  }
  return undefined;
}

export function taskFinishBody(job: JobRecord, format: CallBackFormat): { contentType: string; body: string } {
  const tree = { EventName: 'TaskFinish', JobsDetail: jobToXml(job, { progress: false }) };
  if (format === 'JSON') return { contentType: 'application/json', body: JSON.stringify(xmlTreeToJson(tree)) };
  return { contentType: 'application/xml', body: buildXml('Response', tree) };
}

/** The WorkflowFinish notification (docs/ci-api.md 7.3), as XML or JSON. */
export function workflowFinishBody(e: ExecutionRecord, format: CallBackFormat): { contentType: string; body: string } {
  const tree = workflowFinishTree(e);
  if (format === 'JSON') return { contentType: 'application/json', body: JSON.stringify(xmlTreeToJson(tree)) };
  return { contentType: 'application/xml', body: buildXml('Response', tree) };
}
