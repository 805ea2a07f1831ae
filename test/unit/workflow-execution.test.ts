import { describe, expect, it } from 'vitest';
import { expandWorkflowOutput, formatCallbackTime, formatRfc3339 } from '../../src/domain/workflow-execution.js';

describe('expandWorkflowOutput', () => {
  it.each([
    ['out/${InputPath}/${InputName}.${Ext}', 'in/a/clip.mp4', 'out/in/a/clip.${Ext}'],
    ['${InputNameAndExt}_${RunId}.${Ext}', 'test1.mp4', 'test1.mp4_i123.${Ext}'],
    ['${inputname}-${runid}-${jobid}.${ext}', 'dir/x.y.mov', 'x.y-i123-${jobid}.${ext}'],
    ['${InputPath}/${InputName}', 'noext', 'noext'],
    ['a//${InputPath}//b', 'k.mp4', 'a/b'],
  ])('expands %s for %s', (template, input, expected) => {
    expect(expandWorkflowOutput(template, input, 'i123')).toBe(expected);
  });
});

describe('execution time formats', () => {
  it('uses +hh:mm for the execution APIs and a space for the WorkflowFinish notification', () => {
    const ms = Date.UTC(2022, 7, 9, 6, 54, 17);
    expect(formatRfc3339(ms)).toMatch(/^2022-08-09T\d{2}:54:17[+-]\d{2}:\d{2}$/);
    expect(formatCallbackTime(ms)).toMatch(/^2022-08-09 \d{2}:54:17[+-]\d{4}$/);
  });
});
