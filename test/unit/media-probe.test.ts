// ffprobe JSON -> MediaProbe and CI MediaInfo, over frozen ffprobe outputs.
import { describe, expect, it } from 'vitest';
import { normalizeProbe, parseRate, toMediaInfo, type FfprobeJson } from '../../src/media/probe.js';
import { loadProbeFixture } from '../helpers/media.js';

describe('toMediaInfo', () => {
  it('maps an mp4 with H.264 and AAC to the CI MediaInfo tree, all strings, bitrates in kbps', () => {
    expect(toMediaInfo(loadProbeFixture('landscape-1280x720-30fps-aac'))).toEqual({
      Format: {
        NumStream: '2',
        NumProgram: '0',
        FormatName: 'mov,mp4,m4a,3gp,3g2,mj2',
        FormatLongName: 'QuickTime / MOV',
        StartTime: '0.000000',
        Duration: '10.000000',
        Bitrate: '1186.875000',
        Size: '1483594',
      },
      Stream: {
        Video: [
          {
            Index: '0',
            CodecName: 'h264',
            CodecLongName: 'H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10',
            CodecTimeBase: '1/15360',
            CodecTagString: 'avc1',
            CodecTag: '0x31637661',
            ColorPrimaries: 'unknown',
            ColorRange: 'unknown',
            ColorTransfer: 'unknown',
            Profile: 'High',
            Width: '1280',
            Height: '720',
            HasBFrame: '2',
            RefFrames: '1',
            Sar: '1:1',
            Dar: '16:9',
            PixFormat: 'yuv420p',
            FieldOrder: 'progressive',
            Level: '31',
            Fps: '30.000000',
            AvgFps: '30.000000',
            Timebase: '1/15360',
            StartTime: '0.000000',
            Duration: '10.000000',
            Bitrate: '1048.881000',
            NumFrames: '300',
            Language: 'und',
            Rotation: '0.000000',
          },
        ],
        Audio: [
          {
            Index: '1',
            CodecName: 'aac',
            CodecLongName: 'AAC (Advanced Audio Coding)',
            CodecTimeBase: '1/48000',
            CodecTagString: 'mp4a',
            CodecTag: '0x6134706d',
            SampleFmt: 'fltp',
            SampleRate: '48000',
            Channel: '2',
            ChannelLayout: 'stereo',
            Timebase: '1/48000',
            StartTime: '0.000000',
            Duration: '10.000000',
            Bitrate: '128.046000',
            Language: 'und',
          },
        ],
        Subtitle: [],
      },
    });
  });

  it('reports the display rotation and the coded size, as ffprobe does', () => {
    const info = toMediaInfo(loadProbeFixture('rotated-1280x720-rot90-aac'));
    expect(info.Stream.Video.map((v) => [v.Width, v.Height, v.Rotation])).toEqual([['1280', '720', '90.000000']]);
  });

  it('maps an audio-only mp3 with no video entries', () => {
    const info = toMediaInfo(loadProbeFixture('music-44100-stereo-mp3'));
    expect(info.Format).toEqual({
      NumStream: '1',
      NumProgram: '0',
      FormatName: 'mp3',
      FormatLongName: 'MP2/3 (MPEG audio layer 2/3)',
      StartTime: '0.025057',
      Duration: '6.034286',
      Bitrate: '128.611000',
      Size: '97010',
    });
    expect(info.Stream.Video).toEqual([]);
    expect(info.Stream.Audio.map((a) => [a.CodecName, a.SampleRate, a.Channel, a.Bitrate, a.Language])).toEqual([
      ['mp3', '44100', '2', '128.000000', 'und'],
    ]);
  });
});

