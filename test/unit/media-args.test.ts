// buildConcatArgs / buildConcatListFile: the exact ffmpeg argv of each kind of job, from plans made over
// frozen ffprobe fixtures. The constants below are literal pieces of those lists, not logic.
import { describe, expect, it } from 'vitest';
import type { AudioMix, ConcatTemplate } from '../../src/domain/concat-types.js';
import {
  buildConcatArgs,
  buildConcatListFile,
  buildCopyAudioArgs,
  buildCopyPictureArgs,
  buildFilterGraph,
  buildHybridArgs,
} from '../../src/media/args.js';
import { planConcat, type CopyPlan, type EncodePlan, type PlanBgmSource, type PlanSource } from '../../src/media/plan.js';
import { normalizeProbe, type MediaProbe } from '../../src/media/probe.js';
import { loadProbeFixture, type ProbeFixture } from '../helpers/media.js';

const probe = (name: ProbeFixture): MediaProbe => normalizeProbe(loadProbeFixture(name));
const LAND = probe('landscape-1280x720-30fps-aac');
const PORT = probe('portrait-720x1280-25fps-aac');
const MUTE = probe('video-640x360-30fps-noaudio');
const MUSIC = probe('music-44100-stereo-mp3');

function src(label: string, p: MediaProbe, extra: Partial<PlanSource> = {}): PlanSource {
  return { path: `/in/${label}`, label, probe: p, ...extra };
}

function tpl(over: Partial<ConcatTemplate> = {}): ConcatTemplate {
  return { fragments: [], container: { format: 'mp4' }, audioMixArray: [], directConcat: false, ...over };
}

function args(sources: PlanSource[], template: ConcatTemplate = tpl(), outputPath = '/out/out.mp4', bgm: PlanBgmSource[] = []): string[] {
  return buildConcatArgs(planConcat({ sources, template, bgm, outputPath }));
}

const BGM: PlanBgmSource = { path: '/in/bgm.mp3', label: 'bgm.mp3', probe: MUSIC };
const mix = (over: Partial<AudioMix>): AudioMix => ({ audioSource: 'bgm.mp3', mixMode: 'Repeat', replace: false, ...over });

const HEAD = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'level+warning'];
const PROGRESS = ['-progress', 'pipe:1', '-nostats'];
const IN_A = ['-protocol_whitelist', 'file', '-i', '/in/a.mp4'];
const IN_B = ['-protocol_whitelist', 'file', '-i', '/in/b.mp4'];
const MAPS = ['-map', '[vout]', '-map', '[aout]'];
const X264 = ['-c:v', 'libx264', '-profile:v', 'high', '-crf', '25'];
const AAC_48K = ['-c:a', 'aac', '-ar', '48000', '-ac', '2', '-b:a', '128k'];
const MP4 = ['-f', 'mp4', '-movflags', '+faststart'];

// One landscape 1280x720@30 fragment with 48 kHz stereo audio, as the only input (index 0).
const V0_720P =
  '[0:v:0]scale=1280:720:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30,format=yuv420p[v0]';
const A0_48K = '[0:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo[a0]';
/** The same sound cut or padded to the 10 s its picture lasts on the output. */
const A0_48K_10S = '[0:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=end=10[a0]';
const ONE_LAND_GRAPH = [V0_720P, A0_48K_10S, '[v0][a0]concat=n=1:v=1:a=1[vout][aout]'].join(';');

