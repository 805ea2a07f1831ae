// planConcat / checkStreamCopy / limits over frozen ffprobe fixtures: every decision of a job as a value.
import { describe, expect, it } from 'vitest';
import type { AudioMix, ConcatTemplate, EffectConfig } from '../../src/domain/concat-types.js';
import {
  checkStreamCopy,
  frameRateOf,
  jobTimeoutMs,
  planConcat,
  progressPercent,
  summarizePlan,
  type EncodePlan,
  type PlanBgmSource,
  type PlanSource,
} from '../../src/media/plan.js';
import { normalizeProbe, type MediaProbe } from '../../src/media/probe.js';
import { loadProbeFixture, type ProbeFixture } from '../helpers/media.js';
import { planError } from '../helpers/plan-error.js';

const probe = (name: ProbeFixture): MediaProbe => normalizeProbe(loadProbeFixture(name));
const LAND = probe('landscape-1280x720-30fps-aac');
const PORT = probe('portrait-720x1280-25fps-aac');
const MUTE = probe('video-640x360-30fps-noaudio');
const ODD = probe('odd-641x360-24fps-yuv444p');
const MUSIC = probe('music-44100-stereo-mp3');
const ROT = probe('rotated-1280x720-rot90-aac');

function src(label: string, p: MediaProbe, extra: Partial<PlanSource> = {}): PlanSource {
  return { path: `/in/${label}`, label, probe: p, ...extra };
}

function bgmFile(label: string, p: MediaProbe = MUSIC): PlanBgmSource {
  return { path: `/in/${label}`, label, probe: p };
}

function tpl(over: Partial<ConcatTemplate> = {}): ConcatTemplate {
  return { fragments: [], container: { format: 'mp4' }, audioMixArray: [], directConcat: false, ...over };
}

function encode(
  sources: PlanSource[],
  template: ConcatTemplate = tpl(),
  bgm: PlanBgmSource[] = [],
  outputPath = '/out/out.mp4',
): EncodePlan {
  const plan = planConcat({ sources, template, bgm, outputPath });
  if (plan.kind !== 'encode') throw new Error('expected an encode plan');
  return plan;
}

function mix(over: Partial<AudioMix> = {}): AudioMix {
  return { audioSource: 'bgm.mp3', mixMode: 'Repeat', replace: false, ...over };
}

const NO_EFFECTS: EffectConfig = { enableStartFadein: false, enableEndFadeout: false, enableBgmFade: false };

const plainSegment = { scale: false, pad: false, changeFps: false, resample: false };

