// The MediaWorkflow body (docs/ci-api.md 6) and its echo. Its fields are read in row order and
// as the workflow pages describe them: Name and State trimmed (an empty State is Paused), the Topology
// kept as sent and checked by the topology rules of domain/workflow.ts.
import { ValidationError } from '../domain/validation-error.js';
import {
  parseWorkflowName,
  validateTopology,
  WORKFLOW_STATES,
  type Tree,
  type WorkflowBody,
  type WorkflowRecord,
} from '../domain/workflow.js';
import { scalarText } from '../domain/scalar-text.js';
import { formatCiTime } from '../domain/time.js';
import { box, readTree, type Element, type Reader } from './read.js';

function isTree(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The workflow name rule of domain/workflow.ts; a container or an empty element is missing. */
function workflowName(): Reader<string> {
  return (value, path) => parseWorkflowName(value, path);
}

/** Active or Paused; an empty element is Paused. */
function workflowState(): Reader<WorkflowBody['state']> {
  return (value, path) => {
    const given = scalarText(value)?.trim();
    const state = given === undefined || given === '' ? 'Paused' : given;
    if (!(WORKFLOW_STATES as readonly string[]).includes(state))
      throw new ValidationError(path, `must be Active or Paused, got ${JSON.stringify(state)}`);
    return state as WorkflowBody['state'];
  };
}

const TOPOLOGY_PROBLEM = 'is required and must hold Dependencies and Nodes';

/** The Topology as sent; its rules are checked once the body is read. */
function topology(): Reader<Tree> {
  return (value, path) => {
    if (!isTree(value)) throw new ValidationError(path, TOPOLOGY_PROBLEM);
    return value;
  };
}

const MEDIA_WORKFLOW: Element<WorkflowBody> = {
  order: 'rows',
  rows: [
    { xml: 'Name', key: 'name', read: workflowName(), required: true, echo: 'always' },
    { xml: 'State', key: 'state', read: workflowState(), default: 'Paused', echo: 'always' },
    { xml: 'Topology', key: 'topology', read: topology(), required: { problem: TOPOLOGY_PROBLEM }, echo: 'always' },
  ],
  check: (w) => validateTopology(w.topology),
};

const MEDIA_WORKFLOW_PROBLEM = 'is required and must hold Name, State and Topology';

const WORKFLOW_REQUEST: Element<{ mediaWorkflow: WorkflowBody }> = {
  order: 'rows',
  rows: [
    {
      xml: 'MediaWorkflow',
      key: 'mediaWorkflow',
      read: box(MEDIA_WORKFLOW, MEDIA_WORKFLOW_PROBLEM),
      required: { problem: MEDIA_WORKFLOW_PROBLEM },
      echo: 'always',
    },
  ],
};

export function parseWorkflowRequest(tree: Tree): WorkflowBody {
  const { name, state, topology: t } = readTree(WORKFLOW_REQUEST, tree, 'Request').mediaWorkflow;
  return { name, state, topology: t };
}

export function workflowToXml(w: WorkflowRecord): Tree {
  return {
    Name: w.name,
    State: w.state,
    WorkflowId: w.workflowId,
    BucketId: w.bucket,
    CreateTime: formatCiTime(w.createMs),
    UpdateTime: formatCiTime(w.updateMs),
    Topology: w.topology,
  };
}