describe('buildConcatArgs: encode', () => {
  it('two same-size inputs', () => {
    expect(args([src('a.mp4', LAND), src('b.mp4', LAND)])).toEqual([
      '-hide_banner',
      '-nostdin',
      '-y',
      '-loglevel',
      'level+warning',
      '-protocol_whitelist',
      'file',
      '-i',
      '/in/a.mp4',
      '-protocol_whitelist',
      'file',
      '-i',
      '/in/b.mp4',
      '-filter_complex',
      [
        '[0:v:0]scale=1280:720:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30,format=yuv420p[v0]',
        '[0:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=end=10[a0]',
        '[1:v:0]scale=1280:720:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30,format=yuv420p[v1]',
        '[1:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=end=10[a1]',
        '[v0][a0][v1][a1]concat=n=2:v=1:a=1[vout][aout]',
      ].join(';'),
      '-map',
      '[vout]',
      '-map',
      '[aout]',
      '-c:v',
      'libx264',
      '-profile:v',
      'high',
      '-crf',
      '25',
      '-c:a',
      'aac',
      '-ar',
      '48000',
      '-ac',
      '2',
      '-b:a',
      '128k',
      '-f',
      'mp4',
      '-movflags',
      '+faststart',
      '-progress',
      'pipe:1',
      '-nostats',
      '/out/out.mp4',
    ]);
  });

  it('mixed resolutions, portrait first, 25 vs 30 fps, one fragment without audio (silence of its length)', () => {
    expect(args([src('p.mp4', PORT), src('l.mp4', LAND), src('m.mp4', MUTE)])).toEqual([
      ...HEAD,
      '-protocol_whitelist',
      'file',
      '-i',
      '/in/p.mp4',
      '-protocol_whitelist',
      'file',
      '-i',
      '/in/l.mp4',
      '-protocol_whitelist',
      'file',
      '-i',
      '/in/m.mp4',
      '-filter_complex',
      [
        '[0:v:0]scale=720:1280:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=720:1280:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25,format=yuv420p[v0]',
        '[0:a:0]aresample=44100,aformat=sample_fmts=fltp:channel_layouts=mono,apad,atrim=end=8[a0]',
        '[1:v:0]scale=720:1280:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=720:1280:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25,format=yuv420p[v1]',
        '[1:a:0]aresample=44100,aformat=sample_fmts=fltp:channel_layouts=mono,apad,atrim=end=10[a1]',
        '[2:v:0]scale=720:1280:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=720:1280:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=25,format=yuv420p[v2]',
        'anullsrc=r=44100:cl=mono:d=5,aformat=sample_fmts=fltp:channel_layouts=mono,apad,atrim=end=5[a2]',
        '[v0][a0][v1][a1][v2][a2]concat=n=3:v=1:a=1[vout][aout]',
      ].join(';'),
      ...MAPS,
      ...X264,
      '-c:a',
      'aac',
      '-ar',
      '44100',
      '-ac',
      '1',
      '-b:a',
      '64k',
      ...MP4,
      ...PROGRESS,
      '/out/out.mp4',
    ]);
  });

  it('trims are input -ss/-t; generated silence follows the trimmed length', () => {
    expect(args([src('a.mp4', LAND, { startTime: 2, endTime: 5 }), src('b.mp4', MUTE, { startTime: 1.25 })])).toEqual([
      ...HEAD,
      '-ss',
      '2',
      '-t',
      '3',
      '-protocol_whitelist',
      'file',
      '-i',
      '/in/a.mp4',
      '-ss',
      '1.25',
      '-t',
      '3.75',
      '-protocol_whitelist',
      'file',
      '-i',
      '/in/b.mp4',
      '-filter_complex',
      [
        V0_720P,
        '[0:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=end=3[a0]',
        '[1:v:0]scale=1280:720:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30,format=yuv420p[v1]',
        'anullsrc=r=48000:cl=stereo:d=3.75,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=end=3.766667[a1]',
        '[v0][a0][v1][a1]concat=n=2:v=1:a=1[vout][aout]',
      ].join(';'),
      ...MAPS,
      ...X264,
      ...AAC_48K,
      ...MP4,
      ...PROGRESS,
      '/out/out.mp4',
    ]);
  });

  it('an audio-only fragment gets black frames; Rotate 90 turns the picture before it is fitted', () => {
    expect(args([src('a.mp4', LAND), src('s.mp3', MUSIC)], tpl({ video: { codec: 'H.264', rotate: 90, remove: false } }))).toEqual([
      ...HEAD,
      ...IN_A,
      '-protocol_whitelist',
      'file',
      '-i',
      '/in/s.mp3',
      '-filter_complex',
      [
        '[0:v:0]transpose=clock,scale=720:1280:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=720:1280:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30,format=yuv420p[v0]',
        A0_48K_10S,
        'color=c=black:s=720x1280:r=30:d=6.034286,format=yuv420p,setsar=1[v1]',
        '[1:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=end=6.066667[a1]',
        '[v0][a0][v1][a1]concat=n=2:v=1:a=1[vout][aout]',
      ].join(';'),
      ...MAPS,
      ...X264,
      ...AAC_48K,
      ...MP4,
      ...PROGRESS,
      '/out/out.mp4',
    ]);
  });

  it('a non-right Rotate turns the fitted picture inside the frame', () => {
    const graph = buildFilterGraph(
      planConcat({
        sources: [src('a.mp4', LAND)],
        template: tpl({ video: { codec: 'H.264', rotate: 45, remove: false } }),
        bgm: [],
        outputPath: '/o/o.mp4',
      }) as EncodePlan,
    );
    expect(graph.split(';')[0]).toBe(
      '[0:v:0]scale=1280:720:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30,format=yuv420p,rotate=0.785398:fillcolor=black[v0]',
    );
  });
});