describe('planConcat: encode', () => {
  it('two same-size inputs: nothing to normalise, output follows the source', () => {
    expect(planConcat({ sources: [src('a.mp4', LAND), src('b.mp4', LAND)], template: tpl(), bgm: [], outputPath: '/out/out.mp4' })).toEqual(
      {
        path: 'encode',
        reason: 'automatic stream copy is off (AUTO_COPY)',
        kind: 'encode',
        outputPath: '/out/out.mp4',
        workDir: '/out',
        durationSec: 20,
        container: { format: 'mp4', muxer: 'mp4', faststart: true },
        segments: [
          { path: '/in/a.mp4', label: 'a.mp4', durationSec: 10, video: 'source', audio: 'source', ...plainSegment },
          { path: '/in/b.mp4', label: 'b.mp4', durationSec: 10, video: 'source', audio: 'source', ...plainSegment },
        ],
        video: {
          encoder: 'libx264',
          profile: 'high',
          rate: { mode: 'crf', crf: 25 },
          width: 1280,
          height: 720,
          fps: 30,
          frameRate: '30',
          pixFmt: 'yuv420p',
          rotate: 0,
        },
        audio: { codec: 'aac', encoder: 'aac', sampleRate: 48000, channels: 2, channelLayout: 'stereo', bitrateKbps: 128 },
      },
    );
  });

  it('mixed sizes, portrait first, fps change and a fragment without audio', () => {
    const plan = encode([src('p.mp4', PORT), src('l.mp4', LAND), src('m.mp4', MUTE)]);
    expect([plan.video?.width, plan.video?.height, plan.video?.frameRate, plan.durationSec]).toEqual([720, 1280, '25', 23]);
    expect(plan.audio).toEqual({ codec: 'aac', encoder: 'aac', sampleRate: 44100, channels: 1, channelLayout: 'mono', bitrateKbps: 64 });
    expect(
      plan.segments.map(({ label, video, audio, scale, pad, changeFps, resample }) => ({
        label,
        video,
        audio,
        scale,
        pad,
        changeFps,
        resample,
      })),
    ).toEqual([
      { label: 'p.mp4', video: 'source', audio: 'source', scale: false, pad: false, changeFps: false, resample: false },
      { label: 'l.mp4', video: 'source', audio: 'source', scale: true, pad: true, changeFps: true, resample: true },
      { label: 'm.mp4', video: 'source', audio: 'silence', scale: true, pad: true, changeFps: true, resample: false },
    ]);
  });

  it('output size: Width/Height, one of them (aspect of the first video, even), none (first source made even)', () => {
    const size = (p: MediaProbe, w?: number, h?: number, rotate?: number) => {
      const v = encode(
        [src('a.mp4', p)],
        tpl({
          video: { codec: 'H.264', remove: false, ...(w ? { width: w } : {}), ...(h ? { height: h } : {}), ...(rotate ? { rotate } : {}) },
        }),
      ).video!;
      return `${v.width}x${v.height}`;
    };
    expect(size(LAND, 1920, 1080)).toBe('1920x1080');
    expect(size(LAND, 640)).toBe('640x360');
    expect(size(LAND, undefined, 480)).toBe('854x480');
    expect(size(ODD)).toBe('640x360');
    expect(size(ODD, 320)).toBe('320x180');
    expect(size(ROT)).toBe('720x1280');
    expect(size(LAND, undefined, undefined, 90)).toBe('720x1280');
    expect(size(LAND, undefined, undefined, 180)).toBe('1280x720');
    // Black frames pad the odd source into the even frame.
    expect(encode([src('a.mp4', ODD)]).segments[0]).toMatchObject({ scale: true, pad: true });
  });

  it('fps: Video.Fps wins; NTSC rates stay exact rationals', () => {
    expect(encode([src('a.mp4', LAND)], tpl({ video: { codec: 'H.264', fps: 29.97, remove: false } })).video).toMatchObject({
      fps: 29.97,
      frameRate: '30000/1001',
    });
    expect([frameRateOf(25), frameRateOf(30000 / 1001), frameRateOf(23.976), frameRateOf(12.5), frameRateOf(59.94)]).toEqual([
      '25',
      '30000/1001',
      '24000/1001',
      '12.5',
      '60000/1001',
    ]);
  });

  it('video rate control: Crf wins over Bitrate; Bitrate alone; neither (or auto) is CRF 25', () => {
    const rate = (over: object) => encode([src('a.mp4', LAND)], tpl({ video: { codec: 'H.264', remove: false, ...over } })).video!;
    expect(rate({ crf: 18, bitrate: 3000 }).rate).toEqual({ mode: 'crf', crf: 18 });
    expect(rate({ bitrate: 3000 }).rate).toEqual({ mode: 'bitrate', kbps: 3000 });
    expect(rate({ bitrate: 'auto' }).rate).toEqual({ mode: 'crf', crf: 25 });
    expect(rate({ profile: 'baseline' }).profile).toBe('baseline');
  });

  it('trims: validated against the real duration, EndTime past the end is clamped', () => {
    const plan = encode([
      src('a.mp4', LAND, { startTime: 2, endTime: 5 }),
      src('b.mp4', LAND, { startTime: 1, endTime: 99 }),
      src('c.mp4', LAND, { startTime: 0, endTime: 10 }),
      src('d.mp4', MUTE, { endTime: 2.5 }),
    ]);
    expect(plan.segments.map((s) => [s.trim, s.durationSec])).toEqual([
      [{ startSec: 2, durationSec: 3 }, 3],
      [{ startSec: 1, durationSec: 9, toEnd: true }, 9],
      [undefined, 10],
      [{ startSec: 0, durationSec: 2.5 }, 2.5],
    ]);
    expect(plan.durationSec).toBe(24.5);
  });

  it('a StartTime at or after the clip end is an InvalidArgument naming the fragment and its real duration', () => {
    const atEnd = planError(() => encode([src('a.mp4', LAND), src('intro.mp4', LAND, { startTime: 10 })]));
    expect([atEnd.code, atEnd.message]).toEqual([
      'InvalidArgument',
      'fragment "intro.mp4": StartTime 10 s is at or after the end of the clip (real duration 10 s)',
    ]);
    expect(planError(() => encode([src('song.mp3', MUSIC, { startTime: 12.5 })])).message).toBe(
      'fragment "song.mp3": StartTime 12.5 s is at or after the end of the clip (real duration 6.034 s)',
    );
    expect(planError(() => encode([src('a.mp4', LAND, { startTime: 4, endTime: 3 })])).message).toBe(
      'fragment "a.mp4": EndTime 3 s is not after StartTime 4 s',
    );
  });

  it('Audio.Remove / Video.Remove drop the stream; audio-only containers have no video', () => {
    const noAudio = encode([src('a.mp4', LAND), src('b.mp4', PORT)], tpl({ audio: { codec: 'aac', remove: true } }));
    expect([noAudio.audio, noAudio.segments.map((s) => s.audio)]).toEqual([undefined, ['none', 'none']]);
    const noVideo = encode([src('a.mp4', LAND), src('m.mp4', MUTE)], tpl({ video: { codec: 'H.264', remove: true } }));
    expect([noVideo.video, noVideo.segments.map((s) => [s.video, s.audio])]).toEqual([
      undefined,
      [
        ['none', 'source'],
        ['none', 'silence'],
      ],
    ]);
    expect(encode([src('a.mp4', LAND)], tpl({ container: { format: 'mp3' } }), [], '/out/a.mp3').video).toBeUndefined();
    const both = planError(() =>
      encode([src('a.mp4', LAND)], tpl({ audio: { codec: 'aac', remove: true }, video: { codec: 'H.264', remove: true } })),
    );
    expect([both.code, both.message]).toEqual(['InvalidArgument', 'the output would have neither a video nor an audio stream']);
    expect(planError(() => encode([src('m.mp4', MUTE)], tpl({ container: { format: 'aac' } }))).code).toBe('InvalidArgument');
  });

  it('fragments without any audio and no background audio give a video-only output', () => {
    const plan = encode([src('m.mp4', MUTE), src('n.mp4', MUTE)]);
    expect([plan.audio, plan.segments.map((s) => s.audio)]).toEqual([undefined, ['none', 'none']]);
  });

  it('audio encoder: container decides for mp3/aac, else Audio.Codec, else the source codec if aac/mp3, else aac', () => {
    const audio = (p: MediaProbe, over: Partial<ConcatTemplate> = {}) => encode([src('a', p)], tpl(over)).audio;
    expect(audio(LAND, { container: { format: 'mp3' } })).toEqual({
      codec: 'mp3',
      encoder: 'libmp3lame',
      sampleRate: 48000,
      channels: 2,
      channelLayout: 'stereo',
      bitrateKbps: 128,
    });
    expect(audio(LAND, { container: { format: 'aac' } })).toMatchObject({ codec: 'aac', encoder: 'aac' });
    expect(audio(MUSIC)).toEqual({
      codec: 'mp3',
      encoder: 'libmp3lame',
      sampleRate: 44100,
      channels: 2,
      channelLayout: 'stereo',
      bitrateKbps: 128,
    });
    const opus = { ...LAND, audio: { ...LAND.audio!, codec: 'opus', sampleRate: 96000, channels: 6, bitrateKbps: 510 } };
    expect(audio(opus)).toEqual({ codec: 'aac', encoder: 'aac', sampleRate: 96000, channels: 6, channelLayout: '5.1' });
    // mp3 cannot do 96 kHz or 6 channels: a source's values are brought into range...
    expect(audio(opus, { audio: { codec: 'mp3', remove: false } })).toEqual({
      codec: 'mp3',
      encoder: 'libmp3lame',
      sampleRate: 48000,
      channels: 2,
      channelLayout: 'stereo',
    });
    // ...explicit ones are refused.
    expect(planError(() => audio(LAND, { audio: { codec: 'mp3', samplerate: 96000, remove: false } })).message).toBe(
      'Audio Samplerate 96000 is not supported by mp3',
    );
    expect(planError(() => audio(LAND, { audio: { codec: 'mp3', channels: 6, remove: false } })).message).toBe(
      'Audio Channels 6 is not supported by mp3',
    );
    expect(planError(() => audio(LAND, { container: { format: 'mp3' }, audio: { codec: 'aac', remove: false } })).message).toBe(
      'Container mp3 needs Audio Codec mp3, got aac',
    );
    expect(audio(LAND, { audio: { codec: 'mp3', samplerate: 22050, channels: 1, bitrate: 64, remove: false } })).toEqual({
      codec: 'mp3',
      encoder: 'libmp3lame',
      sampleRate: 22050,
      channels: 1,
      channelLayout: 'mono',
      bitrateKbps: 64,
    });
  });

  it('containers: muxer, faststart for mp4, hls segments next to the playlist', () => {
    const container = (format: ConcatTemplate['container']['format'], out: string) =>
      encode([src('a.mp4', LAND)], tpl({ container: { format } }), [], out).container;
    expect(container('flv', '/out/o.flv')).toEqual({ format: 'flv', muxer: 'flv', faststart: false });
    expect(container('ts', '/out/o.ts')).toEqual({ format: 'ts', muxer: 'mpegts', faststart: false });
    expect(container('aac', '/out/o.aac')).toEqual({ format: 'aac', muxer: 'adts', faststart: false });
    expect(container('mp3', '/out/o.mp3')).toEqual({ format: 'mp3', muxer: 'mp3', faststart: false });
    expect(container('hls', '/out/hls/play.m3u8')).toEqual({
      format: 'hls',
      muxer: 'hls',
      faststart: false,
      hls: { segmentSec: 10, segmentPattern: '/out/hls/play-%05d.ts' },
    });
    expect(container('hls', '/out/100%.m3u8').hls?.segmentPattern).toBe('/out/100%%-%05d.ts');
    expect(encode([src('a.mp4', LAND)], tpl({ container: { format: 'hls' } }), [], '/out/p.m3u8').video?.keyframeEverySec).toBe(10);
  });
});

