// Concat job requests at the API boundary. This module owns:
//  * validation of the `<Request>` content of POST /jobs (Tag=Concat) against every documented rule
//    (docs/ci-api.md 1.1-1.5 and 10), turning the raw XML tree into the typed model of concat-types.ts;
//  * the PascalCase echo of the validated Operation used in JobsDetail responses and callbacks.
//
// Reading rules (docs/ci-api.md 0.2): scalars may arrive as strings or numbers; booleans are `true`/`false`
// (any case); a repeated element may arrive as a single object; unknown elements are ignored. Every
// violation throws ValidationError(path, problem) where path is the full XML path (array items get a
// 0-based `[i]`) and problem says what is allowed and what was received. Children are read in the order
// they appear in the document, so the first violation reported is the first one in document order;
// rules that need a sibling (missing required fields, ranges depending on another field) are checked
// once the whole container has been read.
//
// Echo rule for fields with a documented default (Remove, MixMode, Replace, the EffectConfig Enable flags,
// SceneChangeInfo.Time, DirectConcat, Image.Background, X/YSlideSpeed): echoed when the request sent them
// (recorded in the model's `given` list) or when the value differs from the default; never invented.
// JobLevel is the exception: CI always echoes it, so it always is. FragmentIndex is never echoed (the
// documented response drops it) and Index only in a job's echo.
import type {
  AudioMix,
  AudioParams,
  CallBackMqConfig,
  ConcatFragment,
  ConcatJobRequest,
  ConcatOperation,
  ConcatTemplate,
  EffectConfig,
  JobLevel,
  JobOutput,
  SceneChangeInfo,
  SlideConfig,
  VideoParams,
  Watermark,
  WatermarkImage,
  WatermarkText,
} from './concat-types.js';
import { ValidationError } from './validation-error.js';

type Tree = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------
// Documented value sets and limits
// ---------------------------------------------------------------------------------------------------

const CONTAINER_FORMATS = ['mp4', 'flv', 'hls', 'ts', 'mp3', 'aac'] as const;
const AUDIO_CODECS = ['aac', 'mp3'] as const;
const SAMPLERATES = [11025, 22050, 32000, 44100, 48000, 96000];
const AAC_CHANNELS = [1, 2, 4, 5, 6, 8];
const MP3_CHANNELS = [1, 2];
const PROFILES = ['baseline', 'main', 'high'] as const;
const MIX_MODES = ['Repeat', 'Once'] as const;
const SCENE_CHANGE_MODES = ['Default', 'FADE', 'GRADIENT'] as const;
const FRAGMENT_MODES = ['Start', 'End'] as const;
const WATERMARK_TYPES = ['Text', 'Image'] as const;
const WATERMARK_POSITIONS = [
  'TopLeft', 'Top', 'TopRight', 'Left', 'Center', 'Right', 'BottomLeft', 'Bottom', 'BottomRight',
] as const;
const LOC_MODES = ['Relativity', 'Absolute'] as const;
const IMAGE_MODES = ['Original', 'Proportion', 'Fixed'] as const;
const SLIDE_MODES = ['Default', 'ScrollFromLeft'] as const;
const FONT_TYPES = [
  'simfang.ttf', 'simhei.ttf', 'simkai.ttf', 'simsun.ttc', 'STHeiti-Light.ttc', 'STHeiti-Medium.ttc',
  'youyuan.TTF', 'ariblk.ttf', 'arial.ttf', 'ahronbd.ttf', 'Helvetica.dfont', 'HelveticaNeue.dfont',
] as const;
const CALLBACK_FORMATS = ['XML', 'JSON'] as const;
const CALLBACK_TYPES = ['Url', 'TDMQ'] as const;
const MQ_REGIONS = ['sh', 'bj', 'gz', 'cd', 'hk'] as const;
const MQ_MODES = ['Queue', 'Topic'] as const;

const MAX_WATERMARKS = 3;
const MAX_WATERMARK_TEMPLATE_IDS = 3;
const MAX_AUDIO_MIX_ARRAY = 2;
const MAX_USER_DATA = 1024;
const MAX_TEXT = 64;

const TEMPLATE_ID = /^t[0-9a-f]+$/;
const QUEUE_ID = /^p[0-9a-f]{32}$/;
const FONT_COLOR = /^0x[0-9a-fA-F]{6}$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** Chinese (Han) characters, ASCII letters, digits, `_`, `-` and `*`. */
const WATERMARK_TEXT = /^[\p{Script=Han}A-Za-z0-9_*-]+$/u;
/** Plain decimal notation only: no hex, no exponent, no trailing junk. */
const DECIMAL = /^-?(?:\d+(?:\.\d+)?|\.\d+)$/;
const INTEGER = /^-?\d+$/;

// ---------------------------------------------------------------------------------------------------
// Reading helpers: each takes the raw value and its XML path, and returns a typed value or throws
// ---------------------------------------------------------------------------------------------------

/** How a received value is quoted in messages. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `${value.length} repeated elements`;
  if (value === undefined || value === null) return 'nothing';
  return 'a container element';
}

function fail(path: string, allowed: string, value: unknown): never {
  throw new ValidationError(path, `must be ${allowed}, got ${show(value)}`);
}

function missing(path: string, allowed: string): never {
  throw new ValidationError(path, `is required (${allowed})`);
}

function list(items: readonly (string | number)[]): string {
  return `one of [${items.join(', ')}]`;
}

/** An element that must appear once: a one-item array (a repeated element) counts as the item. */
function single(value: unknown, path: string): unknown {
  if (!Array.isArray(value)) return value;
  if (value.length === 1) return value[0];
  throw new ValidationError(path, `must appear exactly once, got ${value.length} repeated elements`);
}