describe('buildConcatArgs: containers', () => {
  const one = (format: ConcatTemplate['container']['format'], out: string) =>
    args([src('a.mp4', LAND)], tpl({ container: { format } }), out);

  it('mp4: faststart', () => {
    expect(one('mp4', '/out/o.mp4')).toEqual([
      ...HEAD,
      ...IN_A,
      '-filter_complex',
      ONE_LAND_GRAPH,
      ...MAPS,
      ...X264,
      ...AAC_48K,
      '-f',
      'mp4',
      '-movflags',
      '+faststart',
      ...PROGRESS,
      '/out/o.mp4',
    ]);
  });

  it('flv', () => {
    expect(one('flv', '/out/o.flv')).toEqual([
      ...HEAD,
      ...IN_A,
      '-filter_complex',
      ONE_LAND_GRAPH,
      ...MAPS,
      ...X264,
      ...AAC_48K,
      '-f',
      'flv',
      ...PROGRESS,
      '/out/o.flv',
    ]);
  });

  it('ts is mpegts', () => {
    expect(one('ts', '/out/o.ts')).toEqual([
      ...HEAD,
      ...IN_A,
      '-filter_complex',
      ONE_LAND_GRAPH,
      ...MAPS,
      ...X264,
      ...AAC_48K,
      '-f',
      'mpegts',
      ...PROGRESS,
      '/out/o.ts',
    ]);
  });

  it('hls: vod playlist, 10 s segments named after it in its directory, keyframes every 10 s', () => {
    expect(one('hls', '/out/hls/play.m3u8')).toEqual([
      ...HEAD,
      ...IN_A,
      '-filter_complex',
      ONE_LAND_GRAPH,
      ...MAPS,
      '-c:v',
      'libx264',
      '-profile:v',
      'high',
      '-crf',
      '25',
      '-force_key_frames',
      'expr:gte(t,n_forced*10)',
      ...AAC_48K,
      '-f',
      'hls',
      '-hls_time',
      '10',
      '-hls_playlist_type',
      'vod',
      '-hls_segment_filename',
      '/out/hls/play-%05d.ts',
      ...PROGRESS,
      '/out/hls/play.m3u8',
    ]);
  });

  it('mp3: audio only, libmp3lame', () => {
    expect(args([src('a.mp4', LAND), src('m.mp4', MUTE)], tpl({ container: { format: 'mp3' } }), '/out/o.mp3')).toEqual([
      ...HEAD,
      ...IN_A,
      '-protocol_whitelist',
      'file',
      '-i',
      '/in/m.mp4',
      '-filter_complex',
      [
        A0_48K,
        'anullsrc=r=48000:cl=stereo:d=5,aformat=sample_fmts=fltp:channel_layouts=stereo[a1]',
        '[a0][a1]concat=n=2:v=0:a=1[aout]',
      ].join(';'),
      '-map',
      '[aout]',
      '-c:a',
      'libmp3lame',
      '-ar',
      '48000',
      '-ac',
      '2',
      '-b:a',
      '128k',
      '-f',
      'mp3',
      ...PROGRESS,
      '/out/o.mp3',
    ]);
  });

  it('aac: audio only, ADTS', () => {
    expect(one('aac', '/out/o.aac')).toEqual([
      ...HEAD,
      ...IN_A,
      '-filter_complex',
      [A0_48K, '[a0]concat=n=1:v=0:a=1[aout]'].join(';'),
      '-map',
      '[aout]',
      ...AAC_48K,
      '-f',
      'adts',
      ...PROGRESS,
      '/out/o.aac',
    ]);
  });
});

