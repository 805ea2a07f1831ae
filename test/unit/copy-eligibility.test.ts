// The copy ladder over frozen ffprobe fixtures: for every field a copied stream keeps, changing that field
// alone in one fragment sends the job to encode and the reason names it; the request side likewise.
import { describe, expect, it } from 'vitest';
import type { ConcatTemplate } from '../../src/domain/concat-types.js';
import { decideCopyPath, type CopySource } from '../../src/media/copy-eligibility.js';
import { planConcat, type PlanSource } from '../../src/media/plan.js';
import { normalizeProbe, type MediaProbe } from '../../src/media/probe.js';
import { loadProbeFixture } from '../helpers/media.js';
import { planError } from '../helpers/plan-error.js';

const fixture = normalizeProbe(loadProbeFixture('landscape-1280x720-30fps-aac'));
/** The landscape fixture as a current probe sees it: with parameter-set hashes. */
const LAND: MediaProbe = {
  ...fixture,
  video: { ...fixture.video!, extradataHash: 'SHA256:1111111111111111' },
  audio: { ...fixture.audio!, extradataHash: 'SHA256:2222222222222222' },
};
const MUTE = normalizeProbe(loadProbeFixture('video-640x360-30fps-noaudio'));
const v = LAND.video!;

function tpl(over: Partial<ConcatTemplate> = {}): ConcatTemplate {
  return { fragments: [], container: { format: 'mp4' }, audioMixArray: [], directConcat: false, ...over };
}

const frag = (label: string, probe: MediaProbe, trimmed = false): CopySource => ({ label, probe, trimmed });

function decide(b: MediaProbe, template = tpl(), extra: { watermarks?: number; trimmed?: boolean } = {}) {
  return decideCopyPath({
    template,
    sources: [frag('a.mp4', LAND), frag('b.mp4', b, extra.trimmed)],
    watermarks: extra.watermarks ?? 0,
    audioOut: !!b.audio,
  });
}

const withVideo = (over: Partial<NonNullable<MediaProbe['video']>>): MediaProbe => ({ ...LAND, video: { ...v, ...over } });

