// SceneChangeInfo FADE / GRADIENT: the planned joins and durations, the refusals, and the exact ffmpeg
// argv over frozen ffprobe fixtures (landscape 1280x720@30 with 48 kHz stereo aac, 10 s; a 640x360@30
// clip without audio, 5 s; an mp3, 6.034286 s). The constants are literal pieces of the lists.
import { describe, expect, it } from 'vitest';
import type { AudioMix, ConcatTemplate, SceneChangeInfo } from '../../src/domain/concat-types.js';
import { buildConcatArgs } from '../../src/media/args.js';
import { planConcat, type EncodePlan, type PlanBgmSource, type PlanSource } from '../../src/media/plan.js';
import { normalizeProbe, type MediaProbe } from '../../src/media/probe.js';
import { loadProbeFixture, type ProbeFixture } from '../helpers/media.js';
import { planError } from '../helpers/plan-error.js';

const probe = (name: ProbeFixture): MediaProbe => normalizeProbe(loadProbeFixture(name));
const LAND = probe('landscape-1280x720-30fps-aac');
const MUTE = probe('video-640x360-30fps-noaudio');
const MUSIC = probe('music-44100-stereo-mp3');

function src(label: string, p: MediaProbe, extra: Partial<PlanSource> = {}): PlanSource {
  return { path: `/in/${label}`, label, probe: p, ...extra };
}

const fade = (time: number): SceneChangeInfo => ({ mode: 'FADE', time });
const gradient = (time: number): SceneChangeInfo => ({ mode: 'GRADIENT', time });

function tpl(over: Partial<ConcatTemplate> = {}): ConcatTemplate {
  return { fragments: [], container: { format: 'mp4' }, audioMixArray: [], directConcat: false, ...over };
}

function encode(sources: PlanSource[], template: ConcatTemplate, bgm: PlanBgmSource[] = []): EncodePlan {
  const plan = planConcat({ sources, template, bgm, outputPath: '/out/out.mp4' });
  if (plan.kind !== 'encode') throw new Error('expected an encode plan');
  return plan;
}

function args(sources: PlanSource[], template: ConcatTemplate, bgm: PlanBgmSource[] = [], outputPath = '/out/out.mp4'): string[] {
  return buildConcatArgs(planConcat({ sources, template, bgm, outputPath }));
}

const BGM: PlanBgmSource = { path: '/in/bgm.mp3', label: 'bgm.mp3', probe: MUSIC };
const mix = (over: Partial<AudioMix>): AudioMix => ({ audioSource: 'bgm.mp3', mixMode: 'Repeat', replace: false, ...over });

const HEAD = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'level+warning'];
const PROGRESS = ['-progress', 'pipe:1', '-nostats'];
const IN = (name: string): string[] => ['-protocol_whitelist', 'file', '-i', `/in/${name}`];
const MAPS = ['-map', '[vout]', '-map', '[aout]'];
const X264 = ['-c:v', 'libx264', '-profile:v', 'high', '-crf', '25'];
const AAC_48K = ['-c:a', 'aac', '-ar', '48000', '-ac', '2', '-b:a', '128k'];
const MP4 = ['-f', 'mp4', '-movflags', '+faststart'];
const TAIL = [...X264, ...AAC_48K, ...MP4, ...PROGRESS, '/out/out.mp4'];

// Normalisation of input i into 1280x720@30 / 48 kHz stereo, before what transitions add.
const NORM_V = (i: number): string =>
  `[${i}:v:0]scale=1280:720:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30,format=yuv420p`;
const NORM_A = (i: number): string => `[${i}:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo`;