/** A repeated element: a single object or scalar is a one-item list. */
function asArray(value: unknown, path: string, max?: number): unknown[] {
  const items = value === undefined ? [] : Array.isArray(value) ? value : [value];
  if (max !== undefined && items.length > max) {
    const name = path.slice(path.lastIndexOf('.') + 1);
    throw new ValidationError(path, `at most ${max} ${name} elements are allowed, got ${items.length}`);
  }
  return items;
}

/** A container element (an empty one, `<X/>`, reads as no children). */
function readObject(value: unknown, path: string): Tree {
  const v = single(value, path);
  if (v === '') return {};
  if (typeof v !== 'object' || v === null) fail(path, 'a container element', v);
  return v as Tree;
}

type Handlers = Record<string, (value: unknown, path: string) => void>;

/** Reads a container's known children in document order; unknown children are ignored. */
function readChildren(value: unknown, path: string, handlers: Handlers): void {
  for (const [name, child] of Object.entries(readObject(value, path))) {
    const handler = Object.hasOwn(handlers, name) ? handlers[name] : undefined;
    if (handler) handler(child, `${path}.${name}`);
  }
}

/** Any scalar as text (possibly empty). */
function readText(value: unknown, path: string, allowed = 'a text value'): string {
  const v = single(value, path);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return String(v);
  return fail(path, allowed, v);
}

/** Non-empty text. */
function readString(value: unknown, path: string, allowed = 'a non-empty string'): string {
  const s = readText(value, path, allowed);
  if (s.trim() === '') fail(path, allowed, s);
  return s;
}

function readPattern(value: unknown, path: string, pattern: RegExp, allowed: string): string {
  const s = readText(value, path, allowed);
  if (!pattern.test(s)) fail(path, allowed, s);
  return s;
}

function readEnum<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
  const s = readText(value, path, list(allowed));
  if (!(allowed as readonly string[]).includes(s)) fail(path, list(allowed), s);
  return s as T;
}

function readBool(value: unknown, path: string): boolean {
  const v = single(value, path);
  if (typeof v === 'boolean') return v;
  const s = typeof v === 'string' ? v.trim().toLowerCase() : undefined;
  if (s === 'true') return true;
  if (s === 'false') return false;
  return fail(path, 'true or false', v);
}

interface Range {
  min?: number;
  max?: number;
  /** The bound itself is excluded: (min, …. */
  minOpen?: boolean;
  /** The bound itself is excluded: …, max). */
  maxOpen?: boolean;
}

function rangeText(r: Range): string {
  if (r.min !== undefined && r.max !== undefined) {
    return ` in ${r.minOpen ? '(' : '['}${r.min}, ${r.max}${r.maxOpen ? ')' : ']'}`;
  }
  if (r.min !== undefined) return ` ${r.minOpen ? '>' : '>='} ${r.min}`;
  if (r.max !== undefined) return ` ${r.maxOpen ? '<' : '<='} ${r.max}`;
  return '';
}

function inRange(n: number, r: Range): boolean {
  if (r.min !== undefined && (r.minOpen ? n <= r.min : n < r.min)) return false;
  if (r.max !== undefined && (r.maxOpen ? n >= r.max : n > r.max)) return false;
  return true;
}

/** A number sent as a JS number or as decimal text; NaN, Infinity, '', hex, exponents and junk are refused. */
function readNumber(value: unknown, path: string, integer: boolean, allowed: string): number {
  const v = single(value, path);
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || (integer && !Number.isInteger(v))) fail(path, allowed, v);
    return v;
  }
  if (typeof v === 'string') {
    const s = v.trim();
    if ((integer ? INTEGER : DECIMAL).test(s)) return Number(s);
  }
  return fail(path, allowed, v);
}

function readInt(value: unknown, path: string, r: Range & { even?: boolean } = {}, allowed?: string): number {
  const what = allowed ?? `${r.even ? 'an even integer' : 'an integer'}${rangeText(r)}`;
  const n = readNumber(value, path, true, what);
  if (!inRange(n, r) || (r.even === true && n % 2 !== 0)) fail(path, what, single(value, path));
  return n;
}

function readFloat(value: unknown, path: string, r: Range = {}): number {
  const what = `a number${rangeText(r)}`;
  const n = readNumber(value, path, false, what);
  if (!inRange(n, r)) fail(path, what, single(value, path));
  return n;
}

function readIntIn(value: unknown, path: string, allowed: readonly number[]): number {
  const n = readNumber(value, path, true, list(allowed));
  if (!allowed.includes(n)) fail(path, list(allowed), single(value, path));
  return n;
}

/** Puts `given` on a model object only when the request spelled out some defaulted field. */
function withGiven<T extends { given?: K[] }, K extends string>(obj: T, given: K[]): T {
  if (given.length > 0) obj.given = given;
  return obj;
}

// ---------------------------------------------------------------------------------------------------
// Request and Operation
// ---------------------------------------------------------------------------------------------------