describe('planConcat: background audio', () => {
  it('Once: plays once, mixed under the fragments', () => {
    const plan = encode([src('a.mp4', LAND), src('b.mp4', LAND)], tpl({ audioMix: mix({ mixMode: 'Once' }) }), [bgmFile('bgm.mp3')]);
    expect(plan.bgm).toEqual({ tracks: [{ path: '/in/bgm.mp3', label: 'bgm.mp3', durationSec: 6.034286, loop: false }], replace: false });
    expect(plan.segments.map((s) => s.audio)).toEqual(['source', 'source']);
  });

  it("Repeat loops; Replace drops the fragments' audio", () => {
    const plan = encode([src('a.mp4', LAND), src('m.mp4', MUTE)], tpl({ audioMix: mix({ mixMode: 'Repeat', replace: true }) }), [
      bgmFile('bgm.mp3'),
    ]);
    expect(plan.bgm).toEqual({ tracks: [{ path: '/in/bgm.mp3', label: 'bgm.mp3', durationSec: 6.034286, loop: true }], replace: true });
    expect(plan.segments.map((s) => s.audio)).toEqual(['none', 'none']);
    expect(plan.audio).toMatchObject({ codec: 'aac', sampleRate: 48000 });
  });

  it('fades: in from 0; out ending at the output end, or at the end of a once-played track', () => {
    const effects: EffectConfig = { ...NO_EFFECTS, enableStartFadein: true, startFadeinTime: 2, enableEndFadeout: true, endFadeoutTime: 3 };
    const repeat = encode([src('a.mp4', LAND), src('b.mp4', LAND)], tpl({ audioMix: mix({ effectConfig: effects }) }), [
      bgmFile('bgm.mp3'),
    ]);
    expect([repeat.bgm?.fadeInSec, repeat.bgm?.fadeOut]).toEqual([2, { startSec: 17, durationSec: 3 }]);
    const once = encode([src('a.mp4', LAND), src('b.mp4', LAND)], tpl({ audioMix: mix({ mixMode: 'Once', effectConfig: effects }) }), [
      bgmFile('bgm.mp3'),
    ]);
    expect(once.bgm?.fadeOut).toEqual({ startSec: 3.034286, durationSec: 3 });
    const disabled = encode([src('a.mp4', LAND)], tpl({ audioMix: mix({ effectConfig: { ...NO_EFFECTS, startFadeinTime: 2 } }) }), [
      bgmFile('bgm.mp3'),
    ]);
    expect(disabled.bgm).not.toHaveProperty('fadeInSec');
  });

  it('AudioMix wins over AudioMixArray', () => {
    const plan = encode([src('a.mp4', LAND)], tpl({ audioMix: mix({ mixMode: 'Once' }), audioMixArray: [mix(), mix()] }), [
      bgmFile('one.mp3'),
    ]);
    expect(plan.bgm?.tracks.map((t) => t.label)).toEqual(['one.mp3']);
  });

  it('two AudioMixArray items play in sequence: only the last may loop; BgmFade crossfades the switch', () => {
    const first = mix({ mixMode: 'Repeat', effectConfig: { ...NO_EFFECTS, enableStartFadein: true, startFadeinTime: 1 } });
    const second = mix({
      mixMode: 'Repeat',
      effectConfig: { ...NO_EFFECTS, enableBgmFade: true, bgmFadeTime: 2, enableEndFadeout: true, endFadeoutTime: 1.5 },
    });
    const plan = encode([src('a.mp4', LAND), src('b.mp4', LAND)], tpl({ audioMixArray: [first, second] }), [
      bgmFile('one.mp3'),
      bgmFile('two.mp3'),
    ]);
    expect(plan.bgm).toEqual({
      tracks: [
        { path: '/in/one.mp3', label: 'one.mp3', durationSec: 6.034286, loop: false },
        { path: '/in/two.mp3', label: 'two.mp3', durationSec: 6.034286, loop: true },
      ],
      replace: false,
      crossfadeSec: 2,
      fadeInSec: 1,
      fadeOut: { startSec: 18.5, durationSec: 1.5 },
    });
    // Both once: the background ends after 6.03 + 6.03 - 2 s; a crossfade longer than a track is cut to it.
    const once = encode(
      [src('a.mp4', LAND), src('b.mp4', LAND)],
      tpl({
        audioMixArray: [
          mix({ mixMode: 'Once' }),
          mix({ mixMode: 'Once', replace: true, effectConfig: { ...second.effectConfig!, bgmFadeTime: 9 } }),
        ],
      }),
      [bgmFile('one.mp3'), bgmFile('two.mp3')],
    );
    expect([once.bgm?.crossfadeSec, once.bgm?.fadeOut, once.bgm?.replace]).toEqual([
      6.034286,
      { startSec: 4.534286, durationSec: 1.5 },
      true,
    ]);
  });

  it('is ignored when Audio.Remove; refused when the files do not match the items or have no audio', () => {
    expect(
      encode([src('a.mp4', LAND)], tpl({ audio: { codec: 'aac', remove: true }, audioMix: mix() }), [bgmFile('bgm.mp3')]).bgm,
    ).toBeUndefined();
    expect(planError(() => encode([src('a.mp4', LAND)], tpl({ audioMix: mix() }), [])).message).toBe(
      'expected 1 background audio file(s) for AudioMix, got 0',
    );
    const silent = planError(() => encode([src('a.mp4', LAND)], tpl({ audioMix: mix() }), [bgmFile('clip.mp4', MUTE)]));
    expect([silent.code, silent.message]).toEqual(['ResourceNotSupported', 'background audio "clip.mp4" has no audio stream']);
  });

  it('fragments without audio plus background audio: silence under the music, format from the music', () => {
    const plan = encode([src('m.mp4', MUTE)], tpl({ audioMix: mix() }), [bgmFile('bgm.mp3')]);
    expect(plan.segments.map((s) => s.audio)).toEqual(['silence']);
    expect(plan.audio).toEqual({
      codec: 'mp3',
      encoder: 'libmp3lame',
      sampleRate: 44100,
      channels: 2,
      channelLayout: 'stereo',
      bitrateKbps: 128,
    });
  });
});