describe('decideCopyPath: the fragments', () => {
  it('identical fragments with audio: hybrid; without audio: a full copy', () => {
    expect(decide(LAND)).toEqual({
      path: 'hybrid',
      reason: 'fragments match: picture copied, audio re-encoded once so every join stays in sync',
    });
    expect(
      decideCopyPath({ template: tpl(), sources: [frag('a.mp4', MUTE), frag('b.mp4', MUTE)], watermarks: 0, audioOut: false }),
    ).toEqual({ path: 'copy', reason: 'fragments match and the output has no audio: the picture is copied' });
  });

  // Each field changed alone in the second fragment, and the words the reason must use.
  const cases: [string, MediaProbe, string][] = [
    ['codec', withVideo({ codec: 'hevc' }), '"b.mp4" has video codec hevc but "a.mp4" has h264'],
    ['size', withVideo({ width: 640, height: 360 }), '"b.mp4" has video 640x360 but "a.mp4" has 1280x720'],
    ['profile', withVideo({ profile: 'Main' }), '"b.mp4" has video profile Main but "a.mp4" has High'],
    ['level', withVideo({ level: 40 }), '"b.mp4" has video level 40 but "a.mp4" has 31'],
    ['frame rate', withVideo({ fps: 25 }), '"b.mp4" has 25 fps but "a.mp4" has 30'],
    ['SAR', withVideo({ sar: '4:3' }), '"b.mp4" has sample aspect ratio 4:3 but "a.mp4" has 1:1'],
    ['time base', withVideo({ timeBase: '1/90000' }), '"b.mp4" has video time base 1/90000 but "a.mp4" has 1/15360'],
    ['has_b_frames', withVideo({ hasBFrames: 0 }), '"b.mp4" has B-frame reorder depth (has_b_frames) 0 but "a.mp4" has 2'],
    ['colour primaries', withVideo({ colorPrimaries: 'bt709' }), '"b.mp4" has colour primaries bt709 but "a.mp4" has unknown'],
    ['colour transfer', withVideo({ colorTransfer: 'bt709' }), '"b.mp4" has colour transfer bt709 but "a.mp4" has unknown'],
    ['colour space', withVideo({ colorSpace: 'bt709' }), '"b.mp4" has colour space bt709 but "a.mp4" has unknown'],
    ['colour range', withVideo({ colorRange: 'pc' }), '"b.mp4" has colour range pc but "a.mp4" has unknown'],
    [
      'extradata hash',
      withVideo({ extradataHash: 'SHA256:9999999999999999' }),
      '"b.mp4" has video parameter sets (extradata) 999999999999 but "a.mp4" has 111111111111',
    ],
    [
      'extradata hash unknown on one side',
      withVideo({ extradataHash: undefined }),
      '"b.mp4" has video parameter sets (extradata) unknown but "a.mp4" has 111111111111',
    ],
    ['field order (progressive vs unknown)', withVideo({ fieldOrder: '' }), '"b.mp4" has field order unknown but "a.mp4" has progressive'],
    ['pixel format', withVideo({ pixFmt: 'yuv444p' }), 'fragment "b.mp4" has pixel format yuv444p, not yuv420p'],
    ['rotation', withVideo({ rotation: 90 }), 'fragment "b.mp4" is rotated 90 degrees'],
    ['variable frame rate', withVideo({ variableFrameRate: true }), 'fragment "b.mp4" has a variable frame rate'],
    ['interlaced', withVideo({ fieldOrder: 'tt' }), 'fragment "b.mp4" is interlaced (field order tt)'],
    ['unknown frame count', withVideo({ frameCount: undefined }), 'the frame count of fragment "b.mp4" is unknown'],
    ['no video', { ...LAND, video: undefined }, 'fragment "b.mp4" has no video stream'],
    ['audio in one fragment only', { ...LAND, audio: undefined }, '"b.mp4" has no audio stream but "a.mp4" has one'],
  ];
  it.each(cases)('%s alone sends the job to encode, named in the reason', (_field, b, reason) => {
    expect(decide(b)).toEqual({ path: 'encode', reason });
  });

  it('a trimmed fragment goes to encode', () => {
    expect(decide(LAND, tpl(), { trimmed: true })).toEqual({ path: 'encode', reason: 'fragment "b.mp4" is trimmed' });
  });

  it('parameter sets unknown in every fragment (in-band, or an older probe) do not block; audio fields only matter to the audio encode', () => {
    expect(decideCopyPath({ template: tpl(), sources: [frag('a', fixture), frag('b', fixture)], watermarks: 0, audioOut: true }).path).toBe(
      'hybrid',
    );
    const otherAudio: MediaProbe = {
      ...LAND,
      audio: { ...LAND.audio!, codec: 'mp3', sampleRate: 44100, channels: 1, channelLayout: 'mono', profile: '', extradataHash: undefined },
    };
    expect(decide(otherAudio).path).toBe('hybrid');
  });
});

describe('decideCopyPath: the request', () => {
  const cases: [string, Partial<ConcatTemplate>, string][] = [
    ['Video.Crf', { video: { codec: 'H.264', crf: 23, remove: false } }, 'Video.Crf is set'],
    ['Video.Bitrate', { video: { codec: 'H.264', bitrate: 800, remove: false } }, 'Video.Bitrate is set'],
    ['Video.Width', { video: { codec: 'H.264', width: 640, remove: false } }, "Video.Width 640 differs from the fragments' 1280"],
    ['Video.Height', { video: { codec: 'H.264', height: 360, remove: false } }, "Video.Height 360 differs from the fragments' 720"],
    ['Video.Fps', { video: { codec: 'H.264', fps: 25, remove: false } }, "Video.Fps 25 differs from the fragments' 30"],
    ['Video.Profile', { video: { codec: 'H.264', profile: 'main', remove: false } }, "Video.Profile main differs from the fragments' High"],
    ['Video.Rotate', { video: { codec: 'H.264', rotate: 90, remove: false } }, 'Video.Rotate is set'],
    ['Video.Remove', { video: { codec: 'H.264', remove: true } }, 'Video.Remove is set: the output has no picture to copy'],
    ['SceneChangeInfo', { sceneChangeInfo: { mode: 'FADE', time: 1 } }, 'SceneChangeInfo FADE blends the joins'],
    ['AudioMix', { audioMix: { audioSource: 'm.mp3', mixMode: 'Once', replace: false } }, 'AudioMix mixes in background audio'],
    ['AudioMixArray', { audioMixArray: [{ audioSource: 'm.mp3', mixMode: 'Once', replace: false }] }, 'AudioMix mixes in background audio'],
    ['Container hls', { container: { format: 'hls' } }, 'Container hls: segments are cut at forced keyframes, so the picture is encoded'],
    ['Container mp3', { container: { format: 'mp3' } }, 'Container mp3 holds audio only'],
    ['Container aac', { container: { format: 'aac' } }, 'Container aac holds audio only'],
  ];
  it.each(cases)('%s sends the job to encode', (_what, over, reason) => {
    expect(decide(LAND, tpl(over))).toEqual({ path: 'encode', reason });
  });

  it('a watermark sends the job to encode', () => {
    expect(decide(LAND, tpl(), { watermarks: 1 })).toEqual({ path: 'encode', reason: 'a Watermark is drawn on the picture' });
  });

  it('what equals the sources, or changes only the audio, still copies; ts and flv carry the copied picture', () => {
    const same = tpl({
      video: { codec: 'H.264', width: 1280, height: 720, fps: 30, profile: 'high', rotate: 0, bitrate: 'auto', remove: false },
      audio: { codec: 'mp3', samplerate: 44100, channels: 1, bitrate: 64, remove: false },
      sceneChangeInfo: { mode: 'Default', time: 3 },
    });
    expect(decide(LAND, same).path).toBe('hybrid');
    expect(decide(LAND, tpl({ container: { format: 'ts' } })).path).toBe('hybrid');
    expect(decide(LAND, tpl({ container: { format: 'flv' } })).path).toBe('hybrid');
    const baseline = withVideo({ profile: 'Constrained Baseline' });
    expect(
      decideCopyPath({
        template: tpl({ video: { codec: 'H.264', profile: 'baseline', remove: false } }),
        sources: [frag('a', baseline), frag('b', baseline)],
        watermarks: 0,
        audioOut: true,
      }).path,
    ).toBe('hybrid');
  });
});

