// Workflows (docs/ci-api.md 6 and the Querying Workflow page): the workflow model and the rules
// of its topology (its XML body and echo are in wire/workflow.ts). The topology is kept as the client sent it (every field, every node key,
// the order of Dependencies and Nodes), so exported workflows round-trip exactly; validation reads it
// without rewriting it. Template ids are checked when a workflow runs, not when it is stored.
import { scalarText } from './scalar-text.js';
import { ValidationError } from './validation-error.js';

export type Tree = Record<string, unknown>;

export const WORKFLOW_STATES = ['Active', 'Paused'] as const;

export interface WorkflowBody {
  name: string;
  state: (typeof WORKFLOW_STATES)[number];
  /** The Topology element as sent: { Dependencies: {...}, Nodes: {...} }. */
  topology: Tree;
}

export interface WorkflowRecord extends WorkflowBody {
  workflowId: string;
  bucket: string;
  /** From the Host the workflow was created with; its executions' jobs carry it. */
  region: string;
  createMs: number;
  updateMs: number;
}

/** Successor types each node type allows (docs/ci-api.md 6.3). */
const ALLOWED_SUCCESSORS: Record<string, readonly string[]> = {
  Start: [
    'Snapshot',
    'Animation',
    'SmartCover',
    'Transcode',
    'Concat',
    'VoiceSeparate',
    'VideoMontage',
    'StreamPackConfig',
    'SDRtoHDR',
    'VideoProcess',
    'SCF',
    'SuperResolution',
    'Segment',
    'PicProcess',
    'Tts',
    'SpeechRecognition',
    'VideoEnhance',
    'MediaInfo',
    'AIRecognition',
    'SegmentVideoBody',
  ],
  Snapshot: ['PicProcess', 'SCF', 'End'],
  Animation: ['SCF', 'End'],
  SmartCover: ['PicProcess', 'SCF', 'End'],
  Transcode: [
    'Snapshot',
    'Animation',
    'SmartCover',
    'Concat',
    'VideoMontage',
    'SDRtoHDR',
    'VideoProcess',
    'SCF',
    'Segment',
    'SpeechRecognition',
    'VideoEnhance',
    'MediaInfo',
    'SegmentVideoBody',
    'End',
  ],
  Concat: [
    'Transcode',
    'Snapshot',
    'Animation',
    'SmartCover',
    'SDRtoHDR',
    'VideoProcess',
    'SCF',
    'Segment',
    'VideoEnhance',
    'MediaInfo',
    'SegmentVideoBody',
    'End',
  ],
  VoiceSeparate: ['SCF', 'SpeechRecognition', 'End'],
  VideoMontage: [
    'Snapshot',
    'Animation',
    'SDRtoHDR',
    'VideoProcess',
    'SCF',
    'SuperResolution',
    'VideoEnhance',
    'Segment',
    'MediaInfo',
    'SegmentVideoBody',
    'End',
  ],
  StreamPackConfig: ['VideoStream'],
  VideoStream: ['StreamPack'],
  StreamPack: ['End'],
  SDRtoHDR: [
    'Transcode',
    'Concat',
    'VideoMontage',
    'VoiceSeparate',
    'SmartCover',
    'Animation',
    'VideoProcess',
    'SCF',
    'SuperResolution',
    'SegmentVideoBody',
    'End',
  ],
  VideoProcess: [
    'Transcode',
    'Concat',
    'VideoMontage',
    'VoiceSeparate',
    'SmartCover',
    'Animation',
    'SDRtoHDR',
    'SCF',
    'Segment',
    'SuperResolution',
    'MediaInfo',
    'SegmentVideoBody',
    'End',
  ],
  SCF: ['SDRtoHDR', 'Snapshot', 'Transcode', 'Concat', 'VideoMontage', 'VoiceSeparate', 'SmartCover', 'Animation', 'VideoProcess', 'End'],
  SuperResolution: [
    'VideoMontage',
    'Transcode',
    'SmartCover',
    'Animation',
    'Snapshot',
    'SCF',
    'Segment',
    'SDRtoHDR',
    'VideoProcess',
    'MediaInfo',
    'SegmentVideoBody',
    'End',
  ],
  Segment: ['VideoEnhance', 'SegmentVideoBody', 'End'],
  PicProcess: ['SCF', 'End'],
  Tts: ['SCF', 'Transcode', 'End'],
  SpeechRecognition: ['SCF', 'Tts', 'End'],
  VideoEnhance: [
    'Transcode',
    'VideoMontage',
    'SmartCover',
    'Animation',
    'Snapshot',
    'SCF',
    'Segment',
    'SpeechRecognition',
    'VoiceSeparate',
    'MediaInfo',
    'End',
  ],
  MediaInfo: ['Condition', 'End'],
  Condition: [
    'Transcode',
    'HighSpeedHd',
    'SuperResolution',
    'VideoProcess',
    'Animation',
    'Snapshot',
    'VideoMontage',
    'SmartCover',
    'Concat',
    'VideoEnhance',
  ],
  AIRecognition: ['End'],
  SegmentVideoBody: ['End'],
  HighSpeedHd: ['End'],
};