describe('planConcat: DirectConcat', () => {
  it('plans a stream copy of the picture and one audio encode; trims and Video parameters are ignored', () => {
    const plan = planConcat({
      sources: [src('a.mp4', LAND, { startTime: 3 }), src('b.mp4', LAND)],
      template: tpl({ directConcat: true, video: { codec: 'H.264', width: 640, remove: false } }),
      bgm: [],
      outputPath: '/out/out.mp4',
    });
    expect(plan).toEqual({
      path: 'hybrid',
      reason: 'DirectConcat',
      kind: 'copy',
      outputPath: '/out/out.mp4',
      workDir: '/out',
      durationSec: 20,
      container: { format: 'mp4', muxer: 'mp4', faststart: true },
      segments: [
        { path: '/in/a.mp4', label: 'a.mp4', durationSec: 10, videoDurationSec: 10, frames: 300 },
        { path: '/in/b.mp4', label: 'b.mp4', durationSec: 10, videoDurationSec: 10, frames: 300 },
      ],
      listFilePath: '/out/out.concat.txt',
      video: true,
      audio: true,
      fps: 30,
      listStream: { exactStreamId: 1 },
      audioEncode: { codec: 'aac', encoder: 'aac', sampleRate: 48000, channels: 2, channelLayout: 'stereo', bitrateKbps: 128 },
    });
  });

  it("each fragment's picture length is its frames over its rate; the job's Audio settings choose the encode", () => {
    const short: MediaProbe = { ...LAND, durationSec: 1.321, video: { ...LAND.video!, frameCount: 39, durationSec: 1.3 } };
    const forty: MediaProbe = { ...LAND, video: { ...LAND.video!, frameCount: 40 } };
    const noCount: MediaProbe = { ...LAND, durationSec: 2.2, video: { ...LAND.video!, frameCount: undefined, durationSec: 2.1 } };
    const plan = planConcat({
      sources: [src('a.mp4', short), src('b.mp4', forty), src('c.mp4', noCount)],
      template: tpl({ directConcat: true, audio: { codec: 'aac', samplerate: 44100, bitrate: 96, channels: 1, remove: false } }),
      bgm: [],
      outputPath: '/out/out.mp4',
    });
    expect(plan).toMatchObject({
      kind: 'copy',
      durationSec: 4.733333,
      segments: [
        { label: 'a.mp4', durationSec: 1.321, videoDurationSec: 1.3, frames: 39 },
        { label: 'b.mp4', durationSec: 10, videoDurationSec: 1.333333, frames: 40 },
        // No frame count in the container: the picture's length at its rate, rounded.
        { label: 'c.mp4', durationSec: 2.2, videoDurationSec: 2.1, frames: 63 },
      ],
      audioEncode: { codec: 'aac', encoder: 'aac', sampleRate: 44100, channels: 1, channelLayout: 'mono', bitrateKbps: 96 },
    });
    const ntsc: MediaProbe = { ...LAND, video: { ...LAND.video!, fps: 30000 / 1001, frameCount: 40 } };
    expect(
      planConcat({ sources: [src('n.mp4', ntsc)], template: tpl({ directConcat: true }), bgm: [], outputPath: '/o/o.mp4' }),
    ).toMatchObject({ durationSec: 1.334667, segments: [{ videoDurationSec: 1.334667 }] });
  });

  it('the list reads only the picture from MP4 fragments with the same track id, else every stream', () => {
    const plan = (b: MediaProbe) =>
      planConcat({
        sources: [src('a.mp4', LAND), src('b.mp4', b)],
        template: tpl({ directConcat: true }),
        bgm: [],
        outputPath: '/o/o.mp4',
      });
    expect(plan(LAND)).toMatchObject({ listStream: { exactStreamId: 1 } });
    expect(plan({ ...LAND, video: { ...LAND.video!, streamId: 2 } })).not.toHaveProperty('listStream');
    expect(plan({ ...LAND, video: { ...LAND.video!, streamId: undefined } })).not.toHaveProperty('listStream');
    expect(plan({ ...LAND, formatName: 'mpegts' })).not.toHaveProperty('listStream');
  });

  it('without video or audio nothing is re-encoded: audio-only containers and silent fragments stay a plain copy', () => {
    const mp3 = planConcat({
      sources: [src('a.mp3', MUSIC), src('b.mp3', MUSIC)],
      template: tpl({ directConcat: true, container: { format: 'mp3' } }),
      bgm: [],
      outputPath: '/o/o.mp3',
    });
    expect(mp3).not.toHaveProperty('audioEncode');
    expect(mp3.kind === 'copy' && mp3.segments.map((s) => s.videoDurationSec)).toEqual([undefined, undefined]);
    const mute = planConcat({ sources: [src('a.mp4', MUTE)], template: tpl({ directConcat: true }), bgm: [], outputPath: '/o/o.mp4' });
    expect(mute).toMatchObject({ video: true, audio: false, segments: [{ videoDurationSec: 5 }] });
    expect(mute).not.toHaveProperty('audioEncode');
  });

  it('never silently re-encodes: incompatible fragments are an InvalidArgument with the difference', () => {
    const e = planError(() =>
      planConcat({
        sources: [src('a.mp4', LAND), src('b.mp4', MUTE)],
        template: tpl({ directConcat: true }),
        bgm: [],
        outputPath: '/out/o.mp4',
      }),
    );
    expect([e.code, e.message]).toEqual([
      'InvalidArgument',
      'cannot stream-copy: "b.mp4" has video 640x360 but "a.mp4" has 1280x720; set DirectConcat to false to re-encode',
    ]);
  });

  it('refuses a background mix and a codec the audio-only container cannot hold', () => {
    const t = tpl({ directConcat: true, audioMix: mix() });
    expect(
      planError(() => planConcat({ sources: [src('a.mp4', LAND)], template: t, bgm: [bgmFile('bgm.mp3')], outputPath: '/o/o.mp4' }))
        .message,
    ).toBe('cannot stream-copy: AudioMix needs the audio re-encoded; set DirectConcat to false to mix background audio');
    expect(
      planError(() =>
        planConcat({
          sources: [src('a.mp4', LAND)],
          template: tpl({ directConcat: true, container: { format: 'mp3' } }),
          bgm: [],
          outputPath: '/o/o.mp3',
        }),
      ).message,
    ).toBe('cannot stream-copy: "a.mp4" has aac audio but Container mp3 needs mp3; set DirectConcat to false to re-encode');
    const mp3 = planConcat({
      sources: [src('a.mp3', MUSIC), src('b.mp3', MUSIC)],
      template: tpl({ directConcat: true, container: { format: 'mp3' } }),
      bgm: [],
      outputPath: '/o/o.mp3',
    });
    expect(mp3).toMatchObject({ kind: 'copy', video: false, audio: true, container: { muxer: 'mp3' } });
  });
});

