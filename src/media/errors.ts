// The media layer's two failures, each carrying the CI Code a Failed job reports (JobsDetail.Code):
// planning refusals (bad parameters or unusable files, known before ffmpeg runs) and process failures.
import { CiFailure } from '../domain/errors.js';

type MediaPlanErrorCode = 'InvalidArgument' | 'ResourceNotSupported';

export class MediaPlanError extends CiFailure {
  declare readonly code: MediaPlanErrorCode;

  constructor(code: MediaPlanErrorCode, message: string) {
    super(code, message);
  }
}

type MediaProcessErrorCode = 'InternalError' | 'JobTimeout' | 'Canceled' | 'ResourceNotSupported';

export class MediaProcessError extends CiFailure {
  declare readonly code: MediaProcessErrorCode;

  constructor(code: MediaProcessErrorCode, message: string) {
    super(code, message);
  }
}
