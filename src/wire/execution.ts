// Workflow executions on the wire: the execution list and detail (docs/ci-api.md 7) and the
// WorkflowFinish notification body, with the time format each uses.
import { formatCallbackTime, formatRfc3339, type ExecutionRecord, type ExecutionTask } from '../domain/workflow-execution.js';
import type { Tree } from '../domain/workflow.js';

export function executionSummaryToXml(e: ExecutionRecord): Tree {
  return { RunId: e.runId, WorkflowId: e.workflowId, Object: e.object, CreateTime: formatRfc3339(e.createMs), State: e.state };
}

function taskToXml(t: ExecutionTask, time: (ms: number) => string): Tree {
  return {
    Type: t.type,
    JobId: t.jobId,
    CreateTime: time(t.createMs),
    Name: t.name,
    State: t.state,
    StartTime: t.startMs !== undefined ? time(t.startMs) : '-',
    EndTime: t.endMs !== undefined ? time(t.endMs) : '-',
    Code: t.code,
    Message: t.message,
    ...(t.templateId !== undefined ? { TemplateId: t.templateId } : {}),
    ...(t.templateName !== undefined ? { TemplateName: t.templateName } : {}),
  };
}

export function executionToXml(e: ExecutionRecord): Tree {
  return {
    WorkflowId: e.workflowId,
    // The doc's sample says Name, its table and the Go SDK WorkflowName: both are given.
    Name: e.workflowName,
    WorkflowName: e.workflowName,
    RunId: e.runId,
    CreateTime: formatRfc3339(e.createMs),
    Object: e.object,
    State: e.state,
    Topology: e.topology,
    Tasks: e.tasks.map((t) => taskToXml(t, formatRfc3339)),
  };
}

/** The WorkflowFinish notification body (docs/ci-api.md 7.3). */
export function workflowFinishTree(e: ExecutionRecord): Tree {
  return {
    EventName: 'WorkflowFinish',
    WorkflowExecution: {
      WorkflowId: e.workflowId,
      WorkflowName: e.workflowName,
      RunId: e.runId,
      State: e.state,
      BucketId: e.bucket,
      Object: e.object,
      CreateTime: formatCallbackTime(e.createMs),
      CosHeaders: e.cosHeaders.map((h) => ({ Key: h.key, Value: h.value })),
      Tasks: e.tasks.map((t) => taskToXml(t, formatCallbackTime)),
    },
  };
}
