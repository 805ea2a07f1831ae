// The typed Concat job model: what a validated request means, in camelCase, with numbers as numbers.
// PascalCase names live only at the XML boundary (src/wire: validation in, echo out); everything behind the API
// (records, planner, worker) works on these types.

// Documented value sets (docs/ci-api.md 1.1-1.5), each declared once; the union types derive from them.
export const AUDIO_CODECS = ['aac', 'mp3'] as const;
export const CONTAINER_FORMATS = ['mp4', 'flv', 'hls', 'ts', 'mp3', 'aac'] as const;
export const H264_PROFILES = ['baseline', 'main', 'high'] as const;
export const MIX_MODES = ['Repeat', 'Once'] as const;
export const SCENE_CHANGE_MODES = ['Default', 'FADE', 'GRADIENT'] as const;
export const CALLBACK_FORMATS = ['XML', 'JSON'] as const;
export const CALLBACK_TYPES = ['Url', 'TDMQ'] as const;
export const JOB_LEVELS = [0, 1, 2] as const;
export const FRAGMENT_MODES = ['Start', 'End'] as const;
export const VIDEO_CODECS = ['H.264'] as const;
export const WATERMARK_TYPES = ['Text', 'Image'] as const;
export const WATERMARK_POSITIONS = [
  'TopLeft',
  'Top',
  'TopRight',
  'Left',
  'Center',
  'Right',
  'BottomLeft',
  'Bottom',
  'BottomRight',
] as const;
export const LOC_MODES = ['Relativity', 'Absolute'] as const;
export const IMAGE_MODES = ['Original', 'Proportion', 'Fixed'] as const;
export const SLIDE_MODES = ['Default', 'ScrollFromLeft'] as const;
export const FONT_TYPES = [
  'simfang.ttf',
  'simhei.ttf',
  'simkai.ttf',
  'simsun.ttc',
  'STHeiti-Light.ttc',
  'STHeiti-Medium.ttc',
  'youyuan.TTF',
  'ariblk.ttf',
  'arial.ttf',
  'ahronbd.ttf',
  'Helvetica.dfont',
  'HelveticaNeue.dfont',
] as const;
export const MQ_REGIONS = ['sh', 'bj', 'gz', 'cd', 'hk'] as const;
export const MQ_MODES = ['Queue', 'Topic'] as const;
export const AUDIO_SAMPLERATES = [11025, 22050, 32000, 44100, 48000, 96000] as const;
export const AAC_CHANNELS = [1, 2, 4, 5, 6, 8] as const;
export const MP3_CHANNELS = [1, 2] as const;

export type AudioCodec = (typeof AUDIO_CODECS)[number];
export type ContainerFormat = (typeof CONTAINER_FORMATS)[number];
export type H264Profile = (typeof H264_PROFILES)[number];
type MixMode = (typeof MIX_MODES)[number];
type SceneChangeMode = (typeof SCENE_CHANGE_MODES)[number];
export type CallBackFormat = (typeof CALLBACK_FORMATS)[number];
type CallBackType = (typeof CALLBACK_TYPES)[number];
type JobLevel = (typeof JOB_LEVELS)[number];

/**
 * Fields that have a documented default hold the resolved value (so the worker never re-applies
 * defaults); `given` lists the ones the request spelled out, so the response echo can repeat a value the
 * user sent even when it equals the default, without inventing ones the user did not send.
 */
interface Given<K extends string> {
  given?: K[];
}

export interface ConcatFragment {
  /** As sent (URL of an object in the bucket, or a bare key). */
  url: string;
  /** Template-era placement relative to the job's Input: Start (before) or End (after). */
  mode?: (typeof FRAGMENT_MODES)[number];
  /** Explicit position; fragments are ordered by it when given (stable for ties). */
  fragmentIndex?: number;
  /** Seconds. */
  startTime?: number;
  /** Seconds. */
  endTime?: number;
}