/** Validates the content of `<Request>` (as returned by parseRequestXml) as a Concat job submission. */
export function parseConcatJobRequest(raw: unknown): ConcatJobRequest {
  const path = 'Request';
  const r: Partial<ConcatJobRequest> = {};
  readChildren(raw, path, {
    Tag: (v, p) => { r.tag = readEnum(v, p, ['Concat'] as const); },
    Input: (v, p) => { r.input = parseInput(v, p); },
    Operation: (v, p) => { r.operation = parseOperation(v, p); },
    QueueId: (v, p) => { r.queueId = readPattern(v, p, QUEUE_ID, '"p" followed by 32 lowercase hex digits'); },
    QueueType: (v, p) => { r.queueType = readString(v, p); },
    CallBackFormat: (v, p) => { r.callBackFormat = readEnum(v, p, CALLBACK_FORMATS); },
    CallBackType: (v, p) => { r.callBackType = readEnum(v, p, CALLBACK_TYPES); },
    CallBack: (v, p) => { r.callBack = readCallBack(v, p); },
    CallBackMqConfig: (v, p) => { r.callBackMqConfig = parseMqConfig(v, p); },
  });
  if (r.tag === undefined) missing(`${path}.Tag`, 'Concat');
  if (r.operation === undefined) missing(`${path}.Operation`, 'a container with TemplateId or ConcatTemplate, and Output');
  if (r.callBackType === 'TDMQ' && r.callBackMqConfig === undefined) {
    missing(`${path}.CallBackMqConfig`, 'MqRegion, MqMode and MqName, because CallBackType is TDMQ');
  }

  const out: ConcatJobRequest = { tag: r.tag, operation: r.operation };
  if (r.input) out.input = r.input;
  if (r.queueId !== undefined) out.queueId = r.queueId;
  if (r.queueType !== undefined) out.queueType = r.queueType;
  if (r.callBack !== undefined) out.callBack = r.callBack;
  if (r.callBackFormat !== undefined) out.callBackFormat = r.callBackFormat;
  if (r.callBackType !== undefined) out.callBackType = r.callBackType;
  if (r.callBackMqConfig) out.callBackMqConfig = r.callBackMqConfig;
  return out;
}

function parseInput(value: unknown, path: string): { object: string } {
  let object: string | undefined;
  readChildren(value, path, {
    Object: (v, p) => { object = readString(v, p, 'a non-empty object key'); },
  });
  if (object === undefined) missing(`${path}.Object`, 'a non-empty object key');
  return { object };
}

/** `no` (skip the queue's callback) or an http(s) URL. */
function readCallBack(value: unknown, path: string): string {
  const allowed = '"no" or an http:// or https:// URL';
  const s = readText(value, path, allowed);
  if (s === 'no') return s;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return fail(path, allowed, s);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') fail(path, allowed, s);
  return s;
}

function parseMqConfig(value: unknown, path: string): CallBackMqConfig {
  const c: Partial<CallBackMqConfig> = {};
  readChildren(value, path, {
    MqRegion: (v, p) => { c.mqRegion = readEnum(v, p, MQ_REGIONS); },
    MqMode: (v, p) => { c.mqMode = readEnum(v, p, MQ_MODES); },
    MqName: (v, p) => { c.mqName = readString(v, p); },
  });
  if (c.mqRegion === undefined) missing(`${path}.MqRegion`, list(MQ_REGIONS));
  if (c.mqName === undefined) missing(`${path}.MqName`, 'the TDMQ queue or topic name');
  return { mqRegion: c.mqRegion, mqMode: c.mqMode ?? 'Queue', mqName: c.mqName };
}

function readTemplateId(value: unknown, path: string): string {
  return readPattern(value, path, TEMPLATE_ID, '"t" followed by lowercase hex digits (a template id)');
}

function parseOperation(value: unknown, path: string): ConcatOperation {
  const op: Partial<ConcatOperation> = {};
  readChildren(value, path, {
    TemplateId: (v, p) => { op.templateId = readTemplateId(v, p); },
    ConcatTemplate: (v, p) => { op.concatTemplate = parseConcatTemplate(v, p); },
    WatermarkTemplateId: (v, p) => {
      op.watermarkTemplateIds = asArray(v, p, MAX_WATERMARK_TEMPLATE_IDS).map((x, i) => readTemplateId(x, `${p}[${i}]`));
    },
    Watermark: (v, p) => {
      op.watermarks = asArray(v, p, MAX_WATERMARKS).map((x, i) => parseWatermark(x, `${p}[${i}]`));
    },
    Output: (v, p) => { op.output = parseOutput(v, p); },
    UserData: (v, p) => { op.userData = readUserData(v, p); },
    JobLevel: (v, p) => { op.jobLevel = readIntIn(v, p, [0, 1, 2]) as JobLevel; },
  });
  if (op.templateId === undefined && op.concatTemplate === undefined) {
    missing(`${path}.TemplateId`, 'a Concat template id, unless an inline ConcatTemplate is given');
  }
  if (op.output === undefined) missing(`${path}.Output`, 'a container with Region, Bucket and Object');

  const out: ConcatOperation = {
    watermarkTemplateIds: op.watermarkTemplateIds ?? [],
    watermarks: op.watermarks ?? [],
    output: op.output,
    jobLevel: op.jobLevel ?? 0,
  };
  // TemplateId takes priority: an inline ConcatTemplate sent with it was validated above but is not used.
  if (op.templateId !== undefined) out.templateId = op.templateId;
  else out.concatTemplate = op.concatTemplate;
  if (op.userData !== undefined) out.userData = op.userData;
  return out;
}