describe('planConcat: transitions', () => {
  it('FADE: joins centred on each cut, Time long; the duration is the sum of the fragments', () => {
    const plan = encode([src('a.mp4', LAND), src('m.mp4', MUTE), src('b.mp4', LAND)], tpl({ sceneChangeInfo: fade(3) }));
    expect(plan.durationSec).toBe(25);
    expect(plan.transition).toEqual({
      mode: 'FADE',
      durationSec: 3,
      joins: [
        { startSec: 8.5, endSec: 11.5 },
        { startSec: 13.5, endSec: 16.5 },
      ],
    });
  });

  it('GRADIENT: each join overlaps Time s, so the output is sum - (n-1) x Time; joins are the overlaps', () => {
    const plan = encode([src('a.mp4', LAND), src('m.mp4', MUTE), src('b.mp4', LAND)], tpl({ sceneChangeInfo: gradient(2) }));
    expect(plan.durationSec).toBe(21);
    expect(plan.transition).toEqual({
      mode: 'GRADIENT',
      durationSec: 2,
      joins: [
        { startSec: 8, endSec: 10 },
        { startSec: 11, endSec: 13 },
      ],
    });
  });

  it('GRADIENT over trimmed fragments uses the trimmed lengths', () => {
    const plan = encode(
      [src('a.mp4', LAND, { startTime: 2, endTime: 5 }), src('b.mp4', LAND, { endTime: 1.5 })],
      tpl({ sceneChangeInfo: gradient(1.5) }),
    );
    expect(plan.durationSec).toBe(3);
    expect(plan.transition?.joins).toEqual([{ startSec: 1.5, endSec: 3 }]);
  });

  it('Default, or a single fragment: no transition at all', () => {
    expect(
      encode([src('a.mp4', LAND), src('b.mp4', LAND)], tpl({ sceneChangeInfo: { mode: 'Default', time: 3 } })).transition,
    ).toBeUndefined();
    const one = encode([src('a.mp4', LAND)], tpl({ sceneChangeInfo: gradient(3) }));
    expect(one.transition).toBeUndefined();
    expect(one.durationSec).toBe(10);
  });

  it('refuses a middle fragment shorter than its two GRADIENT joins, naming it', () => {
    const err = planError(() =>
      encode([src('a.mp4', LAND), src('m.mp4', MUTE, { endTime: 5 }), src('b.mp4', LAND)], tpl({ sceneChangeInfo: gradient(3) })),
    );
    expect(err.code).toBe('InvalidArgument');
    expect(err.message).toBe(
      'fragment "m.mp4" is 5 s long, shorter than its transitions: SceneChangeInfo GRADIENT with Time 3 takes Time = 3 s of it at each of its 2 join(s), 6 s in all',
    );
  });

  it('refuses an end fragment shorter than half a FADE; exactly long enough is accepted', () => {
    const err = planError(() => encode([src('a.mp4', LAND), src('b.mp4', LAND, { startTime: 9 })], tpl({ sceneChangeInfo: fade(3) })));
    expect(err).toMatchObject({ code: 'InvalidArgument' });
    expect(err.message).toBe(
      'fragment "b.mp4" is 1 s long, shorter than its transitions: SceneChangeInfo FADE with Time 3 takes Time/2 = 1.5 s of it at each of its 1 join(s), 1.5 s in all',
    );
    expect(encode([src('a.mp4', LAND), src('b.mp4', LAND, { startTime: 8.5 })], tpl({ sceneChangeInfo: fade(3) })).durationSec).toBe(11.5);
    expect(encode([src('a.mp4', LAND), src('m.mp4', MUTE), src('b.mp4', LAND)], tpl({ sceneChangeInfo: gradient(2.5) })).durationSec).toBe(
      20,
    );
  });

  it('DirectConcat cannot make a transition between several fragments', () => {
    const err = planError(() =>
      planConcat({
        sources: [src('a.mp4', LAND), src('b.mp4', LAND)],
        template: tpl({ directConcat: true, sceneChangeInfo: fade(1) }),
        bgm: [],
        outputPath: '/o/o.mp4',
      }),
    );
    expect(err).toMatchObject({ code: 'InvalidArgument' });
    expect(err.message).toBe(
      'cannot stream-copy: SceneChangeInfo FADE needs the fragments re-encoded; set DirectConcat to false for transitions',
    );
    const plan = planConcat({
      sources: [src('a.mp4', LAND), src('b.mp4', LAND)],
      template: tpl({ directConcat: true, sceneChangeInfo: { mode: 'Default', time: 3 } }),
      bgm: [],
      outputPath: '/o/o.mp4',
    });
    expect(plan.kind).toBe('copy');
  });
});