export interface AudioParams extends Given<'remove'> {
  codec: AudioCodec;
  samplerate?: number;
  /** Kbps. */
  bitrate?: number;
  channels?: number;
  remove: boolean;
}

export interface VideoParams extends Given<'remove'> {
  codec: (typeof VIDEO_CODECS)[number];
  width?: number;
  height?: number;
  fps?: number;
  /** Kbps, or 'auto'. */
  bitrate?: number | 'auto';
  crf?: number;
  profile?: H264Profile;
  rotate?: number;
  remove: boolean;
}

export interface EffectConfig extends Given<'enableStartFadein' | 'enableEndFadeout' | 'enableBgmFade'> {
  enableStartFadein: boolean;
  startFadeinTime?: number;
  enableEndFadeout: boolean;
  endFadeoutTime?: number;
  enableBgmFade: boolean;
  bgmFadeTime?: number;
}

export interface AudioMix extends Given<'mixMode' | 'replace'> {
  audioSource: string;
  mixMode: MixMode;
  replace: boolean;
  effectConfig?: EffectConfig;
}

export interface SceneChangeInfo extends Given<'time'> {
  mode: SceneChangeMode;
  /** Seconds, (0, 5], default 3. */
  time: number;
}

export interface ConcatTemplate extends Given<'directConcat'> {
  /** In the order they should be joined (sorted by FragmentIndex when given, else document order). */
  fragments: ConcatFragment[];
  audio?: AudioParams;
  video?: VideoParams;
  container: { format: ContainerFormat };
  /** AudioMix when given, else AudioMixArray (at most 2). */
  audioMix?: AudioMix;
  audioMixArray: AudioMix[];
  /** Position of the job's Input among the fragments. */
  index?: number;
  sceneChangeInfo?: SceneChangeInfo;
  directConcat: boolean;
}

export type WatermarkPos = (typeof WATERMARK_POSITIONS)[number];

export interface SlideConfig extends Given<'xSlideSpeed' | 'ySlideSpeed'> {
  slideMode: (typeof SLIDE_MODES)[number];
  /** [0, 10], default 0. */
  xSlideSpeed: number;
  /** [0, 10], default 0. */
  ySlideSpeed: number;
}

export interface WatermarkImage extends Given<'background'> {
  url: string;
  mode: (typeof IMAGE_MODES)[number];
  width?: number;
  height?: number;
  transparency: number;
  background: boolean;
}

export interface WatermarkText {
  text: string;
  fontSize: number;
  fontType: string;
  /** 0xRRGGBB as sent. */
  fontColor: string;
  transparency: number;
}

export interface Watermark {
  type: (typeof WATERMARK_TYPES)[number];
  pos: WatermarkPos;
  locMode: (typeof LOC_MODES)[number];
  dx: number;
  dy: number;
  startTime?: number;
  endTime?: number;
  slideConfig?: SlideConfig;
  image?: WatermarkImage;
  text?: WatermarkText;
}

export interface JobOutput {
  region: string;
  bucket: string;
  /** With ${ext} / ${jobid} still unexpanded. */
  object: string;
}

export interface CallBackMqConfig {
  mqRegion: string;
  mqMode: (typeof MQ_MODES)[number];
  mqName: string;
}

export interface ConcatOperation {
  templateId?: string;
  concatTemplate?: ConcatTemplate;
  watermarkTemplateIds: string[];
  watermarks: Watermark[];
  output: JobOutput;
  userData?: string;
  jobLevel: JobLevel;
}

/** A validated `<Request><Tag>Concat</Tag>…` body. */
export interface ConcatJobRequest {
  tag: 'Concat';
  input?: { object: string };
  queueId?: string;
  queueType?: string;
  operation: ConcatOperation;
  callBack?: string;
  callBackFormat?: CallBackFormat;
  callBackType?: CallBackType;
  callBackMqConfig?: CallBackMqConfig;
}