function parseOutput(value: unknown, path: string): JobOutput {
  const o: Partial<JobOutput> = {};
  readChildren(value, path, {
    Region: (v, p) => { o.region = readString(v, p); },
    Bucket: (v, p) => { o.bucket = readString(v, p); },
    Object: (v, p) => { o.object = readString(v, p); },
  });
  if (o.region === undefined) missing(`${path}.Region`, 'the region of the output bucket');
  if (o.bucket === undefined) missing(`${path}.Bucket`, 'the output bucket');
  if (o.object === undefined) missing(`${path}.Object`, 'the output object key');
  return { region: o.region, bucket: o.bucket, object: o.object };
}

function readUserData(value: unknown, path: string): string {
  const allowed = `at most ${MAX_USER_DATA} printable ASCII characters`;
  const s = readText(value, path, allowed);
  if (s.length > MAX_USER_DATA) throw new ValidationError(path, `must be ${allowed}, got ${s.length} characters`);
  if (!PRINTABLE_ASCII.test(s)) fail(path, allowed, s);
  return s;
}

// ---------------------------------------------------------------------------------------------------
// ConcatTemplate
// ---------------------------------------------------------------------------------------------------

/** Validates a ConcatTemplate container (inline in a job; the same structure as a Concat template body). */
export function parseConcatTemplate(value: unknown, path: string): ConcatTemplate {
  const t: Partial<ConcatTemplate> = {};
  const given: 'directConcat'[] = [];
  readChildren(value, path, {
    ConcatFragment: (v, p) => { t.fragments = asArray(v, p).map((x, i) => parseFragment(x, `${p}[${i}]`)); },
    Audio: (v, p) => { t.audio = parseAudio(v, p); },
    Video: (v, p) => { t.video = parseVideo(v, p); },
    Container: (v, p) => { t.container = parseContainer(v, p); },
    AudioMix: (v, p) => { t.audioMix = parseAudioMix(v, p); },
    AudioMixArray: (v, p) => {
      t.audioMixArray = asArray(v, p, MAX_AUDIO_MIX_ARRAY).map((x, i) => parseAudioMix(x, `${p}[${i}]`));
    },
    Index: (v, p) => { t.index = readInt(v, p, { min: 0 }); },
    SceneChangeInfo: (v, p) => { t.sceneChangeInfo = parseSceneChangeInfo(v, p); },
    DirectConcat: (v, p) => { t.directConcat = readBool(v, p); given.push('directConcat'); },
  });
  const fragments = t.fragments ?? [];
  if (fragments.length === 0) missing(`${path}.ConcatFragment`, 'at least one ConcatFragment with a Url');
  if (t.container === undefined) missing(`${path}.Container`, `a container with Format: ${list(CONTAINER_FORMATS)}`);
  if (t.index !== undefined && t.index > fragments.length) {
    throw new ValidationError(
      `${path}.Index`,
      `must be an integer in [0, ${fragments.length}] (at most the number of ConcatFragments), got ${t.index}`,
    );
  }

  const out: ConcatTemplate = {
    fragments: sortFragments(fragments),
    container: t.container,
    audioMixArray: t.audioMixArray ?? [],
    directConcat: t.directConcat ?? false,
  };
  if (t.audio) out.audio = t.audio;
  if (t.video) out.video = t.video;
  if (t.audioMix) out.audioMix = t.audioMix;
  if (t.index !== undefined) out.index = t.index;
  if (t.sceneChangeInfo) out.sceneChangeInfo = t.sceneChangeInfo;
  return withGiven(out, given);
}

/** By FragmentIndex (missing = 0, the documented default) when any fragment has one; stable for ties. */
function sortFragments(fragments: ConcatFragment[]): ConcatFragment[] {
  if (!fragments.some((f) => f.fragmentIndex !== undefined)) return fragments;
  return [...fragments].sort((a, b) => (a.fragmentIndex ?? 0) - (b.fragmentIndex ?? 0));
}

function parseFragment(value: unknown, path: string): ConcatFragment {
  const f: Partial<ConcatFragment> = {};
  readChildren(value, path, {
    Url: (v, p) => { f.url = readString(v, p, 'a non-empty URL or object key'); },
    Mode: (v, p) => { f.mode = readEnum(v, p, FRAGMENT_MODES); },
    FragmentIndex: (v, p) => { f.fragmentIndex = readInt(v, p, { min: 0 }); },
    StartTime: (v, p) => { f.startTime = readFloat(v, p, { min: 0 }); },
    EndTime: (v, p) => { f.endTime = readFloat(v, p, { min: 0 }); },
  });
  if (f.url === undefined) missing(`${path}.Url`, 'a non-empty URL or object key');
  if (f.startTime !== undefined && f.endTime !== undefined && f.endTime <= f.startTime) {
    throw new ValidationError(`${path}.EndTime`, `must be greater than StartTime (${f.startTime}), got ${f.endTime}`);
  }
  const out: ConcatFragment = { url: f.url };
  if (f.mode !== undefined) out.mode = f.mode;
  if (f.fragmentIndex !== undefined) out.fragmentIndex = f.fragmentIndex;
  if (f.startTime !== undefined) out.startTime = f.startTime;
  if (f.endTime !== undefined) out.endTime = f.endTime;
  return out;
}

function parseContainer(value: unknown, path: string): ConcatTemplate['container'] {
  let format: ConcatTemplate['container']['format'] | undefined;
  readChildren(value, path, {
    Format: (v, p) => { format = readEnum(v, p, CONTAINER_FORMATS); },
  });
  if (format === undefined) missing(`${path}.Format`, list(CONTAINER_FORMATS));
  return { format };
}