describe('planConcat with autoCopy', () => {
  const src = (label: string, p: MediaProbe, extra: Partial<PlanSource> = {}): PlanSource => ({
    path: `/in/${label}`,
    label,
    probe: p,
    ...extra,
  });
  const plan = (sources: PlanSource[], template = tpl(), autoCopy = true) =>
    planConcat({ sources, template, bgm: [], outputPath: '/out/o.mp4', autoCopy });

  it('keyframes: a fragment that is open-GOP, does not start with an IDR picture, or whose keyframes could not be read is encoded', () => {
    const scanned = (keyframes: NonNullable<CopySource['keyframes']>): CopySource => ({ ...frag('b.mp4', LAND), keyframes });
    const closed = { keyframes: 4, idr: 4, firstIsIdr: true, unreadable: false };
    const pathOf = (b: CopySource) =>
      decideCopyPath({ template: tpl(), sources: [{ ...frag('a.mp4', LAND), keyframes: closed }, b], watermarks: 0, audioOut: true });
    expect(pathOf(scanned(closed)).path).toBe('hybrid');
    expect(pathOf(scanned({ ...closed, idr: 1 }))).toEqual({
      path: 'encode',
      reason: 'fragment "b.mp4" is open-GOP (3 of its 4 keyframes are not IDR pictures)',
    });
    expect(pathOf(scanned({ ...closed, firstIsIdr: false }))).toEqual({
      path: 'encode',
      reason: 'fragment "b.mp4" does not start with an IDR picture',
    });
    expect(pathOf(scanned({ keyframes: 0, idr: 0, firstIsIdr: false, unreadable: true }))).toEqual({
      path: 'encode',
      reason: 'the keyframes of fragment "b.mp4" could not be read',
    });
  });

  it('hybrid: the DirectConcat plan with the Audio settings, path and reason', () => {
    const audio = { codec: 'aac' as const, samplerate: 44100, channels: 1, bitrate: 96, remove: false };
    expect(plan([src('a.mp4', LAND), src('b.mp4', LAND)], tpl({ audio }))).toEqual({
      kind: 'copy',
      path: 'hybrid',
      reason: 'fragments match: picture copied, audio re-encoded once so every join stays in sync',
      outputPath: '/out/o.mp4',
      workDir: '/out',
      durationSec: 20,
      container: { format: 'mp4', muxer: 'mp4', faststart: true },
      segments: [
        { path: '/in/a.mp4', label: 'a.mp4', durationSec: 10, videoDurationSec: 10, frames: 300 },
        { path: '/in/b.mp4', label: 'b.mp4', durationSec: 10, videoDurationSec: 10, frames: 300 },
      ],
      listFilePath: '/out/o.concat.txt',
      video: true,
      audio: true,
      fps: 30,
      listStream: { exactStreamId: 1 },
      audioEncode: { codec: 'aac', encoder: 'aac', sampleRate: 44100, channels: 1, channelLayout: 'mono', bitrateKbps: 96 },
      parts: { pictureFile: '/out/o.picture.mp4', audioFile: '/out/o.audio.mp4' },
    });
  });

  it('full copy: fragments without audio, or Audio.Remove', () => {
    expect(plan([src('a.mp4', MUTE), src('b.mp4', MUTE)])).toMatchObject({ kind: 'copy', path: 'copy', video: true, audio: false });
    const removed = plan([src('a.mp4', LAND), src('b.mp4', LAND)], tpl({ audio: { codec: 'aac', remove: true } }));
    expect(removed).toMatchObject({ kind: 'copy', path: 'copy', video: true, audio: false, listStream: { exactStreamId: 1 } });
    expect(removed).not.toHaveProperty('audioEncode');
  });

  it('a job that cannot be copied gets the same encode plan as with autoCopy off, with the reason', () => {
    const sources = [src('a.mp4', LAND, { startTime: 1 }), src('b.mp4', LAND)];
    const on = plan(sources);
    const off = plan(sources, tpl(), false);
    expect(on).toEqual({ ...off, reason: 'fragment "a.mp4" is trimmed' });
    expect(off).toMatchObject({ kind: 'encode', path: 'encode', reason: 'automatic stream copy is off (AUTO_COPY)' });
    // StartTime 0 without EndTime uses the whole clip: not a trim.
    expect(plan([src('a.mp4', LAND, { startTime: 0 }), src('b.mp4', LAND)]).path).toBe('hybrid');
  });

  it('an invalid request is refused the same way whichever path it would take', () => {
    const bad = tpl({ audio: { codec: 'aac', samplerate: 12345, remove: false } });
    expect(planError(() => plan([src('a.mp4', LAND)], bad)).message).toBe(planError(() => plan([src('a.mp4', LAND)], bad, false)).message);
  });
});