describe('checkStreamCopy', () => {
  const a = (p: MediaProbe) => ({ label: 'a.mp4', probe: p });
  const b = (p: MediaProbe) => ({ label: 'b.mp4', probe: p });
  const v = LAND.video!;
  const au = LAND.audio!;
  const diff = (other: MediaProbe, ref: MediaProbe = LAND) => {
    const r = checkStreamCopy([a(ref), b(other)]);
    return r.ok ? 'ok' : r.message.replace(/^cannot stream-copy: /, '').replace(/; set DirectConcat to false to re-encode$/, '');
  };

  it('accepts identical fragments, fps within 0.01, an empty or single list', () => {
    expect(checkStreamCopy([a(LAND), b(LAND)])).toEqual({ ok: true });
    expect(diff({ ...LAND, video: { ...v, fps: 30.004, bitrateKbps: 12 }, durationSec: 3 })).toBe('ok');
    expect(checkStreamCopy([])).toEqual({ ok: true });
    expect(checkStreamCopy([a(MUTE)])).toEqual({ ok: true });
  });

  it('names every difference and both fragments', () => {
    expect(checkStreamCopy([a(LAND), b({ ...LAND, video: { ...v, width: 640, height: 360 } })])).toEqual({
      ok: false,
      message: 'cannot stream-copy: "b.mp4" has video 640x360 but "a.mp4" has 1280x720; set DirectConcat to false to re-encode',
    });
    expect(diff(MUSIC)).toBe('"b.mp4" has no video stream but "a.mp4" has one');
    expect(diff(LAND, MUSIC)).toBe('"b.mp4" has a video stream but "a.mp4" has none');
    expect(diff({ ...LAND, video: { ...v, codec: 'hevc' } })).toBe('"b.mp4" has video codec hevc but "a.mp4" has h264');
    expect(diff({ ...LAND, video: { ...v, rotation: 90 } })).toBe('"b.mp4" has video rotation 90 but "a.mp4" has 0');
    expect(diff({ ...LAND, video: { ...v, pixFmt: 'yuv444p' } })).toBe('"b.mp4" has pixel format yuv444p but "a.mp4" has yuv420p');
    expect(diff({ ...LAND, video: { ...v, profile: 'Main' } })).toBe('"b.mp4" has video profile Main but "a.mp4" has High');
    expect(diff({ ...LAND, video: { ...v, fps: 25 } })).toBe('"b.mp4" has 25 fps but "a.mp4" has 30');
    expect(diff(MUTE, { ...MUTE, audio: au })).toBe('"b.mp4" has no audio stream but "a.mp4" has one');
    expect(diff({ ...MUTE, audio: au }, MUTE)).toBe('"b.mp4" has an audio stream but "a.mp4" has none');
    expect(diff({ ...LAND, audio: { ...au, codec: 'mp3' } })).toBe('"b.mp4" has audio codec mp3 but "a.mp4" has aac');
    expect(diff({ ...LAND, audio: { ...au, sampleRate: 44100 } })).toBe('"b.mp4" has audio at 44100 Hz but "a.mp4" has 48000');
    expect(diff({ ...LAND, audio: { ...au, channels: 1, channelLayout: 'mono' } })).toBe(
      '"b.mp4" has 1 audio channel(s) but "a.mp4" has 2',
    );
  });

  it('compares every fragment with the first', () => {
    const r = checkStreamCopy([a(LAND), b(LAND), { label: 'c.mp4', probe: PORT }]);
    expect(r).toEqual({
      ok: false,
      message: 'cannot stream-copy: "c.mp4" has video 720x1280 but "a.mp4" has 1280x720; set DirectConcat to false to re-encode',
    });
  });
});