function parseAudio(value: unknown, path: string): AudioParams {
  const a: Partial<AudioParams> = {};
  const given: 'remove'[] = [];
  readChildren(value, path, {
    Codec: (v, p) => { a.codec = readEnum(v, p, AUDIO_CODECS); },
    Samplerate: (v, p) => { a.samplerate = readIntIn(v, p, SAMPLERATES); },
    Bitrate: (v, p) => { a.bitrate = readInt(v, p, { min: 8, max: 1000 }); },
    Channels: (v, p) => { a.channels = readIntIn(v, p, AAC_CHANNELS); },
    Remove: (v, p) => { a.remove = readBool(v, p); given.push('remove'); },
  });
  if (a.codec === undefined) missing(`${path}.Codec`, list(AUDIO_CODECS));
  if (a.codec === 'mp3' && a.samplerate === 96000) {
    throw new ValidationError(`${path}.Samplerate`, `must be ${list(SAMPLERATES.filter((s) => s !== 96000))} when Codec is mp3, got 96000`);
  }
  if (a.codec === 'mp3' && a.channels !== undefined && !MP3_CHANNELS.includes(a.channels)) {
    throw new ValidationError(`${path}.Channels`, `must be ${list(MP3_CHANNELS)} when Codec is mp3, got ${a.channels}`);
  }
  const out: AudioParams = { codec: a.codec, remove: a.remove ?? false };
  if (a.samplerate !== undefined) out.samplerate = a.samplerate;
  if (a.bitrate !== undefined) out.bitrate = a.bitrate;
  if (a.channels !== undefined) out.channels = a.channels;
  return withGiven(out, given);
}

function parseVideo(value: unknown, path: string): VideoParams {
  const v: Partial<VideoParams> = {};
  const given: 'remove'[] = [];
  readChildren(value, path, {
    Codec: (x, p) => { v.codec = readEnum(x, p, ['H.264'] as const); },
    Width: (x, p) => { v.width = readInt(x, p, { min: 128, max: 4096, even: true }); },
    Height: (x, p) => { v.height = readInt(x, p, { min: 128, max: 4096, even: true }); },
    Fps: (x, p) => { v.fps = readFloat(x, p, { min: 0, minOpen: true, max: 60 }); },
    Bitrate: (x, p) => { v.bitrate = readVideoBitrate(x, p); },
    Crf: (x, p) => { v.crf = readFloat(x, p, { min: 0, minOpen: true, max: 51 }); },
    Profile: (x, p) => { v.profile = readEnum(x, p, PROFILES); },
    Rotate: (x, p) => { v.rotate = readFloat(x, p, { min: 0, max: 360, maxOpen: true }); },
    Remove: (x, p) => { v.remove = readBool(x, p); given.push('remove'); },
  });
  if (v.codec === undefined) missing(`${path}.Codec`, 'H.264');
  const out: VideoParams = { codec: v.codec, remove: v.remove ?? false };
  if (v.width !== undefined) out.width = v.width;
  if (v.height !== undefined) out.height = v.height;
  if (v.fps !== undefined) out.fps = v.fps;
  if (v.bitrate !== undefined) out.bitrate = v.bitrate;
  if (v.crf !== undefined) out.crf = v.crf;
  if (v.profile !== undefined) out.profile = v.profile;
  if (v.rotate !== undefined) out.rotate = v.rotate;
  return withGiven(out, given);
}

/** Kbps as an integer in [10, 50000], or `auto` (adaptive). */
function readVideoBitrate(value: unknown, path: string): number | 'auto' {
  const v = single(value, path);
  if (typeof v === 'string' && v.trim().toLowerCase() === 'auto') return 'auto';
  return readInt(v, path, { min: 10, max: 50000 }, 'an integer in [10, 50000] or auto');
}

function parseAudioMix(value: unknown, path: string): AudioMix {
  const m: Partial<AudioMix> = {};
  const given: ('mixMode' | 'replace')[] = [];
  readChildren(value, path, {
    AudioSource: (v, p) => { m.audioSource = readString(v, p, 'a non-empty URL'); },
    MixMode: (v, p) => { m.mixMode = readEnum(v, p, MIX_MODES); given.push('mixMode'); },
    Replace: (v, p) => { m.replace = readBool(v, p); given.push('replace'); },
    EffectConfig: (v, p) => { m.effectConfig = parseEffectConfig(v, p); },
  });
  if (m.audioSource === undefined) missing(`${path}.AudioSource`, 'the URL of the audio to mix in');
  const out: AudioMix = { audioSource: m.audioSource, mixMode: m.mixMode ?? 'Repeat', replace: m.replace ?? false };
  if (m.effectConfig) out.effectConfig = m.effectConfig;
  return withGiven(out, given);
}

type EffectFlag = 'enableStartFadein' | 'enableEndFadeout' | 'enableBgmFade';

/** The three fade effects: each an Enable flag and its duration in seconds. */
const EFFECTS: { flag: EffectFlag; flagXml: string; time: 'startFadeinTime' | 'endFadeoutTime' | 'bgmFadeTime'; timeXml: string }[] = [
  { flag: 'enableStartFadein', flagXml: 'EnableStartFadein', time: 'startFadeinTime', timeXml: 'StartFadeinTime' },
  { flag: 'enableEndFadeout', flagXml: 'EnableEndFadeout', time: 'endFadeoutTime', timeXml: 'EndFadeoutTime' },
  { flag: 'enableBgmFade', flagXml: 'EnableBgmFade', time: 'bgmFadeTime', timeXml: 'BgmFadeTime' },
];

/**
 * Durations must be > 0 when their effect is enabled (and are then required). A disabled effect's
 * duration is ignored and may be 0: the documented example 2 sends EnableEndFadeout=false with
 * EndFadeoutTime=0. Negative durations are always refused.
 */
