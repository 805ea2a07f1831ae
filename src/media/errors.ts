// The media layer's two failures, each carrying the CI Code a Failed job reports (JobsDetail.Code):
// planning refusals (bad parameters or unusable files, known before ffmpeg runs) and process failures.

export type MediaPlanErrorCode = 'InvalidArgument' | 'ResourceNotSupported';

export class MediaPlanError extends Error {
  constructor(
    readonly code: MediaPlanErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'MediaPlanError';
  }
}

export type MediaProcessErrorCode = 'InternalError' | 'JobTimeout' | 'Canceled' | 'ResourceNotSupported';

export class MediaProcessError extends Error {
  constructor(
    readonly code: MediaProcessErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'MediaProcessError';
  }
}
