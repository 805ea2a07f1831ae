// The storage as a job sees it: a resolved source (an object, or an allowed HTTP URL) fetched into a
// local file within the job's input budget, an output uploaded, the output bucket checked. This is
// the adapter the worker's runner is given; its failures are StorageErrors.
import type { S3Client } from '@aws-sdk/client-s3';
import { downloadUrl } from './http-fetch.js';
import { assertBucketExists, downloadObject, uploadFile, type ByteBudget } from './objects.js';
import type { SourceRef } from './resolve-url.js';
import { removeObjectsUnder } from './temp-objects.js';
import type { RetryNotice, StoreRetry } from './store-retry.js';

/** The storage as the worker's runner uses it (worker/ports.ts names it ObjectsPort). Each method tries
 * again while the store does not answer, for a bounded time, telling `notice` of each retry; then it fails
 * with ServiceUnavailable. */
export interface JobObjects {
  /**
   * Streams a resolved source into `file`, counting its bytes against `budget`. Returns the object key
   * found (the URL's path for an HTTP source) and the bytes written.
   */
  fetch(
    source: SourceRef,
    file: string,
    signal: AbortSignal,
    budget: ByteBudget,
    notice?: RetryNotice,
  ): Promise<{ key: string; bytes: number }>;
  /** Uploads a local file with its content type and user metadata; returns its MD5 (hex). */
  upload(
    bucket: string,
    key: string,
    file: string,
    contentType: string,
    metadata: Record<string, string>,
    notice?: RetryNotice,
  ): Promise<string>;
  /** Resolves when `bucket` exists and can be used; rejects with a failure naming `field` otherwise. */
  bucketExists(bucket: string, field: string, notice?: RetryNotice): Promise<void>;
  /** Deletes every object under a key prefix (temp-objects.ts); resolves to how many went. */
  removePrefix(bucket: string, prefix: string, notice?: RetryNotice): Promise<number>;
}

/** `retry`: how long calls to a store that does not answer are tried again (store-retry.ts). */
export function jobObjectsOf(s3: S3Client, retry: StoreRetry): JobObjects {
  return {
    async fetch(source, file, signal, budget, notice) {
      if (source.kind === 'object') return downloadObject(s3, source.ref, file, signal, budget, retry, notice);
      // An HTTP source is named by its path, like an object by its key.
      return { key: new URL(source.url).pathname, ...(await downloadUrl(source.url, file, signal, budget)) };
    },
    upload: (bucket, key, file, contentType, metadata, notice) => uploadFile(s3, bucket, key, file, contentType, metadata, retry, notice),
    bucketExists: (bucket, field, notice) => assertBucketExists(s3, bucket, field, retry, notice),
    removePrefix: (bucket, prefix, notice) => removeObjectsUnder(s3, bucket, prefix, retry, notice),
  };
}
