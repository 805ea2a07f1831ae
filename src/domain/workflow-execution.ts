// Workflow executions (instances): one run of a workflow for one object, and its tasks (one job per
// node). Also the output wildcards of workflow nodes and the time formats the execution APIs use (their
// XML is in wire/execution.ts).
import { formatCiTime } from './time.js';
import type { Tree } from './workflow.js';

export type ExecutionState = 'Running' | 'Success' | 'Failed' | 'Cancel';
export const EXECUTION_STATES: readonly ExecutionState[] = ['Running', 'Success', 'Failed', 'Cancel'];

export interface WorkflowNotify {
  url: string;
  format: 'XML' | 'JSON';
  events: string[];
}

/** Fixed when the execution starts. */
export interface ExecutionDoc {
  runId: string;
  workflowId: string;
  workflowName: string;
  bucket: string;
  region: string;
  /** The object the execution runs for. */
  object: string;
  /** Batch name given to the trigger, if any. */
  name?: string;
  queueId: string;
  createMs: number;
  /** The topology as it was when the execution started. */
  topology: Tree;
  notify?: WorkflowNotify;
  cosHeaders: { key: string; value: string }[];
}

export interface ExecutionTask {
  /** The node key, e.g. Concat_1581665960536. */
  name: string;
  type: string;
  jobId: string;
  state: string;
  createMs: number;
  startMs?: number;
  endMs?: number;
  code: string;
  message: string;
  templateId?: string;
  templateName?: string;
}

export interface ExecutionRecord extends ExecutionDoc {
  state: ExecutionState;
  endMs?: number;
  tasks: ExecutionTask[];
}

/**
 * Expands a workflow node's Output.Object for an input key: ${InputPath}, ${InputName},
 * ${InputNameAndExt} and ${RunId}, in any letter case. ${Ext} and ${Jobid} are left for the job,
 * which knows its container and id.
 */
export function expandWorkflowOutput(object: string, inputKey: string, runId: string): string {
  const slash = inputKey.lastIndexOf('/');
  const path = slash >= 0 ? inputKey.slice(0, slash) : '';
  const nameAndExt = slash >= 0 ? inputKey.slice(slash + 1) : inputKey;
  const dot = nameAndExt.lastIndexOf('.');
  const name = dot > 0 ? nameAndExt.slice(0, dot) : nameAndExt;
  return object
    .replace(/\$\{InputPath\}/gi, path)
    .replace(/\$\{InputNameAndExt\}/gi, nameAndExt)
    .replace(/\$\{InputName\}/gi, name)
    .replace(/\$\{RunId\}/gi, runId)
    .replace(/^\/+/, '')
    .replace(/\/{2,}/g, '/');
}

/** `2022-08-09T14:54:17+08:00`: the execution list and detail format. */
export function formatRfc3339(ms: number): string {
  const t = formatCiTime(ms);
  return `${t.slice(0, -2)}:${t.slice(-2)}`;
}

/** `2022-08-09 14:54:17+0800`: the WorkflowFinish notification format. */
export function formatCallbackTime(ms: number): string {
  return formatCiTime(ms).replace('T', ' ');
}
