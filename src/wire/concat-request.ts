// The Concat job request (docs/ci-api.md 1.1-1.5 and 10): one row per CI element of `<Request>` for
// POST /jobs (Tag=Concat), its Operation and ConcatTemplate, from which both the reader (XML tree ->
// the typed model of domain/concat-types.ts) and the PascalCase echo used in JobsDetail responses and
// callbacks derive. The Watermark element lives in watermark.ts.
//
// Echo rule for fields with a documented default (Remove, MixMode, Replace, the EffectConfig Enable flags,
// SceneChangeInfo.Time, DirectConcat, Image.Background, X/YSlideSpeed): echoed when the request sent them
// (recorded in the model's `given` list) or when the value differs from the default; never invented.
// JobLevel is the exception: CI always echoes it, so it always is. FragmentIndex is never echoed (the
// documented response drops it) and Index only in a job's echo.
import {
  AAC_CHANNELS,
  AUDIO_CODECS,
  AUDIO_SAMPLERATES,
  CALLBACK_FORMATS,
  CALLBACK_TYPES,
  CONTAINER_FORMATS,
  FRAGMENT_MODES,
  H264_PROFILES,
  JOB_LEVELS,
  MIX_MODES,
  MP3_CHANNELS,
  MQ_MODES,
  MQ_REGIONS,
  SCENE_CHANGE_MODES,
  VIDEO_CODECS,
  type AudioMix,
  type AudioParams,
  type CallBackMqConfig,
  type ConcatFragment,
  type ConcatJobRequest,
  type ConcatOperation,
  type ConcatTemplate,
  type EffectConfig,
  type JobOutput,
  type SceneChangeInfo,
  type VideoParams,
} from '../domain/concat-types.js';
import { ValidationError } from '../domain/validation-error.js';
import {
  bool,
  container,
  echoElement,
  fail,
  float,
  int,
  intIn,
  list,
  listText,
  missing,
  nonEmpty,
  oneOf,
  pattern,
  readElement,
  single,
  text,
  type Element,
  type Reader,
} from './read.js';
import { WATERMARK } from './watermark.js';

const MAX_WATERMARKS = 3;
const MAX_WATERMARK_TEMPLATE_IDS = 3;
const MAX_AUDIO_MIX_ARRAY = 2;
const MAX_USER_DATA = 1024;

const TEMPLATE_ID = /^t[0-9a-f]+$/;
const QUEUE_ID = /^p[0-9a-f]{32}$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

const templateId = pattern(TEMPLATE_ID, '"t" followed by lowercase hex digits (a template id)');

// ---------------------------------------------------------------------------------------------------
// ConcatTemplate
// ---------------------------------------------------------------------------------------------------

const FRAGMENT: Element<ConcatFragment> = {
  rows: [
    { xml: 'Url', key: 'url', read: nonEmpty('a non-empty URL or object key'), required: 'a non-empty URL or object key', echo: 'ifSet' },
    { xml: 'Mode', key: 'mode', read: oneOf(FRAGMENT_MODES), echo: 'ifSet' },
    { xml: 'FragmentIndex', key: 'fragmentIndex', read: int({ min: 0 }), echo: 'never' },
    { xml: 'StartTime', key: 'startTime', read: float({ min: 0 }), echo: 'ifSet' },
    { xml: 'EndTime', key: 'endTime', read: float({ min: 0 }), echo: 'ifSet' },
  ],
  check: (f, path) => {
    if (f.startTime !== undefined && f.endTime !== undefined && f.endTime <= f.startTime) {
      throw new ValidationError(`${path}.EndTime`, `must be greater than StartTime (${f.startTime}), got ${f.endTime}`);
    }
  },
};

const AUDIO: Element<AudioParams> = {
  rows: [
    { xml: 'Codec', key: 'codec', read: oneOf(AUDIO_CODECS), required: listText(AUDIO_CODECS), echo: 'ifSet' },
    { xml: 'Samplerate', key: 'samplerate', read: intIn(AUDIO_SAMPLERATES), echo: 'ifSet' },
    { xml: 'Bitrate', key: 'bitrate', read: int({ min: 8, max: 1000 }), echo: 'ifSet' },
    { xml: 'Channels', key: 'channels', read: intIn(AAC_CHANNELS), echo: 'ifSet' },
    { xml: 'Remove', key: 'remove', read: bool(), default: false, echo: 'ifGiven' },
  ],
  check: (a, path) => {
    if (a.codec === 'mp3' && a.samplerate === 96000) {
      const mp3Rates = AUDIO_SAMPLERATES.filter((s) => s !== 96000);
      throw new ValidationError(`${path}.Samplerate`, `must be ${listText(mp3Rates)} when Codec is mp3, got 96000`);
    }
    if (a.codec === 'mp3' && a.channels !== undefined && !(MP3_CHANNELS as readonly number[]).includes(a.channels)) {
      throw new ValidationError(`${path}.Channels`, `must be ${listText(MP3_CHANNELS)} when Codec is mp3, got ${a.channels}`);
    }
  },
};

