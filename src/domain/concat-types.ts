// The typed Concat job model: what a validated request means, in camelCase, with numbers as numbers.
// PascalCase names live only at the XML boundary (validation in, echo out); everything behind the API
// (records, planner, worker) works on these types.

export type AudioCodec = 'aac' | 'mp3';
export type ContainerFormat = 'mp4' | 'flv' | 'hls' | 'ts' | 'mp3' | 'aac';
export type H264Profile = 'baseline' | 'main' | 'high';
export type MixMode = 'Repeat' | 'Once';
export type SceneChangeMode = 'Default' | 'FADE' | 'GRADIENT';
export type CallBackFormat = 'XML' | 'JSON';
export type CallBackType = 'Url' | 'TDMQ';
export type JobLevel = 0 | 1 | 2;

/**
 * Fields that have a documented default hold the resolved value (so the worker never re-applies
 * defaults); `given` lists the ones the request spelled out, so the response echo can repeat a value the
 * user sent even when it equals the default, without inventing ones the user did not send.
 */
export interface Given<K extends string> {
  given?: K[];
}

export interface ConcatFragment {
  /** As sent (URL of an object in the bucket, or a bare key). */
  url: string;
  /** Template-era placement relative to the job's Input: Start (before) or End (after). */
  mode?: 'Start' | 'End';
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
  codec: 'H.264';
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

export type WatermarkPos =
  | 'TopLeft' | 'Top' | 'TopRight'
  | 'Left' | 'Center' | 'Right'
  | 'BottomLeft' | 'Bottom' | 'BottomRight';

export interface SlideConfig extends Given<'xSlideSpeed' | 'ySlideSpeed'> {
  slideMode: 'Default' | 'ScrollFromLeft';
  /** [0, 10], default 0. */
  xSlideSpeed: number;
  /** [0, 10], default 0. */
  ySlideSpeed: number;
}

export interface WatermarkImage extends Given<'background'> {
  url: string;
  mode: 'Original' | 'Proportion' | 'Fixed';
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
  type: 'Text' | 'Image';
  pos: WatermarkPos;
  locMode: 'Relativity' | 'Absolute';
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
  mqMode: 'Queue' | 'Topic';
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
