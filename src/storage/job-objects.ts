// The storage as a job sees it: a resolved source (an object, or an allowed HTTP URL) fetched into a
// local file within the job's input budget, an output uploaded, the output bucket checked. This is
// the adapter the worker's runner is given; its failures are StorageErrors.
import type { S3Client } from '@aws-sdk/client-s3';
import { downloadUrl } from './http-fetch.js';
import { assertBucketExists, downloadObject, uploadFile, type ByteBudget } from './objects.js';
import type { SourceRef } from './resolve-url.js';

interface JobObjects {
  fetch(source: SourceRef, file: string, signal: AbortSignal, budget: ByteBudget): Promise<{ key: string; bytes: number }>;
  upload(bucket: string, key: string, file: string, contentType: string, metadata: Record<string, string>): Promise<string>;
  bucketExists(bucket: string, field: string): Promise<void>;
}

export function jobObjectsOf(s3: S3Client): JobObjects {
  return {
    async fetch(source, file, signal, budget) {
      if (source.kind === 'object') return downloadObject(s3, source.ref, file, signal, budget);
      // An HTTP source is named by its path, like an object by its key.
      return { key: new URL(source.url).pathname, ...(await downloadUrl(source.url, file, signal, budget)) };
    },
    upload: (bucket, key, file, contentType, metadata) => uploadFile(s3, bucket, key, file, contentType, metadata),
    bucketExists: (bucket, field) => assertBucketExists(s3, bucket, field),
  };
}