/** Kbps as an integer in [10, 50000], or `auto` (adaptive). */
function videoBitrate(): Reader<number | 'auto'> {
  const kbps = int({ min: 10, max: 50000 }, 'an integer in [10, 50000] or auto');
  return (value, path) => {
    const v = single(value, path);
    if (typeof v === 'string' && v.trim().toLowerCase() === 'auto') return 'auto';
    return kbps(v, path);
  };
}

/** Codec and Bitrate first, then size and rate: the order of the documented example. */
const VIDEO: Element<VideoParams> = {
  rows: [
    { xml: 'Codec', key: 'codec', read: oneOf(VIDEO_CODECS), required: 'H.264', echo: 'ifSet' },
    { xml: 'Bitrate', key: 'bitrate', read: videoBitrate(), echo: 'ifSet' },
    { xml: 'Width', key: 'width', read: int({ min: 128, max: 4096, even: true }), echo: 'ifSet' },
    { xml: 'Height', key: 'height', read: int({ min: 128, max: 4096, even: true }), echo: 'ifSet' },
    { xml: 'Fps', key: 'fps', read: float({ min: 0, minOpen: true, max: 60 }), echo: 'ifSet' },
    { xml: 'Crf', key: 'crf', read: float({ min: 0, minOpen: true, max: 51 }), echo: 'ifSet' },
    { xml: 'Remove', key: 'remove', read: bool(), default: false, echo: 'ifGiven' },
    { xml: 'Profile', key: 'profile', read: oneOf(H264_PROFILES), echo: 'ifSet' },
    { xml: 'Rotate', key: 'rotate', read: float({ min: 0, max: 360, maxOpen: true }), echo: 'ifSet' },
  ],
};

/** The three fade effects: each an Enable flag and its duration in seconds. */
const EFFECTS = [
  { flag: 'enableStartFadein', flagXml: 'EnableStartFadein', time: 'startFadeinTime', timeXml: 'StartFadeinTime' },
  { flag: 'enableEndFadeout', flagXml: 'EnableEndFadeout', time: 'endFadeoutTime', timeXml: 'EndFadeoutTime' },
  { flag: 'enableBgmFade', flagXml: 'EnableBgmFade', time: 'bgmFadeTime', timeXml: 'BgmFadeTime' },
] as const;

const EFFECT_CONFIG: Element<EffectConfig> = {
  rows: [
    { xml: 'EnableStartFadein', key: 'enableStartFadein', read: bool(), default: false, echo: 'ifGiven' },
    { xml: 'StartFadeinTime', key: 'startFadeinTime', read: float({ min: 0 }), echo: 'ifSet' },
    { xml: 'EnableEndFadeout', key: 'enableEndFadeout', read: bool(), default: false, echo: 'ifGiven' },
    { xml: 'EndFadeoutTime', key: 'endFadeoutTime', read: float({ min: 0 }), echo: 'ifSet' },
    { xml: 'EnableBgmFade', key: 'enableBgmFade', read: bool(), default: false, echo: 'ifGiven' },
    { xml: 'BgmFadeTime', key: 'bgmFadeTime', read: float({ min: 0 }), echo: 'ifSet' },
  ],
  check: checkEffectDurations,
};

/**
 * Durations must be > 0 when their effect is enabled (and are then required). A disabled effect's
 * duration is ignored and may be 0: the documented example 2 sends EnableEndFadeout=false with
 * EndFadeoutTime=0. Negative durations are always refused.
 */
function checkEffectDurations(e: EffectConfig, path: string): void {
  for (const { flag, flagXml, time, timeXml } of EFFECTS) {
    if (!e[flag]) continue;
    const seconds = e[time];
    if (seconds === undefined) missing(`${path}.${timeXml}`, `a number of seconds > 0, because ${flagXml} is true`);
    if (seconds <= 0) throw new ValidationError(`${path}.${timeXml}`, `must be a number > 0 when ${flagXml} is true, got ${seconds}`);
  }
}

const AUDIO_MIX: Element<AudioMix> = {
  rows: [
    {
      xml: 'AudioSource',
      key: 'audioSource',
      read: nonEmpty('a non-empty URL'),
      required: 'the URL of the audio to mix in',
      echo: 'ifSet',
    },
    { xml: 'MixMode', key: 'mixMode', read: oneOf(MIX_MODES), default: 'Repeat', echo: 'ifGiven' },
    { xml: 'Replace', key: 'replace', read: bool(), default: false, echo: 'ifGiven' },
    { xml: 'EffectConfig', key: 'effectConfig', read: container(EFFECT_CONFIG), echo: 'ifSet' },
  ],
};