describe('buildConcatArgs: encoder options', () => {
  const withVideo = (over: object) => args([src('a.mp4', LAND)], tpl({ video: { codec: 'H.264', remove: false, ...over } }));

  it('Bitrate alone is -b:v', () => {
    expect(withVideo({ bitrate: 2500 })).toEqual([
      ...HEAD,
      ...IN_A,
      '-filter_complex',
      ONE_LAND_GRAPH,
      ...MAPS,
      '-c:v',
      'libx264',
      '-profile:v',
      'high',
      '-b:v',
      '2500k',
      ...AAC_48K,
      ...MP4,
      ...PROGRESS,
      '/out/out.mp4',
    ]);
  });

  it('Crf wins over Bitrate; Profile is passed on', () => {
    expect(withVideo({ bitrate: 2500, crf: 20, profile: 'main' })).toEqual([
      ...HEAD,
      ...IN_A,
      '-filter_complex',
      ONE_LAND_GRAPH,
      ...MAPS,
      '-c:v',
      'libx264',
      '-profile:v',
      'main',
      '-crf',
      '20',
      ...AAC_48K,
      ...MP4,
      ...PROGRESS,
      '/out/out.mp4',
    ]);
  });

  it('neither: CRF 25, profile high', () => {
    expect(withVideo({})).toEqual([
      ...HEAD,
      ...IN_A,
      '-filter_complex',
      ONE_LAND_GRAPH,
      ...MAPS,
      '-c:v',
      'libx264',
      '-profile:v',
      'high',
      '-crf',
      '25',
      ...AAC_48K,
      ...MP4,
      ...PROGRESS,
      '/out/out.mp4',
    ]);
  });

  it('Audio params: codec, rate, channels, bitrate', () => {
    expect(
      args([src('a.mp4', LAND)], tpl({ audio: { codec: 'mp3', samplerate: 22050, channels: 1, bitrate: 64, remove: false } })),
    ).toEqual([
      ...HEAD,
      ...IN_A,
      '-filter_complex',
      [
        V0_720P,
        '[0:a:0]aresample=22050,aformat=sample_fmts=fltp:channel_layouts=mono,apad,atrim=end=10[a0]',
        '[v0][a0]concat=n=1:v=1:a=1[vout][aout]',
      ].join(';'),
      ...MAPS,
      ...X264,
      '-c:a',
      'libmp3lame',
      '-ar',
      '22050',
      '-ac',
      '1',
      '-b:a',
      '64k',
      ...MP4,
      ...PROGRESS,
      '/out/out.mp4',
    ]);
  });

  it('Audio.Remove: video only', () => {
    expect(args([src('a.mp4', LAND), src('b.mp4', LAND)], tpl({ audio: { codec: 'aac', remove: true } }))).toEqual([
      ...HEAD,
      ...IN_A,
      ...IN_B,
      '-filter_complex',
      [
        V0_720P,
        '[1:v:0]scale=1280:720:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30,format=yuv420p[v1]',
        '[v0][v1]concat=n=2:v=1:a=0[vout]',
      ].join(';'),
      '-map',
      '[vout]',
      ...X264,
      ...MP4,
      ...PROGRESS,
      '/out/out.mp4',
    ]);
  });

  it('Video.Remove: audio only, in an mp4', () => {
    expect(args([src('a.mp4', LAND), src('b.mp4', LAND)], tpl({ video: { codec: 'H.264', remove: true } }))).toEqual([
      ...HEAD,
      ...IN_A,
      ...IN_B,
      '-filter_complex',
      [A0_48K, '[1:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo[a1]', '[a0][a1]concat=n=2:v=0:a=1[aout]'].join(';'),
      '-map',
      '[aout]',
      ...AAC_48K,
      ...MP4,
      ...PROGRESS,
      '/out/out.mp4',
    ]);
  });
});