describe('normalizeProbe', () => {
  it('landscape H.264 + AAC', () => {
    expect(normalizeProbe(loadProbeFixture('landscape-1280x720-30fps-aac'))).toEqual({
      durationSec: 10,
      formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
      video: {
        codec: 'h264',
        width: 1280,
        height: 720,
        fps: 30,
        pixFmt: 'yuv420p',
        profile: 'High',
        level: 31,
        bitrateKbps: 1048.881,
        rotation: 0,
        frameCount: 300,
        durationSec: 10,
        streamId: 1,
        timeBase: '1/15360',
        hasBFrames: 2,
        sar: '1:1',
        fieldOrder: 'progressive',
        colorPrimaries: 'unknown',
        colorTransfer: 'unknown',
        colorSpace: 'unknown',
        colorRange: 'unknown',
        variableFrameRate: false,
      },
      audio: {
        codec: 'aac',
        sampleRate: 48000,
        channels: 2,
        channelLayout: 'stereo',
        bitrateKbps: 128.046,
        profile: 'LC',
        durationSec: 10,
      },
    });
  });

  it('portrait with mono audio', () => {
    expect(normalizeProbe(loadProbeFixture('portrait-720x1280-25fps-aac'))).toEqual({
      durationSec: 8,
      formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
      video: {
        codec: 'h264',
        width: 720,
        height: 1280,
        fps: 25,
        pixFmt: 'yuv420p',
        profile: 'Main',
        level: 31,
        bitrateKbps: 977.246,
        rotation: 0,
        frameCount: 200,
        durationSec: 8,
        streamId: 1,
        timeBase: '1/12800',
        hasBFrames: 2,
        sar: '1:1',
        fieldOrder: 'progressive',
        colorPrimaries: 'unknown',
        colorTransfer: 'unknown',
        colorSpace: 'unknown',
        colorRange: 'unknown',
        variableFrameRate: false,
      },
      audio: { codec: 'aac', sampleRate: 44100, channels: 1, channelLayout: 'mono', bitrateKbps: 64.463, profile: 'LC', durationSec: 8 },
    });
  });

  it('a rotated clip reports its display size', () => {
    const p = normalizeProbe(loadProbeFixture('rotated-1280x720-rot90-aac'));
    expect([p.durationSec, p.video?.width, p.video?.height, p.video?.rotation]).toEqual([6.134, 720, 1280, 90]);
  });

  it('video without audio, odd width, mp3', () => {
    const noAudio = normalizeProbe(loadProbeFixture('video-640x360-30fps-noaudio'));
    expect(noAudio.audio).toBeUndefined();
    expect(noAudio.video).toMatchObject({ width: 640, height: 360, fps: 30 });
    expect(normalizeProbe(loadProbeFixture('odd-641x360-24fps-yuv444p')).video).toMatchObject({
      width: 641,
      height: 360,
      fps: 24,
      pixFmt: 'yuv444p',
      profile: 'High 4:4:4 Predictive',
    });
    expect(normalizeProbe(loadProbeFixture('music-44100-stereo-mp3'))).toEqual({
      durationSec: 6.034286,
      formatName: 'mp3',
      audio: {
        codec: 'mp3',
        sampleRate: 44100,
        channels: 2,
        channelLayout: 'stereo',
        bitrateKbps: 128,
        profile: '',
        durationSec: 6.034286,
      },
    });
  });

  it('ignores cover art, reads the legacy rotate tag, falls back to r_frame_rate', () => {
    const json: FfprobeJson = {
      format: { format_name: 'mp4', duration: '3.5' },
      streams: [
        { index: 0, codec_type: 'video', codec_name: 'mjpeg', width: 500, height: 500, disposition: { attached_pic: 1 } },
        {
          index: 1,
          codec_type: 'video',
          codec_name: 'h264',
          width: 1920,
          height: 1080,
          avg_frame_rate: '0/0',
          r_frame_rate: '30000/1001',
          tags: { rotate: '270' },
        },
        { index: 2, codec_type: 'audio', codec_name: 'opus', sample_rate: '48000', channels: 6 },
      ],
    };
    expect(normalizeProbe(json)).toEqual({
      durationSec: 3.5,
      formatName: 'mp4',
      video: {
        codec: 'h264',
        width: 1080,
        height: 1920,
        fps: 30000 / 1001,
        pixFmt: 'unknown',
        profile: '',
        level: 0,
        rotation: 270,
        timeBase: '',
        hasBFrames: 0,
        sar: '',
        fieldOrder: '',
        colorPrimaries: 'unknown',
        colorTransfer: 'unknown',
        colorSpace: 'unknown',
        colorRange: 'unknown',
        // avg_frame_rate 0/0 says nothing: not known to be variable.
        variableFrameRate: false,
      },
      audio: { codec: 'opus', sampleRate: 48000, channels: 6, channelLayout: '5.1', profile: '' },
    });
  });

  it('negative display-matrix rotation becomes 0..359, and rates parse', () => {
    const json: FfprobeJson = {
      streams: [{ index: 0, codec_type: 'video', width: 4, height: 2, side_data_list: [{ rotation: -90 }], duration: '2' }],
    };
    expect(normalizeProbe(json).video).toMatchObject({ width: 2, height: 4, rotation: 270 });
    expect(normalizeProbe(json).durationSec).toBe(2);
    expect([parseRate('25/1'), parseRate('0/0'), parseRate(undefined), parseRate('24')]).toEqual([25, undefined, undefined, 24]);
  });

  it('carries what a stream copy compares: parameter-set hashes, timing, field order, colour tags, audio length', () => {
    const json: FfprobeJson = {
      format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '2.0' },
      streams: [
        {
          index: 0,
          codec_type: 'video',
          codec_name: 'h264',
          width: 320,
          height: 240,
          r_frame_rate: '30/1',
          avg_frame_rate: '2997/100',
          time_base: '1/90000',
          has_b_frames: 1,
          sample_aspect_ratio: '4:3',
          field_order: 'tt',
          color_primaries: 'bt709',
          color_transfer: 'bt709',
          color_space: 'bt709',
          color_range: 'tv',
          extradata_hash: 'SHA256:aaaa',
        },
        {
          index: 1,
          codec_type: 'audio',
          codec_name: 'aac',
          sample_rate: '48000',
          channels: 1,
          duration: '2.021333',
          extradata_hash: 'SHA256:bbbb',
        },
      ],
    };
    const p = normalizeProbe(json);
    expect(p.video).toMatchObject({
      fps: 29.97,
      timeBase: '1/90000',
      hasBFrames: 1,
      sar: '4:3',
      fieldOrder: 'tt',
      colorPrimaries: 'bt709',
      colorTransfer: 'bt709',
      colorSpace: 'bt709',
      colorRange: 'tv',
      variableFrameRate: true,
      extradataHash: 'SHA256:aaaa',
    });
    expect(p.audio).toMatchObject({ extradataHash: 'SHA256:bbbb', durationSec: 2.021333 });
    // The CI MediaInfo tree does not change with them.
    expect(Object.keys(toMediaInfo(json).Stream.Video[0]!)).not.toContain('ExtradataHash');
    const constant = normalizeProbe({ streams: [{ ...json.streams![0]!, avg_frame_rate: '30/1' }] });
    expect(constant.video?.variableFrameRate).toBe(false);
  });
});