function parseEffectConfig(value: unknown, path: string): EffectConfig {
  const e: Partial<EffectConfig> = {};
  const given: EffectFlag[] = [];
  const handlers: Handlers = {};
  for (const { flag, flagXml, time, timeXml } of EFFECTS) {
    handlers[flagXml] = (v, p) => { e[flag] = readBool(v, p); given.push(flag); };
    handlers[timeXml] = (v, p) => { e[time] = readFloat(v, p, { min: 0 }); };
  }
  readChildren(value, path, handlers);
  for (const { flag, flagXml, time, timeXml } of EFFECTS) {
    if (e[flag] !== true) continue;
    const seconds = e[time];
    if (seconds === undefined) missing(`${path}.${timeXml}`, `a number of seconds > 0, because ${flagXml} is true`);
    if (seconds <= 0) throw new ValidationError(`${path}.${timeXml}`, `must be a number > 0 when ${flagXml} is true, got ${seconds}`);
  }
  const out: EffectConfig = {
    enableStartFadein: e.enableStartFadein ?? false,
    enableEndFadeout: e.enableEndFadeout ?? false,
    enableBgmFade: e.enableBgmFade ?? false,
  };
  for (const { time } of EFFECTS) {
    const seconds = e[time];
    if (seconds !== undefined) out[time] = seconds;
  }
  return withGiven(out, given);
}

function parseSceneChangeInfo(value: unknown, path: string): SceneChangeInfo {
  const s: Partial<SceneChangeInfo> = {};
  const given: 'time'[] = [];
  readChildren(value, path, {
    Mode: (v, p) => { s.mode = readEnum(v, p, SCENE_CHANGE_MODES); },
    Time: (v, p) => { s.time = readFloat(v, p, { min: 0, minOpen: true, max: 5 }); given.push('time'); },
  });
  if (s.mode === undefined) missing(`${path}.Mode`, list(SCENE_CHANGE_MODES));
  const out: SceneChangeInfo = { mode: s.mode, time: s.time ?? 3 };
  return withGiven(out, given);
}

// ---------------------------------------------------------------------------------------------------
// Watermark (inline Operation.Watermark = the Watermark template body)
// ---------------------------------------------------------------------------------------------------

/** Validates one Watermark container (docs/ci-api.md 1.4). */
export function parseWatermark(value: unknown, path: string): Watermark {
  const w: Partial<Watermark> = {};
  readChildren(value, path, {
    Type: (v, p) => { w.type = readEnum(v, p, WATERMARK_TYPES); },
    Pos: (v, p) => { w.pos = readEnum(v, p, WATERMARK_POSITIONS); },
    LocMode: (v, p) => { w.locMode = readEnum(v, p, LOC_MODES); },
    Dx: (v, p) => { w.dx = readFloat(v, p); },
    Dy: (v, p) => { w.dy = readFloat(v, p); },
    StartTime: (v, p) => { w.startTime = readFloat(v, p, { min: 0 }); },
    EndTime: (v, p) => { w.endTime = readFloat(v, p, { min: 0 }); },
    SlideConfig: (v, p) => { w.slideConfig = parseSlideConfig(v, p); },
    Image: (v, p) => { w.image = parseWatermarkImage(v, p); },
    Text: (v, p) => { w.text = parseWatermarkText(v, p); },
  });
  if (w.type === undefined) missing(`${path}.Type`, list(WATERMARK_TYPES));
  if (w.pos === undefined) missing(`${path}.Pos`, list(WATERMARK_POSITIONS));
  if (w.locMode === undefined) missing(`${path}.LocMode`, list(LOC_MODES));
  if (w.dx === undefined) missing(`${path}.Dx`, 'the horizontal offset');
  if (w.dy === undefined) missing(`${path}.Dy`, 'the vertical offset');
  if (w.type === 'Image' && w.image === undefined) missing(`${path}.Image`, 'an Image container, because Type is Image');
  if (w.type === 'Text' && w.text === undefined) missing(`${path}.Text`, 'a Text container, because Type is Text');

  // Offsets: foreground (Text, or Image without Background) are >= 0; a background Image moves the other way.
  const background = w.type === 'Image' && w.image?.background === true;
  const relative = w.locMode === 'Relativity';
  const range: Range = background
    ? { min: relative ? -300 : -4096, max: 0 }
    : { min: 0, max: relative ? 100 : 4096 };
  const kind = background ? 'background Image' : w.type === 'Text' ? 'Text' : 'foreground Image';
  const why = `(LocMode ${w.locMode}, ${kind})`;
  for (const [name, n] of [['Dx', w.dx], ['Dy', w.dy]] as const) {
    if (!inRange(n, range)) throw new ValidationError(`${path}.${name}`, `must be a number${rangeText(range)} ${why}, got ${n}`);
  }

  const out: Watermark = { type: w.type, pos: w.pos, locMode: w.locMode, dx: w.dx, dy: w.dy };
  if (w.startTime !== undefined) out.startTime = w.startTime;
  if (w.endTime !== undefined) out.endTime = w.endTime;
  if (w.slideConfig) out.slideConfig = w.slideConfig;
  if (w.image) out.image = w.image;
  if (w.text) out.text = w.text;
  return out;
}

