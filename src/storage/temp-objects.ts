// Removing a folder of objects the engine wrote for itself (a split job's chunks under its temporary
// prefix): every key under the prefix is listed and deleted one by one, so any S3-compatible store
// does it, including those without multi-object delete.
import { DeleteObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { StorageError } from './errors.js';
import { withStoreRetry, type RetryNotice, type StoreRetry } from './store-retry.js';

/** Deletes every object whose key starts with `prefix`; returns how many went. A missing bucket removes nothing. */
export async function removeObjectsUnder(
  s3: S3Client,
  bucket: string,
  prefix: string,
  retry: StoreRetry,
  notice?: RetryNotice,
): Promise<number> {
  // An empty prefix would name the whole bucket.
  if (prefix === '') throw new Error('removeObjectsUnder: an empty prefix');
  let removed = 0;
  let token: string | undefined;
  try {
    do {
      const page = await withStoreRetry(
        retry,
        `listing ${prefix} in bucket ${bucket}`,
        undefined,
        () => s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })),
        notice,
      );
      for (const obj of page.Contents ?? []) {
        if (!obj.Key) continue;
        const key = obj.Key;
        await withStoreRetry(
          retry,
          `deleting ${key} from bucket ${bucket}`,
          undefined,
          () => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })),
          notice,
        );
        removed++;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchBucket') return removed;
    if (err instanceof StorageError) throw err;
    throw new StorageError('InternalError', `could not remove ${prefix} from bucket ${bucket}: ${(err as Error).message}`);
  }
  return removed;
}