const SCENE_CHANGE_INFO: Element<SceneChangeInfo> = {
  rows: [
    { xml: 'Mode', key: 'mode', read: oneOf(SCENE_CHANGE_MODES), required: listText(SCENE_CHANGE_MODES), echo: 'ifSet' },
    { xml: 'Time', key: 'time', read: float({ min: 0, minOpen: true, max: 5 }), default: 3, echo: 'ifGiven' },
  ],
};

const CONTAINER: Element<ConcatTemplate['container']> = {
  rows: [{ xml: 'Format', key: 'format', read: oneOf(CONTAINER_FORMATS), required: listText(CONTAINER_FORMATS), echo: 'ifSet' }],
};

/** A ConcatTemplate container: inline in a job, and the body of a Concat template. */
export const CONCAT_TEMPLATE: Element<ConcatTemplate> = {
  rows: [
    {
      xml: 'ConcatFragment',
      key: 'fragments',
      read: list(container(FRAGMENT)),
      required: 'at least one ConcatFragment with a Url',
      echo: 'ifSet',
    },
    { xml: 'Audio', key: 'audio', read: container(AUDIO), echo: 'ifSet' },
    { xml: 'Video', key: 'video', read: container(VIDEO), echo: 'ifSet' },
    {
      xml: 'Container',
      key: 'container',
      read: container(CONTAINER),
      required: `a container with Format: ${listText(CONTAINER_FORMATS)}`,
      echo: 'ifSet',
    },
    { xml: 'AudioMix', key: 'audioMix', read: container(AUDIO_MIX), echo: 'ifSet' },
    { xml: 'AudioMixArray', key: 'audioMixArray', read: list(container(AUDIO_MIX), MAX_AUDIO_MIX_ARRAY), default: [], echo: 'ifSet' },
    { xml: 'Index', key: 'index', read: int({ min: 0 }), echo: 'forJob' },
    { xml: 'SceneChangeInfo', key: 'sceneChangeInfo', read: container(SCENE_CHANGE_INFO), echo: 'ifSet' },
    { xml: 'DirectConcat', key: 'directConcat', read: bool(), default: false, echo: 'ifGiven' },
  ],
  check: (t, path) => {
    if (t.index !== undefined && t.index > t.fragments.length) {
      throw new ValidationError(
        `${path}.Index`,
        `must be an integer in [0, ${t.fragments.length}] (at most the number of ConcatFragments), got ${t.index}`,
      );
    }
  },
  finish: (t) => ({ ...t, fragments: sortFragments(t.fragments) }),
};

/** By FragmentIndex (missing = 0, the documented default) when any fragment has one; stable for ties. */
function sortFragments(fragments: ConcatFragment[]): ConcatFragment[] {
  if (!fragments.some((f) => f.fragmentIndex !== undefined)) return fragments;
  return [...fragments].sort((a, b) => (a.fragmentIndex ?? 0) - (b.fragmentIndex ?? 0));
}

/**
 * The ConcatTemplate echo. `forJob` adds Index (the position of the job's Input, meaningful for jobs
 * only); FragmentIndex is never echoed.
 */
export function concatTemplateToXml(t: ConcatTemplate, opts: { forJob?: boolean } = {}): Record<string, unknown> {
  return echoElement(CONCAT_TEMPLATE, t, opts);
}

// ---------------------------------------------------------------------------------------------------
// Operation and Request
// ---------------------------------------------------------------------------------------------------

const OUTPUT: Element<JobOutput> = {
  rows: [
    { xml: 'Region', key: 'region', read: nonEmpty(), required: 'the region of the output bucket', echo: 'ifSet' },
    { xml: 'Bucket', key: 'bucket', read: nonEmpty(), required: 'the output bucket', echo: 'ifSet' },
    { xml: 'Object', key: 'object', read: nonEmpty(), required: 'the output object key', echo: 'ifSet' },
  ],
};

function userData(): Reader<string> {
  const allowed = `at most ${MAX_USER_DATA} printable ASCII characters`;
  const asText = text(allowed);
  return (value, path) => {
    const s = asText(value, path);
    if (s.length > MAX_USER_DATA) throw new ValidationError(path, `must be ${allowed}, got ${s.length} characters`);
    if (!PRINTABLE_ASCII.test(s)) fail(path, allowed, s);
    return s;
  };
}