function parseSlideConfig(value: unknown, path: string): SlideConfig {
  const s: Partial<SlideConfig> = {};
  const given: ('xSlideSpeed' | 'ySlideSpeed')[] = [];
  readChildren(value, path, {
    SlideMode: (v, p) => { s.slideMode = readEnum(v, p, SLIDE_MODES); },
    XSlideSpeed: (v, p) => { s.xSlideSpeed = readInt(v, p, { min: 0, max: 10 }); given.push('xSlideSpeed'); },
    YSlideSpeed: (v, p) => { s.ySlideSpeed = readInt(v, p, { min: 0, max: 10 }); given.push('ySlideSpeed'); },
  });
  if (s.slideMode === undefined) missing(`${path}.SlideMode`, list(SLIDE_MODES));
  const out: SlideConfig = { slideMode: s.slideMode, xSlideSpeed: s.xSlideSpeed ?? 0, ySlideSpeed: s.ySlideSpeed ?? 0 };
  return withGiven(out, given);
}

function parseWatermarkImage(value: unknown, path: string): WatermarkImage {
  const img: Partial<WatermarkImage> = {};
  const given: 'background'[] = [];
  readChildren(value, path, {
    Url: (v, p) => { img.url = readString(v, p, 'a non-empty URL'); },
    Mode: (v, p) => { img.mode = readEnum(v, p, IMAGE_MODES); },
    Width: (v, p) => { img.width = readFloat(v, p, { min: 0, minOpen: true }); },
    Height: (v, p) => { img.height = readFloat(v, p, { min: 0, minOpen: true }); },
    Transparency: (v, p) => { img.transparency = readInt(v, p, { min: 1, max: 100 }); },
    Background: (v, p) => { img.background = readBool(v, p); given.push('background'); },
  });
  if (img.url === undefined) missing(`${path}.Url`, 'the URL of the watermark image');
  if (img.mode === undefined) missing(`${path}.Mode`, list(IMAGE_MODES));
  if (img.transparency === undefined) missing(`${path}.Transparency`, 'an integer in [1, 100]');
  const background = img.background ?? false;

  for (const [name, size] of [['Width', img.width], ['Height', img.height]] as const) {
    if (size === undefined) continue;
    const field = `${path}.${name}`;
    if (img.mode === 'Original') throw new ValidationError(field, `must not be set when Mode is Original, got ${size}`);
    if (img.mode === 'Proportion') {
      const r: Range = background ? { min: 100, max: 300 } : { min: 1, max: 100 };
      const what = `a percentage${rangeText(r)} when Mode is Proportion and Background is ${background}`;
      if (!inRange(size, r)) throw new ValidationError(field, `must be ${what}, got ${size}`);
    }
    if (img.mode === 'Fixed' && (!Number.isInteger(size) || size < 8 || size > 4096)) {
      throw new ValidationError(field, `must be an integer in [8, 4096] (pixels) when Mode is Fixed, got ${size}`);
    }
  }

  const out: WatermarkImage = { url: img.url, mode: img.mode, transparency: img.transparency, background };
  if (img.width !== undefined) out.width = img.width;
  if (img.height !== undefined) out.height = img.height;
  return withGiven(out, given);
}

function parseWatermarkText(value: unknown, path: string): WatermarkText {
  const t: Partial<WatermarkText> = {};
  const textRule = `1 to ${MAX_TEXT} characters, only Chinese characters, ASCII letters, digits, _, - and *`;
  readChildren(value, path, {
    Text: (v, p) => {
      const s = readText(v, p, textRule);
      if ([...s].length > MAX_TEXT) throw new ValidationError(p, `must be ${textRule}, got ${[...s].length} characters`);
      if (!WATERMARK_TEXT.test(s)) fail(p, textRule, s);
      t.text = s;
    },
    FontSize: (v, p) => { t.fontSize = readInt(v, p, { min: 5, max: 100 }); },
    FontType: (v, p) => { t.fontType = readEnum(v, p, FONT_TYPES); },
    FontColor: (v, p) => { t.fontColor = readPattern(v, p, FONT_COLOR, 'a color 0xRRGGBB (6 hex digits)'); },
    Transparency: (v, p) => { t.transparency = readInt(v, p, { min: 1, max: 100 }); },
  });
  if (t.text === undefined) missing(`${path}.Text`, textRule);
  if (t.fontSize === undefined) missing(`${path}.FontSize`, 'an integer in [5, 100]');
  if (t.fontType === undefined) missing(`${path}.FontType`, list(FONT_TYPES));
  if (t.fontColor === undefined) missing(`${path}.FontColor`, 'a color 0xRRGGBB');
  if (t.transparency === undefined) missing(`${path}.Transparency`, 'an integer in [1, 100]');
  return { text: t.text, fontSize: t.fontSize, fontType: t.fontType, fontColor: t.fontColor, transparency: t.transparency };
}

// ---------------------------------------------------------------------------------------------------
// Echo: the typed model back to CI's PascalCase tree, in the documented element order
// ---------------------------------------------------------------------------------------------------

type XmlOut = Record<string, unknown>;

const bool = (b: boolean): string => (b ? 'true' : 'false');

/** Puts a number as String(n) when it is defined. */
function putNum(out: XmlOut, key: string, n: number | undefined): void {
  if (n !== undefined) out[key] = String(n);
}

/** A defaulted field is echoed when it differs from its default or the request sent it. */
function echoes<K extends string>(holder: { given?: K[] }, key: K, isDefault: boolean): boolean {
  return !isDefault || (holder.given?.includes(key) ?? false);
}

function fragmentToXml(f: ConcatFragment): XmlOut {
  const out: XmlOut = { Url: f.url };
  if (f.mode !== undefined) out.Mode = f.mode;
  putNum(out, 'StartTime', f.startTime);
  putNum(out, 'EndTime', f.endTime);
  return out;
}

