// The list parameters GET /jobs and GET /workflowexecution share: one reader, one set of words.
import { describe, expect, it } from 'vitest';
import { commaList, listParams } from '../../src/api/query.js';
import { CiFailure } from '../../src/domain/errors.js';
import { newId } from '../../src/domain/ids.js';

const STATES = ['Submitted', 'Running', 'Success', 'Failed'] as const;

function refusal(fn: () => unknown): { code: string; status: number; message: string } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CiFailure);
    const e = err as CiFailure;
    return { code: e.code, status: e.status, message: e.message };
  }
  throw new Error('expected a refusal');
}

describe('listParams', () => {
  it('defaults: 10 a page, newest first, every state, no bounds', () => {
    expect(listParams({}, STATES, 'job')).toEqual({
      size: 10,
      order: 'Desc',
      states: undefined,
      nextToken: undefined,
      startMs: undefined,
      endMs: undefined,
    });
  });

  it('an empty orderByTime is the default, Desc', () => {
    expect(listParams({ orderByTime: '' }, STATES, 'job').order).toBe('Desc');
    expect(listParams({ orderByTime: 'Asc' }, STATES, 'job').order).toBe('Asc');
    expect(refusal(() => listParams({ orderByTime: 'asc' }, STATES, 'job'))).toEqual({
      code: 'InvalidArgument',
      status: 400,
      message: 'orderByTime: must be Desc or Asc, got "asc"',
    });
  });

  it('states: trimmed, empty entries skipped, duplicates dropped, All anywhere means every state', () => {
    expect(listParams({ states: 'Running, Failed,,Running' }, STATES, 'instance').states).toEqual(['Running', 'Failed']);
    expect(listParams({ states: 'Running, All' }, STATES, 'job').states).toBeUndefined();
    expect(refusal(() => listParams({ states: 'Running,Done' }, STATES, 'job')).message).toBe(
      'states: unknown state "Done"; use All or a comma list of Submitted, Running, Success, Failed',
    );
  });

  it('size must be an integer in [1, 100]', () => {
    expect(listParams({ size: '100' }, STATES, 'job').size).toBe(100);
    expect(refusal(() => listParams({ size: '0' }, STATES, 'job')).message).toBe('size: must be an integer in [1, 100], got "0"');
    expect(refusal(() => listParams({ size: '1e2' }, STATES, 'job')).message).toBe('size: must be an integer in [1, 100], got "1e2"');
  });

  it('time bounds: the end takes in its whole second; a start after the end is refused', () => {
    const p = listParams({ startCreationTime: '2022-06-27T15:23:10+0800', endCreationTime: '2022-06-27T15:23:10 0800' }, STATES, 'job');
    expect(p.startMs).toBe(Date.UTC(2022, 5, 27, 7, 23, 10));
    expect(p.endMs).toBe(Date.UTC(2022, 5, 27, 7, 23, 10) + 999);
    expect(
      refusal(() =>
        listParams({ startCreationTime: '2022-06-27T15:23:11+0800', endCreationTime: '2022-06-27T15:23:10+0800' }, STATES, 'job'),
      ).message,
    ).toBe('startCreationTime: must not be after endCreationTime');
    expect(refusal(() => listParams({ startCreationTime: 'yesterday' }, STATES, 'job')).message).toBe(
      'startCreationTime: must look like 2022-06-27T15:23:10+0800, got "yesterday"',
    );
  });

  it('nextToken must be an id of the listed kind', () => {
    const token = newId('job', Date.now());
    expect(listParams({ nextToken: token }, STATES, 'job').nextToken).toBe(token);
    expect(refusal(() => listParams({ nextToken: 'j123' }, STATES, 'job')).message).toBe('nextToken: is not a token this API returned');
  });
});

describe('commaList', () => {
  it('trims, drops empty entries and repeats, keeps the first-seen order', () => {
    expect(commaList(' b, a,,b ,c,')).toEqual(['b', 'a', 'c']);
    expect(commaList('')).toEqual([]);
  });
});
