// The process adapter's pure parts: which stderr line explains a failure, and progress lines.
import { describe, expect, it } from 'vitest';
import { ffmpegErrorLine, outTimeOf } from '../../src/media/ffmpeg.js';

describe('ffmpegErrorLine (stderr written with -loglevel level+warning)', () => {
  it('takes the specific error, not the generic consequences after it', () => {
    const stderr = [
      '[mp4 @ 0x55d] [warning] something harmless',
      '[libx264 @ 0x55e2822443c0] [error] width not divisible by 2 (321x240)',
      '[error] Error initializing output stream 0:0 -- Error while opening encoder for output stream #0:0 - maybe incorrect parameters such as bit_rate, rate, width or height',
      '[error] Conversion failed!',
    ].join('\n');
    expect(ffmpegErrorLine(stderr)).toBe('libx264: width not divisible by 2 (321x240)');
  });

  it('filtergraph and input errors', () => {
    expect(
      ffmpegErrorLine(
        "[AVFilterGraph @ 0x560207d54100] [error] No such filter: 'nosuchfilter'\n[fatal] Error initializing complex filters.\n[fatal] Invalid argument\n",
      ),
    ).toBe("AVFilterGraph: No such filter: 'nosuchfilter'");
    expect(ffmpegErrorLine('[error] /tmp/in.mp4: Invalid data found when processing input\n')).toBe(
      '/tmp/in.mp4: Invalid data found when processing input',
    );
  });

  it('falls back to the last generic error, then to the last plain line', () => {
    expect(ffmpegErrorLine('[error] Conversion failed!\n')).toBe('Conversion failed!');
    expect(ffmpegErrorLine('frame=1\nsomething odd happened\nprogress=end\n')).toBe('something odd happened');
    expect(ffmpegErrorLine('')).toBeUndefined();
  });
});

describe('outTimeOf (-progress pipe:1 lines)', () => {
  it('reads out_time_us, out_time_ms (also microseconds) and out_time', () => {
    expect([outTimeOf('out_time_us=1500000'), outTimeOf('out_time_ms=2500000'), outTimeOf('out_time=00:01:02.500000')]).toEqual([
      1.5, 2.5, 62.5,
    ]);
    expect([outTimeOf('out_time_us=N/A'), outTimeOf('frame=12'), outTimeOf('progress=continue')]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });
});