describe('planConcat: unusable fragments', () => {
  it('no fragments, no streams, no duration', () => {
    expect(planError(() => encode([])).message).toBe('no fragments to concatenate');
    const e = planError(() => encode([src('x.bin', { durationSec: 3, formatName: 'data' })]));
    expect([e.code, e.message]).toEqual(['ResourceNotSupported', 'fragment "x.bin" has no audio or video stream']);
    expect(planError(() => encode([src('still.png', { ...MUTE, durationSec: 0 })])).message).toBe(
      'fragment "still.png" has no known duration',
    );
  });
});

describe('limits', () => {
  it('jobTimeoutMs is 60 s plus 30x the planned duration', () => {
    expect(jobTimeoutMs({ durationSec: 20 })).toBe(660_000);
    expect(jobTimeoutMs({ durationSec: 0.5 })).toBe(75_000);
    expect(jobTimeoutMs(encode([src('a.mp4', LAND), src('b.mp4', PORT)]))).toBe(60_000 + 30 * 18_000);
  });

  it('progressPercent is a whole percent clamped to 0..100', () => {
    expect([
      progressPercent(5, 20),
      progressPercent(19.99, 20),
      progressPercent(20, 20),
      progressPercent(31, 20),
      progressPercent(-1, 20),
      progressPercent(Number.NaN, 20),
      progressPercent(5, 0),
      progressPercent(Number.POSITIVE_INFINITY, 20),
    ]).toEqual([25, 99, 100, 100, 0, 0, 0, 0]);
  });
});