/** The node types this engine executes; a workflow holding any other is stored but cannot run. */
const RUNNABLE_TYPES: ReadonlySet<string> = new Set(['Start', 'Concat']);

/** Node types that need a template and an Output to be meaningful (their Operation fields). */
const NEEDS_TEMPLATE = new Set(['Snapshot', 'Animation', 'Concat', 'VoiceSeparate', 'VideoMontage', 'PicProcess', 'Tts']);
const NEEDS_OUTPUT = new Set([
  'Snapshot',
  'Animation',
  'SmartCover',
  'Transcode',
  'Concat',
  'VoiceSeparate',
  'VideoMontage',
  'VideoStream',
  'SDRtoHDR',
  'VideoProcess',
  'SuperResolution',
  'Segment',
  'PicProcess',
  'Tts',
  'SpeechRecognition',
]);
const SINGLE_TYPES = ['StreamPackConfig', 'StreamPack'];

/** Chinese, English letters, digits, `-` and `_`; at most 128 characters. */
const NAME = /^[\p{Script=Han}A-Za-z0-9_-]{1,128}$/u;
const NODE_KEY = /^([A-Za-z]+)_([A-Za-z0-9-]+)$/;

function isTree(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function text(v: unknown): string | undefined {
  return scalarText(v)?.trim();
}

function nodeError(key: string, problem: string): ValidationError {
  return new ValidationError(`Request.MediaWorkflow.Topology.Nodes.${key}`, problem);
}

export function parseWorkflowName(value: unknown, field: string): string {
  const name = text(value);
  if (name === undefined || name === '') throw new ValidationError(field, 'is required');
  if (!NAME.test(name))
    throw new ValidationError(
      field,
      `must be 1 to 128 Chinese characters, letters, digits, - or _, got ${JSON.stringify(name.slice(0, 140))}`,
    );
  return name;
}

/** The successors of each node, in the order written, from Topology.Dependencies. */
export function successorsOf(topology: Tree): Map<string, string[]> {
  const deps = isTree(topology.Dependencies) ? topology.Dependencies : {};
  const out = new Map<string, string[]>();
  for (const [key, v] of Object.entries(deps)) {
    out.set(
      key,
      (text(v) ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    );
  }
  return out;
}

export function nodeType(topology: Tree, key: string): string | undefined {
  const nodes = isTree(topology.Nodes) ? topology.Nodes : {};
  const node = nodes[key];
  return isTree(node) ? text(node.Type) : undefined;
}

export function validateTopology(topology: Tree): void {
  const P = 'Request.MediaWorkflow.Topology';
  if (!isTree(topology.Dependencies))
    throw new ValidationError(`${P}.Dependencies`, 'is required: each node key with its successors (comma list, End to finish)');
  if (!isTree(topology.Nodes)) throw new ValidationError(`${P}.Nodes`, 'is required: each node key with its Type and Input or Operation');
  const nodes = topology.Nodes;
  const succ = successorsOf(topology);
  for (const [key, v] of Object.entries(topology.Dependencies)) {
    if (typeof v === 'object' && v !== null)
      throw new ValidationError(`${P}.Dependencies.${key}`, 'must be a comma list of node keys (or End), given once');
  }

  // Keys and types.
  const types = new Map<string, string>();
  for (const [key, node] of Object.entries(nodes)) {
    if (!isTree(node)) throw nodeError(key, 'must be one container with a Type');
    const type = text(node.Type);
    if (!type) throw nodeError(key, 'Type is required');
    if (key === 'End') throw nodeError(key, 'End is the terminal marker, not a node');
    if (type === 'Start') {
      if (key !== 'Start') throw nodeError(key, 'the Start node must have the key Start');
    } else {
      const m = NODE_KEY.exec(key);
      if (!m) throw nodeError(key, `node keys are <Type>_<suffix>, for example ${type}_1581665960536`);
      if (m[1] !== type) throw nodeError(key, `the key says ${m[1]} but Type is ${type}`);
      if (!(type in ALLOWED_SUCCESSORS)) throw nodeError(key, `unknown node Type ${JSON.stringify(type)}`);
    }
    types.set(key, type);
  }
  const starts = [...types.values()].filter((t) => t === 'Start').length;
  if (starts !== 1) throw new ValidationError(`${P}.Nodes`, `must hold exactly one Start node, found ${starts}`);
  for (const t of SINGLE_TYPES) {
    const n = [...types.values()].filter((x) => x === t).length;
    if (n > 1) throw new ValidationError(`${P}.Nodes`, `may hold at most one ${t} node, found ${n}`);
  }

  // Every node in both maps; successors exist and are allowed.
  for (const key of types.keys()) {
    if (!succ.has(key)) throw new ValidationError(`${P}.Dependencies`, `has no entry for node ${key}`);
  }
  for (const [key, next] of succ) {
    const type = types.get(key);
    if (type === undefined) throw new ValidationError(`${P}.Dependencies.${key}`, `names a node that is not in Nodes`);
    if (next.length === 0) throw new ValidationError(`${P}.Dependencies.${key}`, 'must name at least one successor (or End)');
    const allowed = ALLOWED_SUCCESSORS[type] ?? [];
    for (const n of next) {
      const nType = n === 'End' ? 'End' : types.get(n);
      if (nType === undefined) throw new ValidationError(`${P}.Dependencies.${key}`, `successor ${n} is not in Nodes`);
      if (nType === 'Start') throw new ValidationError(`${P}.Dependencies.${key}`, 'Start cannot be a successor');
      if (!allowed.includes(nType)) {
        throw new ValidationError(
          `${P}.Dependencies.${key}`,
          `a ${type} node cannot be followed by ${nType} (${n}); allowed: ${allowed.join(', ')}`,
        );
      }
    }
  }

  // Acyclic, and every node reachable from Start.
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (key: string, path: string[]): void => {
    if (key === 'End') return;
    const s = state.get(key);
    if (s === 'done') return;
    if (s === 'visiting') throw new ValidationError(`${P}.Dependencies`, `has a cycle: ${[...path, key].join(' -> ')}`);
    state.set(key, 'visiting');
    for (const n of succ.get(key) ?? []) visit(n, [...path, key]);
    state.set(key, 'done');
  };
  visit('Start', []);
  for (const key of types.keys()) {
    if (!state.has(key)) throw new ValidationError(`${P}.Dependencies`, `node ${key} cannot be reached from Start`);
  }

  // Required fields per type.
  for (const [key, type] of types) validateNode(key, type, nodes[key] as Tree, types);
}

function validateNode(key: string, type: string, node: Tree, types: Map<string, string>): void {
  if (type === 'Start') {
    const input = node.Input;
    if (!isTree(input)) throw nodeError(key, 'Input is required (QueueId, ObjectPrefix)');
    if (!text(input.QueueId)) throw nodeError(key, 'Input.QueueId is required');
    if (text(input.ObjectPrefix) === undefined) throw nodeError(key, 'Input.ObjectPrefix is required');
    if ([...types.values()].includes('PicProcess') && !text(input.PicProcessQueueId)) {
      throw nodeError(key, 'Input.PicProcessQueueId is required when the workflow has a PicProcess node');
    }
    if (input.NotifyConfig !== undefined) {
      const n = input.NotifyConfig;
      if (!isTree(n)) throw nodeError(key, 'Input.NotifyConfig must be one container');
      const on = text(n.State) ?? 'Off';
      if (on !== 'On' && on !== 'Off') throw nodeError(key, `Input.NotifyConfig.State must be On or Off, got ${JSON.stringify(on)}`);
      if (on === 'On' && !text(n.Url) && (text(n.Type) ?? 'Url') === 'Url')
        throw nodeError(key, 'Input.NotifyConfig.Url is required when State is On');
    }
    if (input.ExtFilter !== undefined) {
      const f = input.ExtFilter;
      if (!isTree(f)) throw nodeError(key, 'Input.ExtFilter must be one container');
      if (text(f.Custom) === 'true') {
        const exts = (text(f.CustomExts) ?? '').split('/').filter((s) => s !== '');
        if (exts.length === 0) throw nodeError(key, 'Input.ExtFilter.CustomExts is required when Custom is true');
        if (exts.length > 10) throw nodeError(key, `Input.ExtFilter.CustomExts allows at most 10 extensions, got ${exts.length}`);
      }
    }
    return;
  }
  const op = node.Operation;
  if (!isTree(op)) throw nodeError(key, 'Operation is required');
  if (NEEDS_TEMPLATE.has(type) && !text(op.TemplateId)) throw nodeError(key, `Operation.TemplateId is required for a ${type} node`);
  if (NEEDS_OUTPUT.has(type)) {
    const out = op.Output;
    if (!isTree(out)) throw nodeError(key, 'Operation.Output is required (Region, Bucket, Object)');
    for (const f of ['Region', 'Bucket', 'Object']) {
      if (!text(out[f])) throw nodeError(key, `Operation.Output.${f} is required`);
    }
  }
  if (type === 'Segment' && !(isTree(op.Segment) && text(op.Segment.Format))) throw nodeError(key, 'Operation.Segment.Format is required');
  if (type === 'SDRtoHDR' && !(isTree(op.SDRtoHDR) && text(op.SDRtoHDR.HdrMode)))
    throw nodeError(key, 'Operation.SDRtoHDR.HdrMode is required');
  if (type === 'SCF' && !(isTree(op.SCF) && text(op.SCF.Region) && text(op.SCF.FunctionName)))
    throw nodeError(key, 'Operation.SCF.Region and FunctionName are required');
  if (type === 'StreamPack') {
    const info = op.StreamPackInfo;
    const configs = isTree(info) ? [info.VideoStreamConfig].flat().filter(isTree) : [];
    if (configs.length === 0) throw nodeError(key, 'Operation.StreamPackInfo.VideoStreamConfig is required');
    for (const c of configs) {
      const name = text(c.VideoStreamName);
      if (!name || types.get(name) !== 'VideoStream')
        throw nodeError(key, `VideoStreamName ${JSON.stringify(name ?? '')} must name a VideoStream node`);
    }
  }
}

/** Node types of a workflow that this engine cannot execute (empty when it can run). */
export function unrunnableTypes(topology: Tree): string[] {
  const nodes = isTree(topology.Nodes) ? topology.Nodes : {};
  const types = Object.values(nodes).map((n) => (isTree(n) ? (text(n.Type) ?? '') : ''));
  return [...new Set(types.filter((t) => !RUNNABLE_TYPES.has(t)))];
}
