// The error family: one table of Codes and statuses, and the translation of any error into the Code and
// Message a Failed job reports.
import { describe, expect, it } from 'vitest';
import { CiError } from '../../src/api/errors.js';
import { CiFailure, failureOf } from '../../src/domain/errors.js';
import { ValidationError } from '../../src/domain/validation-error.js';
import { MediaPlanError } from '../../src/media/errors.js';
import { AddressRefused } from '../../src/net/address-policy.js';
import { StorageError } from '../../src/storage/errors.js';
import { JobLimitError } from '../../src/worker/job-error.js';

describe('CiFailure', () => {
  it('carries the Code users read and the status of its table row', () => {
    expect(new CiFailure('QueuePaused', 'paused')).toMatchObject({ code: 'QueuePaused', status: 403, message: 'paused' });
    expect(new CiFailure('ServiceUnavailable', 'later')).toMatchObject({ code: 'ServiceUnavailable', status: 503 });
  });

  it('keeps the wire Code CI reuses under a second status', () => {
    expect(new CiError('Forbidden', 'not this bucket')).toMatchObject({ code: 'AccessDenied', status: 403 });
    expect(new CiError('AccessDenied', 'bad key')).toMatchObject({ code: 'AccessDenied', status: 401 });
    expect(new CiError('ContentTooLarge', 'too big')).toMatchObject({ code: 'InvalidContent', status: 413 });
  });

  it('names the field a validation failure is about, in its message too', () => {
    const e = new ValidationError('Request.Operation.Output.Object', 'is required');
    expect(e).toBeInstanceOf(CiFailure);
    expect(e).toMatchObject({ code: 'InvalidArgument', status: 400, field: 'Request.Operation.Output.Object' });
    expect(e.message).toBe('Request.Operation.Output.Object: is required');
    expect(e.name).toBe('ValidationError');
  });

  it('every layer reports through the same base', () => {
    for (const e of [
      new MediaPlanError('ResourceNotSupported', 'no video'),
      new StorageError('ResourceNotFound', 'no such key'),
      new JobLimitError('ResourceLimitExceeded', 'too long'),
      new AddressRefused('169.254.169.254 is link-local'),
    ]) {
      expect(e).toBeInstanceOf(CiFailure);
    }
    expect(new AddressRefused('x').code).toBe('ResourceAccessDenied');
  });
});

describe('failureOf', () => {
  it('reports a CiFailure with its own Code and message', () => {
    expect(failureOf(new StorageError('ResourceNotFound', 'clips/a.mp4 does not exist'))).toEqual({
      code: 'ResourceNotFound',
      message: 'clips/a.mp4 does not exist',
    });
    expect(failureOf(new JobLimitError('InsufficientStorage', 'disk full'))).toEqual({ code: 'InsufficientStorage', message: 'disk full' });
  });

  it('reports anything else as InternalError, whatever code it carries', () => {
    const enoent = Object.assign(new Error('open /x: no such file'), { code: 'ENOENT' });
    expect(failureOf(enoent)).toEqual({ code: 'InternalError', message: 'internal error: open /x: no such file' });
    expect(failureOf('boom')).toEqual({ code: 'InternalError', message: 'internal error: boom' });
  });
});