describe('summarizePlan (the job log line)', () => {
  it('a stream copy: kind, duration, container and each segment by label', () => {
    const plan = planConcat({
      sources: [src('a.mp4', LAND), src('b.mp4', LAND)],
      template: tpl({ directConcat: true }),
      bgm: [],
      outputPath: '/out/o.mp4',
    });
    expect(summarizePlan(plan)).toEqual({
      path: 'hybrid',
      reason: 'DirectConcat',
      kind: 'copy',
      durationSec: 20,
      container: { format: 'mp4', muxer: 'mp4', faststart: true },
      video: 'copy',
      audio: { codec: 'aac', encoder: 'aac', sampleRate: 48000, channels: 2, channelLayout: 'stereo', bitrateKbps: 128 },
      segments: [
        { label: 'a.mp4', durationSec: 10, videoDurationSec: 10 },
        { label: 'b.mp4', durationSec: 10, videoDurationSec: 10 },
      ],
    });
  });

  it("an encode: the output formats and each segment's decisions, without paths", () => {
    const plan = encode([src('a.mp4', LAND, { startTime: 1, endTime: 3 }), src('b.mp4', PORT)]);
    const summary = summarizePlan(plan);
    expect(Object.keys(summary)).toEqual([
      'path',
      'reason',
      'kind',
      'durationSec',
      'container',
      'video',
      'audio',
      'bgm',
      'transition',
      'watermarks',
      'segments',
    ]);
    expect(summary).toMatchObject({ kind: 'encode', durationSec: plan.durationSec, video: plan.video, audio: plan.audio });
    expect(summary.segments).toEqual([
      {
        label: 'a.mp4',
        trim: { startSec: 1, durationSec: 2 },
        durationSec: 2,
        video: 'source',
        audio: 'source',
        scale: false,
        pad: false,
        changeFps: false,
        resample: false,
      },
      {
        label: 'b.mp4',
        trim: undefined,
        durationSec: 8,
        video: 'source',
        audio: 'source',
        scale: true,
        pad: true,
        changeFps: true,
        resample: true,
      },
    ]);
    expect(JSON.stringify(summary)).not.toContain('/in/');
  });
});
