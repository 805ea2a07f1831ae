// parseConcatJobRequest / operationToXml (src/wire/concat-request.ts): the three documented examples of
// the Submit Concat job page (seed 000), their echo, and one case per documented validation rule.
import { describe, expect, it } from 'vitest';
import { buildXml, parseRequestXml } from '../../src/wire/xml.js';
import { concatTemplateToXml, operationToXml, parseConcatJobRequest } from '../../src/wire/concat-request.js';
import { watermarkToXml } from '../../src/wire/watermark.js';
import type { ConcatJobRequest, ConcatOperation, ConcatTemplate } from '../../src/domain/concat-types.js';
import { ValidationError } from '../../src/domain/validation-error.js';
import {
  SEED_REQUEST_1,
  SEED_REQUEST_2,
  SEED_REQUEST_3,
  SEED_RESPONSE_1,
  SEED_RESPONSE_2,
  SEED_RESPONSE_3,
} from '../fixtures/seed-examples.js';

// ---- The seed's example requests and the Operation of their documented responses, verbatim ----------

/** The Operation element of a documented response, as the seed prints it. */
function operationOf(response: string): string {
  const m = /<Operation>[\s\S]*<\/Operation>/.exec(response);
  if (!m) throw new Error('no Operation in the documented response');
  return m[0];
}

const SEED_RESPONSE_OPERATION_1 = operationOf(SEED_RESPONSE_1);
const SEED_RESPONSE_OPERATION_2 = operationOf(SEED_RESPONSE_2);
const SEED_RESPONSE_OPERATION_3 = operationOf(SEED_RESPONSE_3);
// ---- Helpers ------------------------------------------------------------------------------------------

type Tree = Record<string, unknown>;

function parseXml(xml: string): ConcatJobRequest {
  return parseConcatJobRequest(parseRequestXml(xml));
}

/** The Operation echo as the XML builder writes it. */
function echoXml(op: ConcatOperation): string {
  return buildXml('Operation', operationToXml(op));
}