function audioToXml(a: AudioParams): XmlOut {
  const out: XmlOut = { Codec: a.codec };
  putNum(out, 'Samplerate', a.samplerate);
  putNum(out, 'Bitrate', a.bitrate);
  putNum(out, 'Channels', a.channels);
  if (echoes(a, 'remove', !a.remove)) out.Remove = bool(a.remove);
  return out;
}

/** Codec and Bitrate first, then size and rate: the order of the documented example. */
function videoToXml(v: VideoParams): XmlOut {
  const out: XmlOut = { Codec: v.codec };
  if (v.bitrate !== undefined) out.Bitrate = String(v.bitrate);
  putNum(out, 'Width', v.width);
  putNum(out, 'Height', v.height);
  putNum(out, 'Fps', v.fps);
  putNum(out, 'Crf', v.crf);
  if (echoes(v, 'remove', !v.remove)) out.Remove = bool(v.remove);
  if (v.profile !== undefined) out.Profile = v.profile;
  putNum(out, 'Rotate', v.rotate);
  return out;
}

function effectConfigToXml(e: EffectConfig): XmlOut {
  const out: XmlOut = {};
  for (const { flag, flagXml, time, timeXml } of EFFECTS) {
    if (echoes(e, flag, !e[flag])) out[flagXml] = bool(e[flag]);
    putNum(out, timeXml, e[time]);
  }
  return out;
}

function audioMixToXml(m: AudioMix): XmlOut {
  const out: XmlOut = { AudioSource: m.audioSource };
  if (echoes(m, 'mixMode', m.mixMode === 'Repeat')) out.MixMode = m.mixMode;
  if (echoes(m, 'replace', !m.replace)) out.Replace = bool(m.replace);
  if (m.effectConfig) out.EffectConfig = effectConfigToXml(m.effectConfig);
  return out;
}

/**
 * The ConcatTemplate echo. `forJob` adds Index (the position of the job's Input, meaningful for jobs
 * only); FragmentIndex is never echoed.
 */
export function concatTemplateToXml(t: ConcatTemplate, opts: { forJob?: boolean } = {}): Record<string, unknown> {
  const out: XmlOut = {};
  if (t.fragments.length > 0) out.ConcatFragment = t.fragments.map(fragmentToXml);
  if (t.audio) out.Audio = audioToXml(t.audio);
  if (t.video) out.Video = videoToXml(t.video);
  out.Container = { Format: t.container.format };
  if (t.audioMix) out.AudioMix = audioMixToXml(t.audioMix);
  if (t.audioMixArray.length > 0) out.AudioMixArray = t.audioMixArray.map(audioMixToXml);
  if (opts.forJob === true) putNum(out, 'Index', t.index);
  if (t.sceneChangeInfo) {
    const s = t.sceneChangeInfo;
    const scene: XmlOut = { Mode: s.mode };
    if (echoes(s, 'time', s.time === 3)) scene.Time = String(s.time);
    out.SceneChangeInfo = scene;
  }
  if (echoes(t, 'directConcat', !t.directConcat)) out.DirectConcat = bool(t.directConcat);
  return out;
}

export function watermarkToXml(w: Watermark): Record<string, unknown> {
  const out: XmlOut = { Type: w.type, Pos: w.pos, LocMode: w.locMode, Dx: String(w.dx), Dy: String(w.dy) };
  putNum(out, 'StartTime', w.startTime);
  putNum(out, 'EndTime', w.endTime);
  if (w.slideConfig) {
    const s = w.slideConfig;
    const slide: XmlOut = { SlideMode: s.slideMode };
    if (echoes(s, 'xSlideSpeed', s.xSlideSpeed === 0)) slide.XSlideSpeed = String(s.xSlideSpeed);
    if (echoes(s, 'ySlideSpeed', s.ySlideSpeed === 0)) slide.YSlideSpeed = String(s.ySlideSpeed);
    out.SlideConfig = slide;
  }
  if (w.image) {
    const i = w.image;
    const image: XmlOut = { Url: i.url, Mode: i.mode };
    putNum(image, 'Width', i.width);
    putNum(image, 'Height', i.height);
    image.Transparency = String(i.transparency);
    if (echoes(i, 'background', !i.background)) image.Background = bool(i.background);
    out.Image = image;
  }
  if (w.text) {
    const t = w.text;
    out.Text = {
      Text: t.text,
      FontSize: String(t.fontSize),
      FontType: t.fontType,
      FontColor: t.fontColor,
      Transparency: String(t.transparency),
    };
  }
  return out;
}

/** The Operation echo of a job; the caller inserts TemplateName after TemplateId. JobLevel is always echoed. */
export function operationToXml(op: ConcatOperation): Record<string, unknown> {
  const out: XmlOut = {};
  if (op.templateId !== undefined) out.TemplateId = op.templateId;
  if (op.concatTemplate) out.ConcatTemplate = concatTemplateToXml(op.concatTemplate, { forJob: true });
  if (op.watermarkTemplateIds.length > 0) out.WatermarkTemplateId = [...op.watermarkTemplateIds];
  if (op.watermarks.length > 0) out.Watermark = op.watermarks.map(watermarkToXml);
  out.Output = { Region: op.output.region, Bucket: op.output.bucket, Object: op.output.object };
  if (op.userData !== undefined) out.UserData = op.userData;
  out.JobLevel = String(op.jobLevel);
  return out;
}