describe('buildConcatArgs: background audio', () => {
  const mixed = (bgmGraph: string[]) =>
    [
      V0_720P,
      A0_48K_10S,
      '[v0][a0]concat=n=1:v=1:a=1[vout][acat]',
      ...bgmGraph,
      '[acat][bgm]amix=inputs=2:duration=longest:dropout_transition=0:normalize=0,atrim=duration=10[aout]',
    ].join(';');

  it('Once, mixed: padded with silence after it ends, cut at the output end', () => {
    expect(args([src('a.mp4', LAND)], tpl({ audioMix: mix({ mixMode: 'Once' }) }), '/out/out.mp4', [BGM])).toEqual([
      ...HEAD,
      ...IN_A,
      '-protocol_whitelist',
      'file',
      '-i',
      '/in/bgm.mp3',
      '-filter_complex',
      mixed(['[1:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=duration=10[bgm]']),
      ...MAPS,
      ...X264,
      ...AAC_48K,
      ...MP4,
      ...PROGRESS,
      '/out/out.mp4',
    ]);
  });

  it('Once with fades: in from 0, out ending where the music ends', () => {
    const effectConfig = { enableStartFadein: true, startFadeinTime: 1.5, enableEndFadeout: true, endFadeoutTime: 2, enableBgmFade: false };
    expect(args([src('a.mp4', LAND)], tpl({ audioMix: mix({ mixMode: 'Once', effectConfig }) }), '/out/out.mp4', [BGM])).toEqual([
      ...HEAD,
      ...IN_A,
      '-protocol_whitelist',
      'file',
      '-i',
      '/in/bgm.mp3',
      '-filter_complex',
      mixed([
        '[1:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,afade=t=in:st=0:d=1.5,afade=t=out:st=4.034286:d=2,apad,atrim=duration=10[bgm]',
      ]),
      ...MAPS,
      ...X264,
      ...AAC_48K,
      ...MP4,
      ...PROGRESS,
      '/out/out.mp4',
    ]);
  });

  it('Repeat, mixed, fade-out at the output end: the input loops', () => {
    const effectConfig = { enableStartFadein: false, enableEndFadeout: true, endFadeoutTime: 2, enableBgmFade: false };
    expect(args([src('a.mp4', LAND)], tpl({ audioMix: mix({ effectConfig }) }), '/out/out.mp4', [BGM])).toEqual([
      ...HEAD,
      ...IN_A,
      '-stream_loop',
      '-1',
      '-protocol_whitelist',
      'file',
      '-i',
      '/in/bgm.mp3',
      '-filter_complex',
      mixed(['[1:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,afade=t=out:st=8:d=2,atrim=duration=10[bgm]']),
      ...MAPS,
      ...X264,
      ...AAC_48K,
      ...MP4,
      ...PROGRESS,
      '/out/out.mp4',
    ]);
  });

  it("Repeat, Replace: the fragments' audio is not decoded at all", () => {
    expect(args([src('a.mp4', LAND)], tpl({ audioMix: mix({ replace: true }) }), '/out/out.mp4', [BGM])).toEqual([
      ...HEAD,
      ...IN_A,
      '-stream_loop',
      '-1',
      '-protocol_whitelist',
      'file',
      '-i',
      '/in/bgm.mp3',
      '-filter_complex',
      [
        V0_720P,
        '[v0]concat=n=1:v=1:a=0[vout]',
        '[1:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,atrim=duration=10[aout]',
      ].join(';'),
      ...MAPS,
      ...X264,
      ...AAC_48K,
      ...MP4,
      ...PROGRESS,
      '/out/out.mp4',
    ]);
  });

  it('Once, Replace: silence after the music', () => {
    expect(args([src('a.mp4', LAND)], tpl({ audioMix: mix({ mixMode: 'Once', replace: true }) }), '/out/out.mp4', [BGM])).toEqual([
      ...HEAD,
      ...IN_A,
      '-protocol_whitelist',
      'file',
      '-i',
      '/in/bgm.mp3',
      '-filter_complex',
      [
        V0_720P,
        '[v0]concat=n=1:v=1:a=0[vout]',
        '[1:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=duration=10[aout]',
      ].join(';'),
      ...MAPS,
      ...X264,
      ...AAC_48K,
      ...MP4,
      ...PROGRESS,
      '/out/out.mp4',
    ]);
  });

  it('two AudioMixArray items: one after the other, crossfaded, the last one looping', () => {
    const items = [
      mix({
        mixMode: 'Once',
        effectConfig: { enableStartFadein: true, startFadeinTime: 1, enableEndFadeout: false, enableBgmFade: false },
      }),
      mix({
        mixMode: 'Repeat',
        effectConfig: { enableStartFadein: false, enableEndFadeout: true, endFadeoutTime: 2, enableBgmFade: true, bgmFadeTime: 1.5 },
      }),
    ];
    const bgm = [
      { path: '/in/one.mp3', label: 'one.mp3', probe: MUSIC },
      { path: '/in/two.mp3', label: 'two.mp3', probe: MUSIC },
    ];
    expect(args([src('a.mp4', LAND)], tpl({ audioMixArray: items }), '/out/out.mp4', bgm)).toEqual([
      ...HEAD,
      ...IN_A,
      '-protocol_whitelist',
      'file',
      '-i',
      '/in/one.mp3',
      '-stream_loop',
      '-1',
      '-protocol_whitelist',
      'file',
      '-i',
      '/in/two.mp3',
      '-filter_complex',
      mixed([
        '[1:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo[bgm0]',
        '[2:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo[bgm1]',
        '[bgm0][bgm1]acrossfade=d=1.5[bgmseq]',
        '[bgmseq]afade=t=in:st=0:d=1,afade=t=out:st=8:d=2,atrim=duration=10[bgm]',
      ]),
      ...MAPS,
      ...X264,
      ...AAC_48K,
      ...MP4,
      ...PROGRESS,
      '/out/out.mp4',
    ]);
  });

  it('two items without BgmFade are joined back to back', () => {
    const graph = buildFilterGraph(
      planConcat({
        sources: [src('a.mp4', LAND)],
        template: tpl({ audioMixArray: [mix({ mixMode: 'Once' }), mix({ mixMode: 'Once' })] }),
        bgm: [BGM, BGM],
        outputPath: '/o/o.mp4',
      }) as EncodePlan,
    );
    expect(graph.split(';').slice(5, 7)).toEqual(['[bgm0][bgm1]concat=n=2:v=0:a=1[bgmseq]', '[bgmseq]apad,atrim=duration=10[bgm]']);
  });
});