describe('buildConcatArgs: FADE', () => {
  it('2 fragments with audio: exact length, fade out / in of Time/2 on both sides of the cut, then concat', () => {
    expect(args([src('a.mp4', LAND), src('b.mp4', LAND)], tpl({ sceneChangeInfo: fade(3) }))).toEqual([
      ...HEAD,
      ...IN('a.mp4'),
      ...IN('b.mp4'),
      '-filter_complex',
      [
        '[0:v:0]scale=1280:720:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30,format=yuv420p,tpad=stop=-1:stop_mode=clone,trim=duration=10,setpts=PTS-STARTPTS,fade=t=out:st=8.5:d=1.5[v0]',
        '[0:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=duration=10,asetpts=PTS-STARTPTS,afade=t=out:st=8.5:d=1.5[a0]',
        '[1:v:0]scale=1280:720:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30,format=yuv420p,tpad=stop=-1:stop_mode=clone,trim=duration=10,setpts=PTS-STARTPTS,fade=t=in:st=0:d=1.5[v1]',
        '[1:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=duration=10,asetpts=PTS-STARTPTS,afade=t=in:st=0:d=1.5[a1]',
        '[v0][a0][v1][a1]concat=n=2:v=1:a=1[vout][aout]',
      ].join(';'),
      ...MAPS,
      ...TAIL,
    ]);
  });

  it('3 fragments, the middle one without audio: its generated silence fades too; the middle fades in and out', () => {
    expect(args([src('a.mp4', LAND), src('m.mp4', MUTE), src('b.mp4', LAND)], tpl({ sceneChangeInfo: fade(2) }))).toEqual([
      ...HEAD,
      ...IN('a.mp4'),
      ...IN('m.mp4'),
      ...IN('b.mp4'),
      '-filter_complex',
      [
        `${NORM_V(0)},tpad=stop=-1:stop_mode=clone,trim=duration=10,setpts=PTS-STARTPTS,fade=t=out:st=9:d=1[v0]`,
        `${NORM_A(0)},apad,atrim=duration=10,asetpts=PTS-STARTPTS,afade=t=out:st=9:d=1[a0]`,
        `${NORM_V(1)},tpad=stop=-1:stop_mode=clone,trim=duration=5,setpts=PTS-STARTPTS,fade=t=in:st=0:d=1,fade=t=out:st=4:d=1[v1]`,
        'anullsrc=r=48000:cl=stereo:d=5,aformat=sample_fmts=fltp:channel_layouts=stereo,afade=t=in:st=0:d=1,afade=t=out:st=4:d=1[a1]',
        `${NORM_V(2)},tpad=stop=-1:stop_mode=clone,trim=duration=10,setpts=PTS-STARTPTS,fade=t=in:st=0:d=1[v2]`,
        `${NORM_A(2)},apad,atrim=duration=10,asetpts=PTS-STARTPTS,afade=t=in:st=0:d=1[a2]`,
        '[v0][a0][v1][a1][v2][a2]concat=n=3:v=1:a=1[vout][aout]',
      ].join(';'),
      ...MAPS,
      ...TAIL,
    ]);
  });

  it('an audio-only fragment: its generated black fades in like any picture', () => {
    expect(args([src('a.mp4', LAND), src('s.mp3', MUSIC)], tpl({ sceneChangeInfo: fade(3) }))).toEqual([
      ...HEAD,
      ...IN('a.mp4'),
      ...IN('s.mp3'),
      '-filter_complex',
      [
        `${NORM_V(0)},tpad=stop=-1:stop_mode=clone,trim=duration=10,setpts=PTS-STARTPTS,fade=t=out:st=8.5:d=1.5[v0]`,
        `${NORM_A(0)},apad,atrim=duration=10,asetpts=PTS-STARTPTS,afade=t=out:st=8.5:d=1.5[a0]`,
        'color=c=black:s=1280x720:r=30:d=6.034286,format=yuv420p,setsar=1,fade=t=in:st=0:d=1.5[v1]',
        `${NORM_A(1)},apad,atrim=duration=6.034286,asetpts=PTS-STARTPTS,afade=t=in:st=0:d=1.5[a1]`,
        '[v0][a0][v1][a1]concat=n=2:v=1:a=1[vout][aout]',
      ].join(';'),
      ...MAPS,
      ...TAIL,
    ]);
  });

  it('without audio (Audio.Remove): the picture only', () => {
    expect(
      args([src('a.mp4', LAND), src('b.mp4', LAND)], tpl({ sceneChangeInfo: fade(1), audio: { codec: 'aac', remove: true } })),
    ).toEqual([
      ...HEAD,
      ...IN('a.mp4'),
      ...IN('b.mp4'),
      '-filter_complex',
      [
        `${NORM_V(0)},tpad=stop=-1:stop_mode=clone,trim=duration=10,setpts=PTS-STARTPTS,fade=t=out:st=9.5:d=0.5[v0]`,
        `${NORM_V(1)},tpad=stop=-1:stop_mode=clone,trim=duration=10,setpts=PTS-STARTPTS,fade=t=in:st=0:d=0.5[v1]`,
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

  it("with background audio replacing the fragments' sound: only the picture fades; the music runs on", () => {
    expect(
      args([src('a.mp4', LAND), src('b.mp4', LAND)], tpl({ sceneChangeInfo: fade(2), audioMix: mix({ replace: true }) }), [BGM]),
    ).toEqual([
      ...HEAD,
      ...IN('a.mp4'),
      ...IN('b.mp4'),
      '-stream_loop',
      '-1',
      ...IN('bgm.mp3'),
      '-filter_complex',
      [
        `${NORM_V(0)},tpad=stop=-1:stop_mode=clone,trim=duration=10,setpts=PTS-STARTPTS,fade=t=out:st=9:d=1[v0]`,
        `${NORM_V(1)},tpad=stop=-1:stop_mode=clone,trim=duration=10,setpts=PTS-STARTPTS,fade=t=in:st=0:d=1[v1]`,
        '[v0][v1]concat=n=2:v=1:a=0[vout]',
        `${NORM_A(2)},atrim=duration=20[aout]`,
      ].join(';'),
      ...MAPS,
      ...TAIL,
    ]);
  });
});

describe('buildConcatArgs: GRADIENT', () => {
  it('2 fragments with audio: xfade and acrossfade over Time, the second starting Time before the first ends', () => {
    expect(args([src('a.mp4', LAND), src('b.mp4', LAND)], tpl({ sceneChangeInfo: gradient(3) }))).toEqual([
      ...HEAD,
      ...IN('a.mp4'),
      ...IN('b.mp4'),
      '-filter_complex',
      [
        '[0:v:0]scale=1280:720:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30,format=yuv420p,tpad=stop=-1:stop_mode=clone,trim=duration=10,setpts=PTS-STARTPTS[v0]',
        '[0:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=duration=10,asetpts=PTS-STARTPTS[a0]',
        '[1:v:0]scale=1280:720:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=30,format=yuv420p,tpad=stop=-1:stop_mode=clone,trim=duration=10,setpts=PTS-STARTPTS[v1]',
        '[1:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,apad,atrim=duration=10,asetpts=PTS-STARTPTS[a1]',
        '[v0][v1]xfade=transition=fade:duration=3:offset=7,format=yuv420p[vout]',
        '[a0][a1]acrossfade=d=3[aout]',
      ].join(';'),
      ...MAPS,
      ...TAIL,
    ]);
  });

  it('3 fragments, the middle one without audio: chained at 8 s and 11 s (21 s in all)', () => {
    expect(args([src('a.mp4', LAND), src('m.mp4', MUTE), src('b.mp4', LAND)], tpl({ sceneChangeInfo: gradient(2) }))).toEqual([
      ...HEAD,
      ...IN('a.mp4'),
      ...IN('m.mp4'),
      ...IN('b.mp4'),
      '-filter_complex',
      [
        `${NORM_V(0)},tpad=stop=-1:stop_mode=clone,trim=duration=10,setpts=PTS-STARTPTS[v0]`,
        `${NORM_A(0)},apad,atrim=duration=10,asetpts=PTS-STARTPTS[a0]`,
        `${NORM_V(1)},tpad=stop=-1:stop_mode=clone,trim=duration=5,setpts=PTS-STARTPTS[v1]`,
        'anullsrc=r=48000:cl=stereo:d=5,aformat=sample_fmts=fltp:channel_layouts=stereo[a1]',
        `${NORM_V(2)},tpad=stop=-1:stop_mode=clone,trim=duration=10,setpts=PTS-STARTPTS[v2]`,
        `${NORM_A(2)},apad,atrim=duration=10,asetpts=PTS-STARTPTS[a2]`,
        '[v0][v1]xfade=transition=fade:duration=2:offset=8,format=yuv420p[vx1]',
        '[vx1][v2]xfade=transition=fade:duration=2:offset=11,format=yuv420p[vout]',
        '[a0][a1]acrossfade=d=2[ax1]',
        '[ax1][a2]acrossfade=d=2[aout]',
      ].join(';'),
      ...MAPS,
      ...TAIL,
    ]);
  });

  it('3 fragments without audio, trimmed input, Time 1.5', () => {
    expect(
      args(
        [src('a.mp4', LAND, { startTime: 2, endTime: 5 }), src('b.mp4', LAND), src('c.mp4', LAND)],
        tpl({ sceneChangeInfo: gradient(1.5), audio: { codec: 'aac', remove: true } }),
      ),
    ).toEqual([
      ...HEAD,
      '-ss',
      '2',
      '-t',
      '3',
      ...IN('a.mp4'),
      ...IN('b.mp4'),
      ...IN('c.mp4'),
      '-filter_complex',
      [
        `${NORM_V(0)},tpad=stop=-1:stop_mode=clone,trim=duration=3,setpts=PTS-STARTPTS[v0]`,
        `${NORM_V(1)},tpad=stop=-1:stop_mode=clone,trim=duration=10,setpts=PTS-STARTPTS[v1]`,
        `${NORM_V(2)},tpad=stop=-1:stop_mode=clone,trim=duration=10,setpts=PTS-STARTPTS[v2]`,
        '[v0][v1]xfade=transition=fade:duration=1.5:offset=1.5,format=yuv420p[vx1]',
        '[vx1][v2]xfade=transition=fade:duration=1.5:offset=10,format=yuv420p[vout]',
      ].join(';'),
      '-map',
      '[vout]',
      ...X264,
      ...MP4,
      ...PROGRESS,
      '/out/out.mp4',
    ]);
  });

  it('with background audio mixed in: the music is cut at the shortened length (17 s)', () => {
    expect(
      args([src('a.mp4', LAND), src('b.mp4', LAND)], tpl({ sceneChangeInfo: gradient(3), audioMix: mix({ mixMode: 'Once' }) }), [BGM]),
    ).toEqual([
      ...HEAD,
      ...IN('a.mp4'),
      ...IN('b.mp4'),
      ...IN('bgm.mp3'),
      '-filter_complex',
      [
        `${NORM_V(0)},tpad=stop=-1:stop_mode=clone,trim=duration=10,setpts=PTS-STARTPTS[v0]`,
        `${NORM_A(0)},apad,atrim=duration=10,asetpts=PTS-STARTPTS[a0]`,
        `${NORM_V(1)},tpad=stop=-1:stop_mode=clone,trim=duration=10,setpts=PTS-STARTPTS[v1]`,
        `${NORM_A(1)},apad,atrim=duration=10,asetpts=PTS-STARTPTS[a1]`,
        '[v0][v1]xfade=transition=fade:duration=3:offset=7,format=yuv420p[vout]',
        '[a0][a1]acrossfade=d=3[acat]',
        `${NORM_A(2)},apad,atrim=duration=17[bgm]`,
        '[acat][bgm]amix=inputs=2:duration=longest:dropout_transition=0:normalize=0,atrim=duration=17[aout]',
      ].join(';'),
      ...MAPS,
      ...TAIL,
    ]);
  });

  it('an audio-only container: the sound crossfades alone', () => {
    expect(
      args([src('a.mp4', LAND), src('b.mp4', LAND)], tpl({ sceneChangeInfo: gradient(1), container: { format: 'mp3' } }), [], '/out/o.mp3'),
    ).toEqual([
      ...HEAD,
      ...IN('a.mp4'),
      ...IN('b.mp4'),
      '-filter_complex',
      [
        `${NORM_A(0)},apad,atrim=duration=10,asetpts=PTS-STARTPTS[a0]`,
        `${NORM_A(1)},apad,atrim=duration=10,asetpts=PTS-STARTPTS[a1]`,
        '[a0][a1]acrossfade=d=1[aout]',
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
});
