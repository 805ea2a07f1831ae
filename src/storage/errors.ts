// Why an object could not be moved between the storage and a job: a missing or refused object or
// bucket, a broken download, a failed upload, a store that did not answer for the retry time. A job
// that meets one ends Failed with its Code.
import { CiFailure } from '../domain/errors.js';

type StorageErrorCode = 'ResourceNotFound' | 'ResourceAccessDenied' | 'ResourceDownloadFailed' | 'InternalError' | 'ServiceUnavailable';

export class StorageError extends CiFailure {
  declare readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string) {
    super(code, message);
  }
}