/** A documented XML fragment in the builder's layout (no line breaks between elements). */
function documented(xml: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${xml.replace(/\n/g, '')}`;
}

function rejection(raw: unknown): ValidationError {
  try {
    parseConcatJobRequest(raw);
  } catch (err) {
    if (err instanceof ValidationError) return err;
    throw err;
  }
  throw new Error('expected a ValidationError, but the request was accepted');
}

const HEX32 = '0123456789abcdef0123456789abcdef';
const TEMPLATE_ID = 't1460606b9752148c4ab182f55163ba7cd';
const CT = 'Operation.ConcatTemplate';
const WM0 = 'Operation.Watermark[0]'; // Text, Absolute
const WM1 = 'Operation.Watermark[1]'; // Image, Relativity, foreground, Proportion

/** A valid request tree (as parseRequestXml returns it) that uses every documented element. */
function base(): Tree {
  return {
    Tag: 'Concat',
    Input: { Object: 'input/demo.mp4' },
    Operation: {
      ConcatTemplate: {
        ConcatFragment: [
          { Url: 'start.mp4', FragmentIndex: '0', StartTime: '0', EndTime: '6', Mode: 'Start' },
          { Url: 'end.mp4', FragmentIndex: '1' },
        ],
        Audio: { Codec: 'aac', Samplerate: '44100', Bitrate: '128', Channels: '2', Remove: 'false' },
        Video: {
          Codec: 'H.264',
          Bitrate: '1000',
          Width: '1280',
          Height: '720',
          Fps: '30',
          Crf: '25',
          Remove: 'false',
          Profile: 'high',
          Rotate: '90',
        },
        Container: { Format: 'mp4' },
        AudioMix: {
          AudioSource: 'bgm.mp3',
          MixMode: 'Once',
          Replace: 'true',
          EffectConfig: {
            EnableStartFadein: 'true',
            StartFadeinTime: '3',
            EnableEndFadeout: 'true',
            EndFadeoutTime: '2',
            EnableBgmFade: 'true',
            BgmFadeTime: '1.7',
          },
        },
        AudioMixArray: [{ AudioSource: 'mix1.mp3' }, { AudioSource: 'mix2.mp3', MixMode: 'Repeat' }],
        Index: '1',
        SceneChangeInfo: { Mode: 'FADE', Time: '2.5' },
        DirectConcat: 'false',
      },
      WatermarkTemplateId: [TEMPLATE_ID],
      Watermark: [
        {
          Type: 'Text',
          Pos: 'TopLeft',
          LocMode: 'Absolute',
          Dx: '10',
          Dy: '20',
          StartTime: '0',
          EndTime: '5',
          Text: { Text: '水印_Ab-1*', FontSize: '20', FontType: 'simfang.ttf', FontColor: '0xFF00aa', Transparency: '80' },
        },
        {
          Type: 'Image',
          Pos: 'BottomRight',
          LocMode: 'Relativity',
          Dx: '5',
          Dy: '5',
          SlideConfig: { SlideMode: 'ScrollFromLeft', XSlideSpeed: '3', YSlideSpeed: '0' },
          Image: { Url: 'logo.png', Mode: 'Proportion', Width: '10', Transparency: '100', Background: 'false' },
        },
      ],
      Output: { Region: 'ap-chongqing', Bucket: 'test-123456789', Object: 'output/out.${ext}' },
      UserData: 'This is my data.',
      JobLevel: '1',
    },
    QueueId: `p${HEX32}`,
    CallBack: 'https://callback.example.com/ci',
    CallBackFormat: 'XML',
    CallBackType: 'Url',
  };
}

/**
 * Sets (or, with undefined, deletes) the element at a dotted path such as
 * `Operation.ConcatTemplate.ConcatFragment[1].Url`; missing containers are created.
 */
function setPath(tree: Tree, path: string, value: unknown): Tree {
  const segments = path.split('.');
  let node: Tree = tree;
  segments.forEach((segment, i) => {
    const m = /^(\w+)(?:\[(\d+)\])?$/.exec(segment);
    if (!m) throw new Error(`bad path segment ${segment}`);
    const name = m[1]!;
    const last = i === segments.length - 1;
    if (m[2] === undefined) {
      if (last) {
        if (value === undefined) Reflect.deleteProperty(node, name);
        else node[name] = value;
      } else {
        node[name] ??= {};
        node = node[name] as Tree;
      }
    } else {
      const items = node[name] as unknown[];
      const index = Number(m[2]);
      if (last) items[index] = value;
      else node = items[index] as Tree;
    }
  });
  return tree;
}

function withValues(values: Record<string, unknown>): Tree {
  const tree = base();
  for (const [path, value] of Object.entries(values)) setPath(tree, path, value);
  return tree;
}

// ---- The documented examples --------------------------------------------------------------------------

describe('the seed examples', () => {
  it('example 1 (TemplateId) parses into the typed model', () => {
    expect(parseXml(SEED_REQUEST_1)).toEqual({
      tag: 'Concat',
      input: { object: 'input/demo.mp4' },
      operation: {
        templateId: TEMPLATE_ID,
        watermarkTemplateIds: [],
        watermarks: [],
        output: { region: 'ap-chongqing', bucket: 'test-123456789', object: 'output/out.${ext}' },
        userData: 'This is my data.',
        jobLevel: 0,
      },
      callBack: 'http://callback.demo.com',
      callBackFormat: 'JSON',
    });
  });

  it('example 1 echoes its documented Operation (TemplateName is added by the caller)', () => {
    const op = parseXml(SEED_REQUEST_1).operation;
    expect(echoXml(op)).toBe(documented(SEED_RESPONSE_OPERATION_1.replace('<TemplateName>concat_demo</TemplateName>\n', '')));
  });

  it('example 2 (inline ConcatTemplate with AudioMixArray) parses into the typed model', () => {
    const req = parseXml(SEED_REQUEST_2);
    const t = req.operation.concatTemplate!;
    expect(req.operation.templateId).toBeUndefined();
    expect(t.fragments.map((f) => f.url)).toEqual([
      'http://test-123456789.cos.ap-chongqing.myqcloud.com/start.mp4',
      'http://test-123456789.cos.ap-chongqing.myqcloud.com/end.mp4',
    ]);
    expect(t.audio).toEqual({ codec: 'mp3', remove: false });
    expect(t.video).toEqual({ codec: 'H.264', bitrate: 1000, width: 1280, height: 720, fps: 30, remove: false });
    expect(t.container).toEqual({ format: 'mp4' });
    expect(t.index).toBeUndefined();
    expect(t.directConcat).toBe(false);
    expect(t.audioMixArray).toHaveLength(2);
    expect(t.audioMixArray[0]).toMatchObject({
      audioSource: 'https://test-xxx.cos.ap-chongqing.myqcloud.com/mix1.mp3',
      mixMode: 'Once',
      replace: true,
      effectConfig: {
        enableStartFadein: true,
        startFadeinTime: 3,
        enableEndFadeout: false,
        endFadeoutTime: 0,
        enableBgmFade: true,
        bgmFadeTime: 1.7,
      },
    });
  });

  it('example 2 echoes its documented Operation, except the Index its request never sent', () => {
    const op = parseXml(SEED_REQUEST_2).operation;
    expect(echoXml(op)).toBe(documented(SEED_RESPONSE_OPERATION_2.replace('<Index>1</Index>\n', '')));
  });

  it('example 3 (FragmentIndex, StartTime, EndTime, no Input) parses into the typed model', () => {
    const req = parseXml(SEED_REQUEST_3);
    expect(req.input).toBeUndefined();
    expect(req.operation.concatTemplate?.fragments).toEqual([
      { url: 'http://test-123456789.cos.ap-chongqing.myqcloud.com/start.mp4', fragmentIndex: 0, startTime: 0, endTime: 6 },
      { url: 'http://test-123456789.cos.ap-chongqing.myqcloud.com/middle.mp4', fragmentIndex: 1 },
      { url: 'http://test-123456789.cos.ap-chongqing.myqcloud.com/end.mp4', fragmentIndex: 2, startTime: 5, endTime: 10 },
    ]);
  });

  it('example 3 echoes its documented Operation (FragmentIndex is not echoed)', () => {
    const op = parseXml(SEED_REQUEST_3).operation;
    expect(echoXml(op)).toBe(documented(SEED_RESPONSE_OPERATION_3));
  });
});

// ---- Validation: one row per rule --------------------------------------------------------------------

describe('validation', () => {
  it('accepts the full base request', () => {
    const req = parseConcatJobRequest(base());
    expect(req.queueId).toBe(`p${HEX32}`);
    expect(req.operation.jobLevel).toBe(1);
    expect(req.operation.watermarks).toHaveLength(2);
    expect(req.operation.concatTemplate?.index).toBe(1);
  });

  it('names the field and what is allowed, as in the brief', () => {
    const err = rejection(withValues({ [`${CT}.Video.Width`]: '1281' }));
    expect(err.field).toBe('Request.Operation.ConcatTemplate.Video.Width');
    expect(err.message).toBe('Request.Operation.ConcatTemplate.Video.Width: must be an even integer in [128, 4096], got "1281"');
  });

  // [path (also the reported field), value (undefined = element removed), what the message must say]
  it.each<[string, unknown, string]>([
    // Request
    ['Tag', 'Transcode', 'must be one of [Concat], got "Transcode"'],
    ['Tag', undefined, 'is required (Concat)'],
    ['Operation', undefined, 'is required (a container with TemplateId or ConcatTemplate, and Output)'],
    ['Operation', 'text', 'must be a container element, got "text"'],
    ['Input.Object', undefined, 'is required (a non-empty object key)'],
    ['Input.Object', '', 'must be a non-empty object key, got ""'],
    ['QueueId', `p${HEX32.slice(1)}`, 'must be "p" followed by 32 lowercase hex digits'],
    ['QueueId', `P${HEX32}`, 'must be "p" followed by 32 lowercase hex digits'],
    ['QueueId', `p${HEX32}0`, 'must be "p" followed by 32 lowercase hex digits'],
    ['CallBack', 'ftp://callback.example.com/ci', 'must be "no" or an http:// or https:// URL, got "ftp://'],
    ['CallBack', 'callback.example.com', 'must be "no" or an http:// or https:// URL'],
    ['CallBack', 'No', 'must be "no" or an http:// or https:// URL'],
    ['CallBack', '', 'must be "no" or an http:// or https:// URL, got ""'],
    ['CallBackFormat', 'json', 'must be one of [XML, JSON], got "json"'],
    ['CallBackType', 'Kafka', 'must be one of [Url, TDMQ], got "Kafka"'],
    ['CallBackMqConfig.MqRegion', 'sz', 'must be one of [sh, bj, gz, cd, hk], got "sz"'],
    ['CallBackMqConfig.MqMode', 'Fanout', 'must be one of [Queue, Topic], got "Fanout"'],
    // Operation
    ['Operation.TemplateId', 'x1460606b9752148c4ab182f55163ba7cd', 'must be "t" followed by lowercase hex digits'],
    ['Operation.TemplateId', 't', 'must be "t" followed by lowercase hex digits'],
    ['Operation.TemplateId', 't146060G', 'must be "t" followed by lowercase hex digits'],
    ['Operation.WatermarkTemplateId[0]', 'watermark-1', 'must be "t" followed by lowercase hex digits'],
    ['Operation.Output', undefined, 'is required (a container with Region, Bucket and Object)'],
    ['Operation.Output.Region', undefined, 'is required'],
    ['Operation.Output.Region', '', 'must be a non-empty string, got ""'],
    ['Operation.Output.Bucket', '  ', 'must be a non-empty string'],
    ['Operation.Output.Object', undefined, 'is required'],
    ['Operation.UserData', 'x'.repeat(1025), 'must be at most 1024 printable ASCII characters, got 1025 characters'],
    ['Operation.UserData', 'tab\there', 'must be at most 1024 printable ASCII characters'],
    ['Operation.UserData', 'café', 'must be at most 1024 printable ASCII characters'],
    ['Operation.JobLevel', '3', 'must be one of [0, 1, 2], got "3"'],
    ['Operation.JobLevel', '-1', 'must be one of [0, 1, 2]'],
    ['Operation.JobLevel', '1.0', 'must be one of [0, 1, 2]'],
    ['Operation.JobLevel', 'high', 'must be one of [0, 1, 2]'],
    // ConcatTemplate
    [`${CT}.ConcatFragment`, undefined, 'is required (at least one ConcatFragment with a Url)'],
    [`${CT}.ConcatFragment`, [], 'is required (at least one ConcatFragment with a Url)'],
    [`${CT}.Container`, undefined, 'is required (a container with Format: one of [mp4, flv, hls, ts, mp3, aac])'],
    [`${CT}.Container.Format`, undefined, 'is required (one of [mp4, flv, hls, ts, mp3, aac])'],
    [`${CT}.Container.Format`, 'avi', 'must be one of [mp4, flv, hls, ts, mp3, aac], got "avi"'],
    [`${CT}.Container.Format`, 'MP4', 'must be one of [mp4, flv, hls, ts, mp3, aac]'],
    [`${CT}.Index`, '3', 'must be an integer in [0, 2] (at most the number of ConcatFragments), got 3'],
    [`${CT}.Index`, '-1', 'must be an integer >= 0, got "-1"'],
    [`${CT}.Index`, '1.5', 'must be an integer >= 0'],
    [`${CT}.DirectConcat`, 'yes', 'must be true or false, got "yes"'],
    [`${CT}.DirectConcat`, '1', 'must be true or false'],
    // ConcatFragment
    [`${CT}.ConcatFragment[1].Url`, undefined, 'is required (a non-empty URL or object key)'],
    [`${CT}.ConcatFragment[1].Url`, '', 'must be a non-empty URL or object key'],
    [`${CT}.ConcatFragment[1].FragmentIndex`, '-1', 'must be an integer >= 0, got "-1"'],
    [`${CT}.ConcatFragment[1].FragmentIndex`, '1.5', 'must be an integer >= 0'],
    [`${CT}.ConcatFragment[0].StartTime`, '-0.001', 'must be a number >= 0, got "-0.001"'],
    [`${CT}.ConcatFragment[0].EndTime`, '-1', 'must be a number >= 0'],
    [`${CT}.ConcatFragment[0].EndTime`, '0', 'must be greater than StartTime (0), got 0'],
    [`${CT}.ConcatFragment[0].Mode`, 'Middle', 'must be one of [Start, End], got "Middle"'],
    // Audio
    [`${CT}.Audio.Codec`, undefined, 'is required (one of [aac, mp3])'],
    [`${CT}.Audio.Codec`, 'wav', 'must be one of [aac, mp3], got "wav"'],
    [`${CT}.Audio.Samplerate`, '16000', 'must be one of [11025, 22050, 32000, 44100, 48000, 96000], got "16000"'],
    [`${CT}.Audio.Bitrate`, '7', 'must be an integer in [8, 1000], got "7"'],
    [`${CT}.Audio.Bitrate`, '1001', 'must be an integer in [8, 1000], got "1001"'],
    [`${CT}.Audio.Bitrate`, '128.5', 'must be an integer in [8, 1000]'],
    [`${CT}.Audio.Channels`, '3', 'must be one of [1, 2, 4, 5, 6, 8], got "3"'],
    [`${CT}.Audio.Channels`, '9', 'must be one of [1, 2, 4, 5, 6, 8]'],
    [`${CT}.Audio.Remove`, 'no', 'must be true or false, got "no"'],
    // Video
    [`${CT}.Video.Codec`, undefined, 'is required (H.264)'],
    [`${CT}.Video.Codec`, 'H.265', 'must be one of [H.264], got "H.265"'],
    [`${CT}.Video.Codec`, 'h264', 'must be one of [H.264]'],
    [`${CT}.Video.Width`, '126', 'must be an even integer in [128, 4096], got "126"'],
    [`${CT}.Video.Width`, '4098', 'must be an even integer in [128, 4096], got "4098"'],
    [`${CT}.Video.Width`, '129', 'must be an even integer in [128, 4096], got "129"'],
    [`${CT}.Video.Height`, '126', 'must be an even integer in [128, 4096]'],
    [`${CT}.Video.Height`, '4098', 'must be an even integer in [128, 4096]'],
    [`${CT}.Video.Height`, '721', 'must be an even integer in [128, 4096]'],
    [`${CT}.Video.Fps`, '0', 'must be a number in (0, 60], got "0"'],
    [`${CT}.Video.Fps`, '60.01', 'must be a number in (0, 60], got "60.01"'],
    [`${CT}.Video.Bitrate`, '9', 'must be an integer in [10, 50000] or auto, got "9"'],
    [`${CT}.Video.Bitrate`, '50001', 'must be an integer in [10, 50000] or auto, got "50001"'],
    [`${CT}.Video.Bitrate`, 'automatic', 'must be an integer in [10, 50000] or auto'],
    [`${CT}.Video.Crf`, '0', 'must be a number in (0, 51], got "0"'],
    [`${CT}.Video.Crf`, '51.01', 'must be a number in (0, 51], got "51.01"'],
    [`${CT}.Video.Profile`, 'High', 'must be one of [baseline, main, high], got "High"'],
    [`${CT}.Video.Profile`, 'extended', 'must be one of [baseline, main, high]'],
    [`${CT}.Video.Rotate`, '360', 'must be a number in [0, 360), got "360"'],
    [`${CT}.Video.Rotate`, '-0.5', 'must be a number in [0, 360)'],
    [`${CT}.Video.Remove`, 'off', 'must be true or false'],
    // AudioMix / AudioMixArray items
    [`${CT}.AudioMix.AudioSource`, undefined, 'is required (the URL of the audio to mix in)'],
    [`${CT}.AudioMix.AudioSource`, '', 'must be a non-empty URL'],
    [`${CT}.AudioMix.MixMode`, 'Loop', 'must be one of [Repeat, Once], got "Loop"'],
    [`${CT}.AudioMix.Replace`, 'maybe', 'must be true or false, got "maybe"'],
    [`${CT}.AudioMix.EffectConfig.EnableStartFadein`, 'on', 'must be true or false'],
    [`${CT}.AudioMix.EffectConfig.EnableEndFadeout`, '0', 'must be true or false'],
    [`${CT}.AudioMix.EffectConfig.EnableBgmFade`, 'yes', 'must be true or false'],
    [`${CT}.AudioMix.EffectConfig.StartFadeinTime`, '-1', 'must be a number >= 0, got "-1"'],
    [`${CT}.AudioMix.EffectConfig.StartFadeinTime`, '0', 'must be a number > 0 when EnableStartFadein is true, got 0'],
    [`${CT}.AudioMix.EffectConfig.StartFadeinTime`, undefined, 'is required (a number of seconds > 0, because EnableStartFadein is true)'],
    [`${CT}.AudioMix.EffectConfig.EndFadeoutTime`, '0', 'must be a number > 0 when EnableEndFadeout is true'],
    [`${CT}.AudioMix.EffectConfig.EndFadeoutTime`, undefined, 'because EnableEndFadeout is true'],
    [`${CT}.AudioMix.EffectConfig.BgmFadeTime`, '0', 'must be a number > 0 when EnableBgmFade is true'],
    [`${CT}.AudioMix.EffectConfig.BgmFadeTime`, undefined, 'because EnableBgmFade is true'],
    [`${CT}.AudioMixArray[1].AudioSource`, undefined, 'is required (the URL of the audio to mix in)'],
    [`${CT}.AudioMixArray[1].MixMode`, 'once', 'must be one of [Repeat, Once]'],
    // SceneChangeInfo
    [`${CT}.SceneChangeInfo.Mode`, undefined, 'is required (one of [Default, FADE, GRADIENT])'],
    [`${CT}.SceneChangeInfo.Mode`, 'fade', 'must be one of [Default, FADE, GRADIENT], got "fade"'],
    [`${CT}.SceneChangeInfo.Time`, '0', 'must be a number in (0, 5], got "0"'],
    [`${CT}.SceneChangeInfo.Time`, '5.001', 'must be a number in (0, 5], got "5.001"'],
    // Watermark (common fields; [0] is Text/Absolute, [1] is a foreground Image/Relativity)
    [`${WM0}.Type`, undefined, 'is required (one of [Text, Image])'],
    [`${WM0}.Type`, 'Video', 'must be one of [Text, Image], got "Video"'],
    [`${WM0}.Pos`, undefined, 'is required (one of [TopLeft, Top, TopRight, Left, Center, Right, BottomLeft, Bottom, BottomRight])'],
    [`${WM0}.Pos`, 'Middle', 'must be one of [TopLeft, Top, TopRight, Left, Center, Right, BottomLeft, Bottom, BottomRight]'],
    [`${WM0}.LocMode`, undefined, 'is required (one of [Relativity, Absolute])'],
    [`${WM0}.LocMode`, 'Percent', 'must be one of [Relativity, Absolute], got "Percent"'],
    [`${WM0}.Dx`, undefined, 'is required (the horizontal offset)'],
    [`${WM0}.Dy`, undefined, 'is required (the vertical offset)'],
    [`${WM0}.Dx`, 'left', 'must be a number, got "left"'],
    [`${WM0}.Dx`, '-1', 'must be a number in [0, 4096] (LocMode Absolute, Text), got -1'],
    [`${WM0}.Dx`, '4096.5', 'must be a number in [0, 4096] (LocMode Absolute, Text), got 4096.5'],
    [`${WM0}.Dy`, '4097', 'must be a number in [0, 4096] (LocMode Absolute, Text), got 4097'],
    [`${WM1}.Dx`, '100.1', 'must be a number in [0, 100] (LocMode Relativity, foreground Image), got 100.1'],
    [`${WM1}.Dy`, '-0.1', 'must be a number in [0, 100] (LocMode Relativity, foreground Image), got -0.1'],
    [`${WM0}.StartTime`, '-1', 'must be a number >= 0, got "-1"'],
    [`${WM0}.EndTime`, 'end', 'must be a number >= 0, got "end"'],
    // Watermark Text
    [`${WM0}.Text`, undefined, 'is required (a Text container, because Type is Text)'],
    [`${WM0}.Text.Text`, undefined, 'is required (1 to 64 characters, only Chinese characters, ASCII letters, digits, _, - and *)'],
    [`${WM0}.Text.Text`, '', 'must be 1 to 64 characters, only Chinese characters, ASCII letters, digits, _, - and *, got ""'],
    [`${WM0}.Text.Text`, 'a b', 'only Chinese characters, ASCII letters, digits, _, - and *, got "a b"'],
    [`${WM0}.Text.Text`, '水印!', 'only Chinese characters, ASCII letters, digits, _, - and *'],
    [`${WM0}.Text.Text`, 'ｘ', 'only Chinese characters, ASCII letters, digits, _, - and *'],
    [
      `${WM0}.Text.Text`,
      'a'.repeat(65),
      'must be 1 to 64 characters, only Chinese characters, ASCII letters, digits, _, - and *, got 65 characters',
    ],
    [`${WM0}.Text.Text`, '字'.repeat(65), 'got 65 characters'],
    [`${WM0}.Text.FontSize`, undefined, 'is required (an integer in [5, 100])'],
    [`${WM0}.Text.FontSize`, '4', 'must be an integer in [5, 100], got "4"'],
    [`${WM0}.Text.FontSize`, '101', 'must be an integer in [5, 100], got "101"'],
    [`${WM0}.Text.FontType`, undefined, 'is required (one of [simfang.ttf'],
    [
      `${WM0}.Text.FontType`,
      'Arial.ttf',
      'must be one of [simfang.ttf, simhei.ttf, simkai.ttf, simsun.ttc, STHeiti-Light.ttc, STHeiti-Medium.ttc, youyuan.TTF, ariblk.ttf, arial.ttf, ahronbd.ttf, Helvetica.dfont, HelveticaNeue.dfont], got "Arial.ttf"',
    ],
    [`${WM0}.Text.FontColor`, undefined, 'is required (a color 0xRRGGBB)'],
    [`${WM0}.Text.FontColor`, '#FF0000', 'must be a color 0xRRGGBB (6 hex digits), got "#FF0000"'],
    [`${WM0}.Text.FontColor`, '0xFFF', 'must be a color 0xRRGGBB (6 hex digits)'],
    [`${WM0}.Text.FontColor`, '0xGG0000', 'must be a color 0xRRGGBB (6 hex digits)'],
    [`${WM0}.Text.Transparency`, undefined, 'is required (an integer in [1, 100])'],
    [`${WM0}.Text.Transparency`, '0', 'must be an integer in [1, 100], got "0"'],
    [`${WM0}.Text.Transparency`, '101', 'must be an integer in [1, 100], got "101"'],
    // Watermark Image
    [`${WM1}.Image`, undefined, 'is required (an Image container, because Type is Image)'],
    [`${WM1}.Image.Url`, undefined, 'is required (the URL of the watermark image)'],
    [`${WM1}.Image.Url`, '', 'must be a non-empty URL'],
    [`${WM1}.Image.Mode`, undefined, 'is required (one of [Original, Proportion, Fixed])'],
    [`${WM1}.Image.Mode`, 'Stretch', 'must be one of [Original, Proportion, Fixed], got "Stretch"'],
    [`${WM1}.Image.Transparency`, undefined, 'is required (an integer in [1, 100])'],
    [`${WM1}.Image.Transparency`, '0', 'must be an integer in [1, 100], got "0"'],
    [`${WM1}.Image.Transparency`, '101', 'must be an integer in [1, 100], got "101"'],
    [`${WM1}.Image.Background`, 'yes', 'must be true or false, got "yes"'],
    [`${WM1}.Image.Width`, '0', 'must be a number > 0, got "0"'],
    [`${WM1}.Image.Width`, '0.99', 'must be a percentage in [1, 100] when Mode is Proportion and Background is false, got 0.99'],
    [`${WM1}.Image.Width`, '100.5', 'must be a percentage in [1, 100] when Mode is Proportion and Background is false, got 100.5'],
    [`${WM1}.Image.Height`, '101', 'must be a percentage in [1, 100] when Mode is Proportion and Background is false, got 101'],
    // SlideConfig
    [`${WM1}.SlideConfig.SlideMode`, undefined, 'is required (one of [Default, ScrollFromLeft])'],
    [`${WM1}.SlideConfig.SlideMode`, 'Up', 'must be one of [Default, ScrollFromLeft], got "Up"'],
    [`${WM1}.SlideConfig.XSlideSpeed`, '11', 'must be an integer in [0, 10], got "11"'],
    [`${WM1}.SlideConfig.XSlideSpeed`, '-1', 'must be an integer in [0, 10], got "-1"'],
    [`${WM1}.SlideConfig.YSlideSpeed`, '11', 'must be an integer in [0, 10]'],
    [`${WM1}.SlideConfig.YSlideSpeed`, '2.5', 'must be an integer in [0, 10]'],
  ])('%s = %j is rejected', (path, value, message) => {
    const err = rejection(withValues({ [path]: value }));
    expect(err.field).toBe(`Request.${path}`);
    expect(err.message).toContain(message);
  });

  // Rules that need more than one element changed: [values, reported field, what the message must say]
  it.each<[Record<string, unknown>, string, string]>([
    [{ CallBackType: 'TDMQ' }, 'CallBackMqConfig', 'is required (MqRegion, MqMode and MqName, because CallBackType is TDMQ)'],
    [{ CallBackType: 'TDMQ', CallBackMqConfig: { MqName: 'q' } }, 'CallBackMqConfig.MqRegion', 'is required (one of [sh, bj, gz, cd, hk])'],
    [
      { CallBackType: 'TDMQ', CallBackMqConfig: { MqRegion: 'gz' } },
      'CallBackMqConfig.MqName',
      'is required (the TDMQ queue or topic name)',
    ],
    [{ Input: '' }, 'Input.Object', 'is required (a non-empty object key)'],
    [{ [CT]: undefined }, 'Operation.TemplateId', 'is required (a Concat template id, unless an inline ConcatTemplate is given)'],
    [{ 'Operation.TemplateId': TEMPLATE_ID, [`${CT}.Video.Width`]: '100' }, `${CT}.Video.Width`, 'must be an even integer in [128, 4096]'],
    [
      { 'Operation.WatermarkTemplateId': [TEMPLATE_ID, TEMPLATE_ID, TEMPLATE_ID, TEMPLATE_ID] },
      'Operation.WatermarkTemplateId',
      'at most 3 WatermarkTemplateId elements are allowed, got 4',
    ],
    [
      { 'Operation.Watermark[2]': {}, 'Operation.Watermark[3]': {} },
      'Operation.Watermark',
      'at most 3 Watermark elements are allowed, got 4',
    ],
    [
      { [`${CT}.AudioMixArray[2]`]: { AudioSource: 'mix3.mp3' } },
      `${CT}.AudioMixArray`,
      'at most 2 AudioMixArray elements are allowed, got 3',
    ],
    [
      { [`${CT}.Audio.Codec`]: 'mp3', [`${CT}.Audio.Samplerate`]: '96000' },
      `${CT}.Audio.Samplerate`,
      'must be one of [11025, 22050, 32000, 44100, 48000] when Codec is mp3, got 96000',
    ],
    [
      { [`${CT}.Audio.Codec`]: 'mp3', [`${CT}.Audio.Channels`]: '4' },
      `${CT}.Audio.Channels`,
      'must be one of [1, 2] when Codec is mp3, got 4',
    ],
    [
      { [`${CT}.AudioMix.EffectConfig.EnableStartFadein`]: 'false', [`${CT}.AudioMix.EffectConfig.StartFadeinTime`]: '-0.5' },
      `${CT}.AudioMix.EffectConfig.StartFadeinTime`,
      'must be a number >= 0',
    ],
    [{ [`${CT}.ConcatFragment[0].StartTime`]: '6.5' }, `${CT}.ConcatFragment[0].EndTime`, 'must be greater than StartTime (6.5), got 6'],
    [{ [`${CT}.Index`]: '2', [`${CT}.ConcatFragment`]: [{ Url: 'a.mp4' }] }, `${CT}.Index`, 'must be an integer in [0, 1]'],
    [{ [`${WM0}.Type`]: 'Image' }, `${WM0}.Image`, 'is required (an Image container, because Type is Image)'],
    [{ [`${WM1}.Type`]: 'Text' }, `${WM1}.Text`, 'is required (a Text container, because Type is Text)'],
    [
      { [`${WM1}.Image.Background`]: 'true', [`${WM1}.Image.Width`]: '200', [`${WM1}.Dy`]: '0', [`${WM1}.Dx`]: '1' },
      `${WM1}.Dx`,
      'must be a number in [-300, 0] (LocMode Relativity, background Image), got 1',
    ],
    [
      { [`${WM1}.Image.Background`]: 'true', [`${WM1}.Image.Width`]: '200', [`${WM1}.Dx`]: '-300.5' },
      `${WM1}.Dx`,
      'must be a number in [-300, 0]',
    ],
    [
      {
        [`${WM1}.Image.Background`]: 'true',
        [`${WM1}.Image.Width`]: '200',
        [`${WM1}.Dx`]: '0',
        [`${WM1}.LocMode`]: 'Absolute',
        [`${WM1}.Dy`]: '-4097',
      },
      `${WM1}.Dy`,
      'must be a number in [-4096, 0] (LocMode Absolute, background Image), got -4097',
    ],
    [
      { [`${WM1}.Image.Background`]: 'true', [`${WM1}.Image.Width`]: '99' },
      `${WM1}.Image.Width`,
      'must be a percentage in [100, 300] when Mode is Proportion and Background is true, got 99',
    ],
    [
      { [`${WM1}.Image.Background`]: 'true', [`${WM1}.Image.Width`]: '301' },
      `${WM1}.Image.Width`,
      'must be a percentage in [100, 300] when Mode is Proportion and Background is true, got 301',
    ],
    [{ [`${WM1}.Image.Mode`]: 'Original' }, `${WM1}.Image.Width`, 'must not be set when Mode is Original, got 10'],
    [
      { [`${WM1}.Image.Mode`]: 'Original', [`${WM1}.Image.Width`]: undefined, [`${WM1}.Image.Height`]: '50' },
      `${WM1}.Image.Height`,
      'must not be set when Mode is Original',
    ],
    [
      { [`${WM1}.Image.Mode`]: 'Fixed', [`${WM1}.Image.Width`]: '7' },
      `${WM1}.Image.Width`,
      'must be an integer in [8, 4096] (pixels) when Mode is Fixed, got 7',
    ],
    [
      { [`${WM1}.Image.Mode`]: 'Fixed', [`${WM1}.Image.Width`]: '4097' },
      `${WM1}.Image.Width`,
      'must be an integer in [8, 4096] (pixels) when Mode is Fixed, got 4097',
    ],
    [
      { [`${WM1}.Image.Mode`]: 'Fixed', [`${WM1}.Image.Height`]: '100.5' },
      `${WM1}.Image.Height`,
      'must be an integer in [8, 4096] (pixels) when Mode is Fixed, got 100.5',
    ],
  ])('%j is rejected at %s', (values, field, message) => {
    const err = rejection(withValues(values));
    expect(err.field).toBe(`Request.${field}`);
    expect(err.message).toContain(message);
  });

  // The last valid value of each range (and other legal spellings) is accepted.
  it.each<[Record<string, unknown>]>([
    [{ [`${CT}.Video.Width`]: '128', [`${CT}.Video.Height`]: '4096' }],
    [{ [`${CT}.Video.Width`]: '4096', [`${CT}.Video.Height`]: '128' }],
    [{ [`${CT}.Video.Fps`]: '60' }],
    [{ [`${CT}.Video.Fps`]: '0.001' }],
    [{ [`${CT}.Video.Bitrate`]: '10' }],
    [{ [`${CT}.Video.Bitrate`]: '50000' }],
    [{ [`${CT}.Video.Bitrate`]: 'auto' }],
    [{ [`${CT}.Video.Crf`]: '51' }],
    [{ [`${CT}.Video.Crf`]: '0.5' }],
    [{ [`${CT}.Video.Rotate`]: '0' }],
    [{ [`${CT}.Video.Rotate`]: '359.99' }],
    [{ [`${CT}.Video.Profile`]: 'baseline' }],
    [{ [`${CT}.Video.Remove`]: 'TRUE' }],
    [{ [`${CT}.Audio.Bitrate`]: '8' }],
    [{ [`${CT}.Audio.Bitrate`]: '1000' }],
    [{ [`${CT}.Audio.Samplerate`]: '96000', [`${CT}.Audio.Channels`]: '8' }],
    [{ [`${CT}.Audio.Samplerate`]: '11025', [`${CT}.Audio.Channels`]: '1' }],
    [{ [`${CT}.Audio.Codec`]: 'mp3', [`${CT}.Audio.Samplerate`]: '48000', [`${CT}.Audio.Channels`]: '2' }],
    [{ [`${CT}.Audio.Remove`]: 'False' }],
    [{ [`${CT}.Index`]: '0' }],
    [{ [`${CT}.Index`]: '2' }],
    [{ [`${CT}.DirectConcat`]: 'true' }],
    [{ [`${CT}.SceneChangeInfo.Time`]: '5' }],
    [{ [`${CT}.SceneChangeInfo.Time`]: '0.01' }],
    [{ [`${CT}.SceneChangeInfo.Mode`]: 'GRADIENT' }],
    [{ [`${CT}.ConcatFragment[0].EndTime`]: '0.001' }],
    [{ [`${CT}.ConcatFragment[0].Mode`]: 'End' }],
    [{ [`${CT}.AudioMix.EffectConfig.StartFadeinTime`]: '0.001' }],
    [{ [`${CT}.AudioMix.EffectConfig.EnableStartFadein`]: 'false', [`${CT}.AudioMix.EffectConfig.StartFadeinTime`]: '0' }],
    [{ [`${CT}.AudioMix.EffectConfig.EnableStartFadein`]: 'false', [`${CT}.AudioMix.EffectConfig.StartFadeinTime`]: undefined }],
    [{ [`${WM0}.Dx`]: '0', [`${WM0}.Dy`]: '4096' }],
    [{ [`${WM1}.Dx`]: '100', [`${WM1}.Dy`]: '0' }],
    [{ [`${WM1}.Image.Background`]: 'true', [`${WM1}.Image.Width`]: '100', [`${WM1}.Dx`]: '-300', [`${WM1}.Dy`]: '0' }],
    [{ [`${WM1}.Image.Background`]: 'true', [`${WM1}.Image.Width`]: '300', [`${WM1}.Dx`]: '0', [`${WM1}.Dy`]: '-300' }],
    [
      {
        [`${WM1}.Image.Background`]: 'true',
        [`${WM1}.Image.Width`]: '150',
        [`${WM1}.LocMode`]: 'Absolute',
        [`${WM1}.Dx`]: '-4096',
        [`${WM1}.Dy`]: '0',
      },
    ],
    [{ [`${WM1}.Image.Width`]: '1', [`${WM1}.Image.Height`]: '100' }],
    [{ [`${WM1}.Image.Mode`]: 'Fixed', [`${WM1}.Image.Width`]: '8', [`${WM1}.Image.Height`]: '4096' }],
    [{ [`${WM1}.Image.Mode`]: 'Original', [`${WM1}.Image.Width`]: undefined }],
    [{ [`${WM1}.Image.Transparency`]: '1' }],
    [{ [`${WM1}.SlideConfig.XSlideSpeed`]: '10', [`${WM1}.SlideConfig.YSlideSpeed`]: '0' }],
    [{ [`${WM0}.Text.Text`]: 'a'.repeat(64) }],
    [{ [`${WM0}.Text.Text`]: '字'.repeat(64) }],
    [{ [`${WM0}.Text.FontSize`]: '5', [`${WM0}.Text.Transparency`]: '1' }],
    [{ [`${WM0}.Text.FontSize`]: '100', [`${WM0}.Text.Transparency`]: '100', [`${WM0}.Text.FontColor`]: '0xabcdef' }],
    [
      {
        'Operation.Watermark[2]': {
          Type: 'Text',
          Pos: 'Center',
          LocMode: 'Relativity',
          Dx: '0',
          Dy: '0',
          Text: { Text: 'x', FontSize: '5', FontType: 'arial.ttf', FontColor: '0x000000', Transparency: '50' },
        },
      },
    ],
    [{ 'Operation.WatermarkTemplateId': [TEMPLATE_ID, TEMPLATE_ID, TEMPLATE_ID] }],
    [{ 'Operation.UserData': '~'.repeat(1024) }],
    [{ 'Operation.UserData': '' }],
    [{ 'Operation.JobLevel': '2' }],
    [{ 'Operation.JobLevel': '0' }],
    [{ CallBack: 'no' }],
    [{ CallBack: 'http://callback.demo.com' }],
    [{ CallBack: 'https://cb.example.com:8443/hook?x=1' }],
    [{ CallBackType: 'TDMQ', CallBackMqConfig: { MqRegion: 'hk', MqMode: 'Topic', MqName: 'topic-1' } }],
    [{ CallBackFormat: 'JSON' }],
    [{ Input: undefined, QueueId: undefined, CallBack: undefined, CallBackFormat: undefined, CallBackType: undefined }],
  ])('accepts %j', (values) => {
    expect(() => parseConcatJobRequest(withValues(values))).not.toThrow();
  });

  it('applies the documented defaults to the typed model', () => {
    const req = parseConcatJobRequest(
      withValues({
        'Operation.JobLevel': undefined,
        [`${CT}.Audio.Remove`]: undefined,
        [`${CT}.DirectConcat`]: undefined,
        [`${CT}.SceneChangeInfo.Time`]: undefined,
        CallBackType: 'TDMQ',
        CallBackMqConfig: { MqRegion: 'sh', MqName: 'q1' },
      }),
    );
    const t = req.operation.concatTemplate!;
    expect(req.operation.jobLevel).toBe(0);
    expect(t.audio?.remove).toBe(false);
    expect(t.directConcat).toBe(false);
    expect(t.sceneChangeInfo?.time).toBe(3);
    expect(t.audioMixArray[0]).toEqual({ audioSource: 'mix1.mp3', mixMode: 'Repeat', replace: false });
    expect(req.operation.watermarks[1]?.slideConfig).toMatchObject({ xSlideSpeed: 3, ySlideSpeed: 0 });
    expect(req.callBackMqConfig).toEqual({ mqRegion: 'sh', mqMode: 'Queue', mqName: 'q1' });
  });

  it('uses TemplateId over ConcatTemplate when both are given, after validating the ConcatTemplate', () => {
    const op = parseConcatJobRequest(withValues({ 'Operation.TemplateId': TEMPLATE_ID })).operation;
    expect(op.templateId).toBe(TEMPLATE_ID);
    expect(op.concatTemplate).toBeUndefined();
  });

  it('refuses a Request that is not a container', () => {
    expect(rejection('Concat').field).toBe('Request');
    expect(rejection(['a', 'b']).message).toContain('must appear exactly once, got 2 repeated elements');
  });

  it('refuses a repeated element where one is expected', () => {
    const err = rejection(withValues({ [`${CT}.Video.Width`]: ['1280', '720'] }));
    expect(err.field).toBe('Request.Operation.ConcatTemplate.Video.Width');
    expect(err.message).toContain('must appear exactly once, got 2 repeated elements');
    expect(rejection(withValues({ [`${CT}.Video`]: [{ Codec: 'H.264' }, { Codec: 'H.264' }] })).field).toBe(
      'Request.Operation.ConcatTemplate.Video',
    );
  });

  it('refuses a container where a value is expected, and a value where a container is expected', () => {
    expect(rejection(withValues({ [`${CT}.Video.Codec`]: { Name: 'H.264' } })).message).toContain(
      'must be one of [H.264], got a container element',
    );
    expect(rejection(withValues({ [`${CT}.Audio`]: 'aac' })).message).toContain(
      'Request.Operation.ConcatTemplate.Audio: must be a container element, got "aac"',
    );
  });

  it('reports the first violation in document order', () => {
    const values = { [`${CT}.Video.Width`]: '1281', 'Operation.Output.Region': '' };
    expect(rejection(withValues(values)).field).toBe('Request.Operation.ConcatTemplate.Video.Width');
    // The same two mistakes, with Output written before ConcatTemplate.
    const tree = withValues(values);
    const { Output, ...rest } = tree.Operation as Tree;
    tree.Operation = { Output, ...rest };
    expect(rejection(tree).field).toBe('Request.Operation.Output.Region');
  });

  it('ignores unknown elements at every level', () => {
    const req = parseConcatJobRequest(
      withValues({
        Foo: 'bar',
        'Operation.Bar': { Baz: '1' },
        [`${CT}.Video.Gop`]: 'not-a-number',
        [`${CT}.ConcatFragment[0].Duration`]: 'x',
        [`${WM0}.Text.Shadow`]: 'yes',
        constructor: 'x',
        toString: 'y',
      }),
    );
    expect(req.operation.concatTemplate?.video).not.toHaveProperty('gop');
  });
});

// ---- Numbers, booleans and arrays as the tree may carry them --------------------------------------------

describe('value spellings', () => {
  it('accepts numbers sent as JS numbers', () => {
    const req = parseConcatJobRequest(
      withValues({
        'Operation.JobLevel': 2,
        [`${CT}.Video.Width`]: 1920,
        [`${CT}.Video.Fps`]: 29.97,
        [`${CT}.Video.Bitrate`]: 2500,
        [`${CT}.Audio.Samplerate`]: 48000,
        [`${CT}.Index`]: 0,
      }),
    );
    expect(req.operation.jobLevel).toBe(2);
    expect(req.operation.concatTemplate?.video).toMatchObject({ width: 1920, fps: 29.97, bitrate: 2500 });
    expect(req.operation.concatTemplate?.audio?.samplerate).toBe(48000);
    expect(req.operation.concatTemplate?.index).toBe(0);
  });

  it('parses JobLevel 2 from a tree where it is a number', () => {
    const tree = parseRequestXml(SEED_REQUEST_1);
    (tree.Operation as Tree).JobLevel = 2;
    expect(parseConcatJobRequest(tree).operation.jobLevel).toBe(2);
  });

  it('accepts booleans in any case and as JS booleans', () => {
    const t = parseConcatJobRequest(
      withValues({ [`${CT}.DirectConcat`]: 'True', [`${CT}.Audio.Remove`]: true, [`${CT}.Video.Remove`]: 'FALSE' }),
    ).operation.concatTemplate!;
    expect([t.directConcat, t.audio?.remove, t.video?.remove]).toEqual([true, true, false]);
  });

  it('reports a number sent as a number without quotes', () => {
    expect(rejection(withValues({ [`${CT}.Video.Width`]: 1281 })).message).toContain('must be an even integer in [128, 4096], got 1281');
    expect(rejection(withValues({ 'Operation.JobLevel': 3 })).message).toContain('must be one of [0, 1, 2], got 3');
  });

  it.each<[string, unknown]>([
    ['empty', ''],
    ['blank', '  '],
    ['hex', '0x500'],
    ['trailing junk', '1280px'],
    ['exponent', '1.28e3'],
    ['NaN text', 'NaN'],
    ['Infinity text', 'Infinity'],
    ['inner space', '12 80'],
    ['plus sign', '+1280'],
    ['decimal integer', '1280.0'],
    ['NaN number', Number.NaN],
    ['Infinity number', Number.POSITIVE_INFINITY],
    ['fractional number', 1280.5],
    ['boolean', true],
    ['container', { Value: '1280' }],
  ])('refuses an integer written as %s', (_label, value) => {
    const err = rejection(withValues({ [`${CT}.Video.Width`]: value }));
    expect(err.field).toBe('Request.Operation.ConcatTemplate.Video.Width');
    expect(err.message).toContain('must be an even integer in [128, 4096], got ');
  });

  it.each<[string, unknown]>([
    ['empty', ''],
    ['hex', '0x1E'],
    ['trailing junk', '30fps'],
    ['lone dot', '.'],
    ['trailing dot', '30.'],
    ['comma decimal', '29,97'],
    ['exponent', '3e1'],
    ['NaN number', Number.NaN],
  ])('refuses a decimal number written as %s', (_label, value) => {
    const err = rejection(withValues({ [`${CT}.Video.Fps`]: value }));
    expect(err.field).toBe('Request.Operation.ConcatTemplate.Video.Fps');
    expect(err.message).toContain('must be a number in (0, 60], got ');
  });

  it('accepts decimal spellings: leading dot, leading zeros and surrounding spaces', () => {
    const v = parseConcatJobRequest(withValues({ [`${CT}.Video.Fps`]: '.5', [`${CT}.Video.Width`]: '0640', [`${CT}.Video.Crf`]: ' 23.5 ' }))
      .operation.concatTemplate?.video;
    expect(v).toMatchObject({ fps: 0.5, width: 640, crf: 23.5 });
  });

  it('accepts single objects where arrays are expected, and numbers the items from 0', () => {
    const req = parseConcatJobRequest(
      withValues({
        [`${CT}.ConcatFragment`]: { Url: 'only.mp4' },
        [`${CT}.Index`]: '1',
        [`${CT}.AudioMixArray`]: { AudioSource: 'mix.mp3' },
        'Operation.WatermarkTemplateId': TEMPLATE_ID,
        'Operation.Watermark': (base().Operation as { Watermark: unknown[] }).Watermark[0],
      }),
    );
    const t = req.operation.concatTemplate!;
    expect(t.fragments).toEqual([{ url: 'only.mp4' }]);
    expect(t.audioMixArray).toEqual([{ audioSource: 'mix.mp3', mixMode: 'Repeat', replace: false }]);
    expect(req.operation.watermarkTemplateIds).toEqual([TEMPLATE_ID]);
    expect(req.operation.watermarks).toHaveLength(1);

    expect(rejection(withValues({ [`${CT}.ConcatFragment`]: { Url: '' } })).field).toBe(
      'Request.Operation.ConcatTemplate.ConcatFragment[0].Url',
    );
    expect(rejection(withValues({ 'Operation.WatermarkTemplateId': 'nope' })).field).toBe('Request.Operation.WatermarkTemplateId[0]');
    expect(rejection(withValues({ 'Operation.Watermark': { Type: 'Text' } })).field).toBe('Request.Operation.Watermark[0].Pos');
    expect(rejection(withValues({ [`${CT}.AudioMixArray`]: { MixMode: 'Once' } })).field).toBe(
      'Request.Operation.ConcatTemplate.AudioMixArray[0].AudioSource',
    );
  });

  it('reads an empty element <X/> as an empty container', () => {
    const tree = parseRequestXml(SEED_REQUEST_3.replace('<Container>\n<Format>mp4</Format>\n</Container>', '<Container/>'));
    expect(rejection(tree).field).toBe('Request.Operation.ConcatTemplate.Container.Format');
  });
});

// ---- Fragment order -------------------------------------------------------------------------------------

describe('fragment order', () => {
  it('sorts by FragmentIndex when any is given (missing = 0, stable for ties)', () => {
    const t = parseConcatJobRequest(
      withValues({
        [`${CT}.Index`]: undefined,
        [`${CT}.ConcatFragment`]: [
          { Url: 'c.mp4', FragmentIndex: '2' },
          { Url: 'a1.mp4', FragmentIndex: '0' },
          { Url: 'a2.mp4' },
          { Url: 'b.mp4', FragmentIndex: 1 },
          { Url: 'a3.mp4', FragmentIndex: '0' },
        ],
      }),
    ).operation.concatTemplate!;
    expect(t.fragments.map((f) => f.url)).toEqual(['a1.mp4', 'a2.mp4', 'a3.mp4', 'b.mp4', 'c.mp4']);
  });

  it('keeps document order when no FragmentIndex is given', () => {
    const t = parseConcatJobRequest(withValues({ [`${CT}.ConcatFragment`]: [{ Url: 'z.mp4' }, { Url: 'a.mp4' }, { Url: 'm.mp4' }] }))
      .operation.concatTemplate!;
    expect(t.fragments.map((f) => f.url)).toEqual(['z.mp4', 'a.mp4', 'm.mp4']);
  });
});

// ---- Echo -----------------------------------------------------------------------------------------------

describe('echo', () => {
  it('writes the Operation in the documented element order', () => {
    const echo = operationToXml(parseConcatJobRequest(base()).operation);
    expect(Object.keys(echo)).toEqual(['ConcatTemplate', 'WatermarkTemplateId', 'Watermark', 'Output', 'UserData', 'JobLevel']);
    expect(Object.keys(echo.ConcatTemplate as Tree)).toEqual([
      'ConcatFragment',
      'Audio',
      'Video',
      'Container',
      'AudioMix',
      'AudioMixArray',
      'Index',
      'SceneChangeInfo',
      'DirectConcat',
    ]);
    expect(echo.WatermarkTemplateId).toEqual([TEMPLATE_ID]);
    expect(echo.UserData).toBe('This is my data.');
    expect(echo.JobLevel).toBe('1');
  });

  it('echoes everything that was sent, with numbers as String(n) and without FragmentIndex', () => {
    const t = operationToXml(parseConcatJobRequest(base()).operation).ConcatTemplate as Tree;
    expect(t.ConcatFragment).toEqual([{ Url: 'start.mp4', Mode: 'Start', StartTime: '0', EndTime: '6' }, { Url: 'end.mp4' }]);
    expect(t.Audio).toEqual({ Codec: 'aac', Samplerate: '44100', Bitrate: '128', Channels: '2', Remove: 'false' });
    expect(t.Video).toEqual({
      Codec: 'H.264',
      Bitrate: '1000',
      Width: '1280',
      Height: '720',
      Fps: '30',
      Crf: '25',
      Remove: 'false',
      Profile: 'high',
      Rotate: '90',
    });
    expect(t.AudioMix).toEqual({
      AudioSource: 'bgm.mp3',
      MixMode: 'Once',
      Replace: 'true',
      EffectConfig: {
        EnableStartFadein: 'true',
        StartFadeinTime: '3',
        EnableEndFadeout: 'true',
        EndFadeoutTime: '2',
        EnableBgmFade: 'true',
        BgmFadeTime: '1.7',
      },
    });
    expect(t.AudioMixArray).toEqual([{ AudioSource: 'mix1.mp3' }, { AudioSource: 'mix2.mp3', MixMode: 'Repeat' }]);
    expect(t.Index).toBe('1');
    expect(t.SceneChangeInfo).toEqual({ Mode: 'FADE', Time: '2.5' });
    expect(t.DirectConcat).toBe('false');
  });

  it('does not invent defaults the request did not send', () => {
    const op = parseConcatJobRequest(
      withValues({
        [`${CT}.Audio`]: { Codec: 'aac' },
        [`${CT}.Video`]: { Codec: 'H.264' },
        [`${CT}.AudioMix`]: { AudioSource: 'bgm.mp3', EffectConfig: { EnableBgmFade: 'true', BgmFadeTime: '2' } },
        [`${CT}.SceneChangeInfo`]: { Mode: 'Default' },
        [`${CT}.DirectConcat`]: undefined,
        [`${CT}.Index`]: undefined,
        'Operation.JobLevel': undefined,
        'Operation.UserData': undefined,
        'Operation.WatermarkTemplateId': undefined,
        'Operation.Watermark': undefined,
      }),
    ).operation;
    const echo = operationToXml(op);
    expect(Object.keys(echo)).toEqual(['ConcatTemplate', 'Output', 'JobLevel']);
    expect(echo.JobLevel).toBe('0');
    const t = echo.ConcatTemplate as Tree;
    expect(t.Audio).toEqual({ Codec: 'aac' });
    expect(t.Video).toEqual({ Codec: 'H.264' });
    expect(t.AudioMix).toEqual({ AudioSource: 'bgm.mp3', EffectConfig: { EnableBgmFade: 'true', BgmFadeTime: '2' } });
    expect(t.SceneChangeInfo).toEqual({ Mode: 'Default' });
    expect(t).not.toHaveProperty('DirectConcat');
    expect(t).not.toHaveProperty('Index');
  });

  it('echoes a non-default value even when the model does not say it was given', () => {
    const t: ConcatTemplate = {
      fragments: [{ url: 'a.mp4', fragmentIndex: 3 }],
      audio: { codec: 'mp3', remove: true },
      container: { format: 'mp3' },
      audioMixArray: [{ audioSource: 'm.mp3', mixMode: 'Once', replace: true }],
      sceneChangeInfo: { mode: 'GRADIENT', time: 1 },
      directConcat: true,
      index: 1,
    };
    expect(concatTemplateToXml(t)).toEqual({
      ConcatFragment: [{ Url: 'a.mp4' }],
      Audio: { Codec: 'mp3', Remove: 'true' },
      Container: { Format: 'mp3' },
      AudioMixArray: [{ AudioSource: 'm.mp3', MixMode: 'Once', Replace: 'true' }],
      SceneChangeInfo: { Mode: 'GRADIENT', Time: '1' },
      DirectConcat: 'true',
    });
    expect(concatTemplateToXml(t, { forJob: true }).Index).toBe('1');
  });

  it('echoes watermarks in the documented element order', () => {
    const [text, image] = parseConcatJobRequest(base()).operation.watermarks;
    expect(watermarkToXml(text!)).toEqual({
      Type: 'Text',
      Pos: 'TopLeft',
      LocMode: 'Absolute',
      Dx: '10',
      Dy: '20',
      StartTime: '0',
      EndTime: '5',
      Text: { Text: '水印_Ab-1*', FontSize: '20', FontType: 'simfang.ttf', FontColor: '0xFF00aa', Transparency: '80' },
    });
    const echo = watermarkToXml(image!);
    expect(Object.keys(echo)).toEqual(['Type', 'Pos', 'LocMode', 'Dx', 'Dy', 'SlideConfig', 'Image']);
    expect(echo.SlideConfig).toEqual({ SlideMode: 'ScrollFromLeft', XSlideSpeed: '3', YSlideSpeed: '0' });
    expect(echo.Image).toEqual({ Url: 'logo.png', Mode: 'Proportion', Width: '10', Transparency: '100', Background: 'false' });
    expect(
      watermarkToXml({ ...image!, slideConfig: undefined, image: { url: 'l.png', mode: 'Original', transparency: 50, background: false } })
        .Image,
    ).toEqual({ Url: 'l.png', Mode: 'Original', Transparency: '50' });
  });

  it('round-trips: the echo, sent again as a request, parses to the same operation', () => {
    const first = parseConcatJobRequest(
      withValues({ [`${CT}.ConcatFragment[0].FragmentIndex`]: undefined, [`${CT}.ConcatFragment[1].FragmentIndex`]: undefined }),
    ).operation;
    const xml = buildXml('Request', { Tag: 'Concat', Operation: operationToXml(first) });
    const again = parseConcatJobRequest(parseRequestXml(xml)).operation;
    expect(again).toEqual(first);
  });
});