describe('buildConcatArgs: DirectConcat', () => {
  const copy = (format: ConcatTemplate['container']['format'], out: string, p: MediaProbe = LAND) =>
    args([src('a.mp4', p), src('b.mp4', p)], tpl({ directConcat: true, container: { format } }), out);
  /** A hybrid copy's three runs: the picture alone, the sound alone (made at the same time), then their mux. */
  const hybridRuns = (format: ConcatTemplate['container']['format'], out: string): string[][] => {
    const plan = planConcat({
      sources: [src('a.mp4', LAND), src('b.mp4', LAND)],
      template: tpl({ directConcat: true, container: { format } }),
      bgm: [],
      outputPath: out,
    }) as CopyPlan;
    return [buildCopyPictureArgs(plan, plan.parts!), buildCopyAudioArgs(plan, plan.audioEncode!, plan.parts!), buildConcatArgs(plan)];
  };

  // Each fragment's audio from the fragment itself (inputs 0, 1), cut or padded to its picture's 10 s, joined
  // and encoded once.
  const COPY_AUDIO_GRAPH = [
    '[0:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,atrim=end=10,apad=whole_dur=10[a0]',
    '[1:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,atrim=end=10,apad=whole_dur=10[a1]',
    '[a0][a1]concat=n=2:v=0:a=1[aout]',
  ].join(';');
  const PICTURE = (dir: string, base: string): string[] => [
    ...HEAD,
    ...['-f', 'concat', '-safe', '0', '-protocol_whitelist', 'file', '-i', `${dir}/${base}.concat.txt`],
    ...['-map', '0:v:0', '-c:v', 'copy', '-f', 'mp4', `${dir}/${base}.picture.mp4`],
  ];
  const SOUND = (dir: string, base: string): string[] => [
    ...HEAD,
    ...IN_A,
    ...IN_B,
    ...['-filter_complex', COPY_AUDIO_GRAPH, '-map', '[aout]', ...AAC_48K, ...PROGRESS, '-f', 'mp4', `${dir}/${base}.audio.mp4`],
  ];
  const MUX_INPUTS = (dir: string, base: string): string[] => [
    '-copyts',
    ...['-protocol_whitelist', 'file', '-i', `${dir}/${base}.picture.mp4`],
    ...['-protocol_whitelist', 'file', '-i', `${dir}/${base}.audio.mp4`],
    ...['-map', '0:v:0', '-map', '1:a:0', '-c', 'copy'],
  ];

  it('mp4: the picture copied through the concat demuxer while the audio is decoded per fragment and encoded once, then both muxed with faststart', () => {
    expect(hybridRuns('mp4', '/out/out.mp4')).toEqual([
      PICTURE('/out', 'out'),
      SOUND('/out', 'out'),
      [...HEAD, ...MUX_INPUTS('/out', 'out'), ...MP4, ...PROGRESS, '/out/out.mp4'],
    ]);
  });

  it('without smart-cut pieces, one run writes the output beside the picture part: the list (input 0) copied, the fragments (inputs 1, 2) decoded and encoded once', () => {
    const plan = planConcat({
      sources: [src('a.mp4', LAND), src('b.mp4', LAND)],
      template: tpl({ directConcat: true }),
      bgm: [],
      outputPath: '/out/out.mp4',
    }) as CopyPlan;
    expect(buildHybridArgs(plan, plan.audioEncode!)).toEqual([
      ...HEAD,
      ...['-f', 'concat', '-safe', '0', '-protocol_whitelist', 'file', '-i', '/out/out.concat.txt'],
      ...['-protocol_whitelist', 'file', '-i', '/in/a.mp4', '-protocol_whitelist', 'file', '-i', '/in/b.mp4'],
      '-filter_complex',
      [
        '[1:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,atrim=end=10,apad=whole_dur=10[a0]',
        '[2:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,atrim=end=10,apad=whole_dur=10[a1]',
        '[a0][a1]concat=n=2:v=0:a=1[aout]',
      ].join(';'),
      ...['-map', '0:v:0', '-map', '[aout]', '-c:v', 'copy'],
      ...AAC_48K,
      ...MP4,
      ...PROGRESS,
      '/out/out.mp4',
    ]);
  });

  it('hls and ts: only the mux differs', () => {
    expect(hybridRuns('hls', '/out/h/p.m3u8')).toEqual([
      PICTURE('/out/h', 'p'),
      SOUND('/out/h', 'p'),
      [
        ...HEAD,
        ...MUX_INPUTS('/out/h', 'p'),
        ...['-f', 'hls', '-hls_time', '10', '-hls_playlist_type', 'vod', '-hls_segment_filename', '/out/h/p-%05d.ts'],
        ...PROGRESS,
        '/out/h/p.m3u8',
      ],
    ]);
    expect(hybridRuns('ts', '/out/o.ts')[2]).toEqual([...HEAD, ...MUX_INPUTS('/out', 'o'), '-f', 'mpegts', ...PROGRESS, '/out/o.ts']);
  });

  it('mp3 files into mp3: audio only; video-only fragments: video only', () => {
    expect(copy('mp3', '/out/o.mp3', MUSIC)).toEqual([
      ...HEAD,
      '-f',
      'concat',
      '-safe',
      '0',
      '-protocol_whitelist',
      'file',
      '-i',
      '/out/o.concat.txt',
      '-map',
      '0:a:0',
      '-c',
      'copy',
      '-f',
      'mp3',
      ...PROGRESS,
      '/out/o.mp3',
    ]);
    expect(copy('flv', '/out/o.flv', MUTE)).toEqual([
      ...HEAD,
      '-f',
      'concat',
      '-safe',
      '0',
      '-protocol_whitelist',
      'file',
      '-i',
      '/out/o.concat.txt',
      '-map',
      '0:v:0',
      '-c',
      'copy',
      '-f',
      'flv',
      ...PROGRESS,
      '/out/o.flv',
    ]);
  });
});