/** The Operation; the job echo inserts TemplateName after TemplateId. JobLevel is always echoed. */
const OPERATION: Element<ConcatOperation> = {
  rows: [
    {
      xml: 'TemplateId',
      key: 'templateId',
      read: templateId,
      echo: 'ifSet',
      required: 'a Concat template id, unless an inline ConcatTemplate is given',
      unless: 'concatTemplate',
    },
    { xml: 'ConcatTemplate', key: 'concatTemplate', read: container(CONCAT_TEMPLATE), echo: 'ifSet' },
    {
      xml: 'WatermarkTemplateId',
      key: 'watermarkTemplateIds',
      read: list(templateId, MAX_WATERMARK_TEMPLATE_IDS),
      default: [],
      echo: 'ifSet',
    },
    { xml: 'Watermark', key: 'watermarks', read: list(container(WATERMARK), MAX_WATERMARKS), default: [], echo: 'ifSet' },
    { xml: 'Output', key: 'output', read: container(OUTPUT), required: 'a container with Region, Bucket and Object', echo: 'ifSet' },
    { xml: 'UserData', key: 'userData', read: userData(), echo: 'ifSet' },
    { xml: 'JobLevel', key: 'jobLevel', read: intIn(JOB_LEVELS), default: 0, echo: 'always' },
  ],
  // TemplateId takes priority: an inline ConcatTemplate sent with it was validated but is not used.
  finish: (op) => {
    if (op.templateId === undefined) return op;
    const { concatTemplate: _unused, ...rest } = op;
    return rest;
  },
};

/** The Operation echo of a job; the caller inserts TemplateName after TemplateId. */
export function operationToXml(op: ConcatOperation): Record<string, unknown> {
  return echoElement(OPERATION, op, { forJob: true });
}

const INPUT: Element<{ object: string }> = {
  rows: [{ xml: 'Object', key: 'object', read: nonEmpty('a non-empty object key'), required: 'a non-empty object key', echo: 'ifSet' }],
};

/** `no` (skip the queue's callback) or an http(s) URL. */
function callBackUrl(): Reader<string> {
  const allowed = '"no" or an http:// or https:// URL';
  const asText = text(allowed);
  return (value, path) => {
    const s = asText(value, path);
    if (s === 'no') return s;
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      return fail(path, allowed, s);
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') fail(path, allowed, s);
    return s;
  };
}

const MQ_CONFIG: Element<CallBackMqConfig> = {
  rows: [
    { xml: 'MqRegion', key: 'mqRegion', read: oneOf(MQ_REGIONS), required: listText(MQ_REGIONS), echo: 'ifSet' },
    { xml: 'MqMode', key: 'mqMode', read: oneOf(MQ_MODES), default: 'Queue', echo: 'ifSet' },
    { xml: 'MqName', key: 'mqName', read: nonEmpty(), required: 'the TDMQ queue or topic name', echo: 'ifSet' },
  ],
};

const CONCAT_JOB_REQUEST: Element<ConcatJobRequest> = {
  rows: [
    { xml: 'Tag', key: 'tag', read: oneOf(['Concat'] as const), required: 'Concat', echo: 'ifSet' },
    { xml: 'Input', key: 'input', read: container(INPUT), echo: 'ifSet' },
    {
      xml: 'Operation',
      key: 'operation',
      read: container(OPERATION),
      required: 'a container with TemplateId or ConcatTemplate, and Output',
      echo: 'ifSet',
    },
    { xml: 'QueueId', key: 'queueId', read: pattern(QUEUE_ID, '"p" followed by 32 lowercase hex digits'), echo: 'ifSet' },
    { xml: 'QueueType', key: 'queueType', read: nonEmpty(), echo: 'ifSet' },
    { xml: 'CallBackFormat', key: 'callBackFormat', read: oneOf(CALLBACK_FORMATS), echo: 'ifSet' },
    { xml: 'CallBackType', key: 'callBackType', read: oneOf(CALLBACK_TYPES), echo: 'ifSet' },
    { xml: 'CallBack', key: 'callBack', read: callBackUrl(), echo: 'ifSet' },
    { xml: 'CallBackMqConfig', key: 'callBackMqConfig', read: container(MQ_CONFIG), echo: 'ifSet' },
  ],
  check: (r, path) => {
    if (r.callBackType === 'TDMQ' && r.callBackMqConfig === undefined) {
      missing(`${path}.CallBackMqConfig`, 'MqRegion, MqMode and MqName, because CallBackType is TDMQ');
    }
  },
};

/** Validates the content of `<Request>` (as returned by parseRequestXml) as a Concat job submission. */
export function parseConcatJobRequest(raw: unknown): ConcatJobRequest {
  return readElement(CONCAT_JOB_REQUEST, raw, 'Request');
}