describe('DirectConcat refuses the new differences too', () => {
  const direct = (b: MediaProbe) =>
    planConcat({
      sources: [
        { path: '/in/a.mp4', label: 'a.mp4', probe: LAND },
        { path: '/in/b.mp4', label: 'b.mp4', probe: b },
      ],
      template: tpl({ directConcat: true }),
      bgm: [],
      outputPath: '/o/o.mp4',
    });

  it('names the field', () => {
    expect(planError(() => direct(withVideo({ hasBFrames: 0 }))).message).toBe(
      'cannot stream-copy: "b.mp4" has B-frame reorder depth (has_b_frames) 0 but "a.mp4" has 2; set DirectConcat to false to re-encode',
    );
    expect(planError(() => direct(withVideo({ extradataHash: 'SHA256:9999999999999999' }))).message).toBe(
      'cannot stream-copy: "b.mp4" has video parameter sets (extradata) 999999999999 but "a.mp4" has 111111111111; set DirectConcat to false to re-encode',
    );
  });

  it('but joins a differing time base (the demuxer rescales it) and differing audio details it re-encodes', () => {
    expect(direct(withVideo({ timeBase: '1/90000' }))).toMatchObject({ kind: 'copy', path: 'hybrid', reason: 'DirectConcat' });
    expect(direct({ ...LAND, audio: { ...LAND.audio!, profile: 'HE-AAC', extradataHash: undefined } })).toMatchObject({ path: 'hybrid' });
  });

  it('an audio-only copy compares what a copied audio stream keeps', () => {
    const mp3 = (p: MediaProbe) =>
      planError(() =>
        planConcat({
          sources: [
            { path: '/in/a.mp4', label: 'a.mp4', probe: LAND },
            { path: '/in/b.mp4', label: 'b.mp4', probe: p },
          ],
          template: tpl({ directConcat: true, container: { format: 'aac' } }),
          bgm: [],
          outputPath: '/o/o.aac',
        }),
      ).message;
    expect(mp3({ ...LAND, audio: { ...LAND.audio!, profile: 'HE-AAC' } })).toBe(
      'cannot stream-copy: "b.mp4" has audio profile HE-AAC but "a.mp4" has LC; set DirectConcat to false to re-encode',
    );
    expect(mp3({ ...LAND, audio: { ...LAND.audio!, channelLayout: 'downmix' } })).toBe(
      'cannot stream-copy: "b.mp4" has audio channel layout downmix but "a.mp4" has stereo; set DirectConcat to false to re-encode',
    );
    expect(mp3({ ...LAND, audio: { ...LAND.audio!, extradataHash: 'SHA256:3333333333333333' } })).toBe(
      'cannot stream-copy: "b.mp4" has audio decoder configuration (extradata) 333333333333 but "a.mp4" has 222222222222; set DirectConcat to false to re-encode',
    );
  });
});