describe('buildConcatListFile', () => {
  it("single-quotes every path and escapes quotes as '\\''", () => {
    expect(buildConcatListFile([{ path: '/tmp/job/a.mp4' }, { path: "/tmp/job/it's here.mp4" }, { path: "/tmp/''" }])).toBe(
      ['ffconcat version 1.0', "file '/tmp/job/a.mp4'", "file '/tmp/job/it'\\''s here.mp4'", "file '/tmp/'\\'''\\'''", ''].join('\n'),
    );
  });

  it('a duration line after a file fixes where the next one starts', () => {
    expect(
      buildConcatListFile([
        { path: '/tmp/a.mp4', durationSec: 1.3 },
        { path: '/tmp/b.mp4', durationSec: 1001 / 30000 },
      ]),
    ).toBe(['ffconcat version 1.0', "file '/tmp/a.mp4'", 'duration 1.3', "file '/tmp/b.mp4'", 'duration 0.033367', ''].join('\n'));
  });

  it('declares one stream by its container id, so only the picture is read', () => {
    expect(buildConcatListFile([{ path: '/tmp/a.mp4', durationSec: 1.3 }], { exactStreamId: 1 })).toBe(
      ['ffconcat version 1.0', 'stream', 'exact_stream_id 1', "file '/tmp/a.mp4'", 'duration 1.3', ''].join('\n'),
    );
  });

  it('refuses a line break, which would start a new directive', () => {
    expect(() => buildConcatListFile([{ path: "/tmp/a.mp4'\nfile '/etc/passwd" }])).toThrow(/line break/);
  });
});

describe('user strings stay out of the filtergraph', () => {
  it('paths with graph syntax are single argv elements; a leading dash cannot become an option', () => {
    const nasty = '/in/x[0:v];movie=/etc/passwd,a.mp4';
    const argv = buildConcatArgs(
      planConcat({
        sources: [
          { path: nasty, label: 'x', probe: LAND },
          { path: '-y.mp4', label: 'y', probe: LAND },
        ],
        template: tpl(),
        bgm: [],
        outputPath: '-out.mp4',
      }),
    );
    const graph = argv[argv.indexOf('-filter_complex') + 1]!;
    expect(graph).not.toContain('passwd');
    expect(graph).toMatch(/^[\w\s[\]:;=,.()/*+-]+$/);
    expect(argv.filter((a) => a === nasty)).toHaveLength(1);
    expect(argv).toContain('./-y.mp4');
    expect(argv.at(-1)).toBe('./-out.mp4');
  });
});
