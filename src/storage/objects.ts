// Moving objects between the storage and a job's temp directory, as streams: a file is never held in
// memory whole. Uploads go multipart through @aws-sdk/lib-storage when they are large. Every call is
// tried again while the store does not answer, for a bounded time (store-retry.ts); a download or an
// upload that broke off starts over, so a store that comes back costs a delay only.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { pipeline as pipelineCb, Transform, type Readable } from 'node:stream';
import { GetObjectCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { CiFailure } from '../domain/errors.js';
import { StorageError } from './errors.js';
import type { ObjectRef } from './resolve-url.js';
import { isStoreUnavailable, withStoreRetry, type RetryNotice, type StoreRetry } from './store-retry.js';

/** A single try, for callers that do not retry. */
const ONCE: StoreRetry = { store: 'the storage', totalMs: 0 };

/**
 * A job's allowance of input bytes, shared by all its downloads; reserve() throws once it is spent,
 * and that error (a CiFailure) reaches the caller as it is, not as a failed download.
 */
export interface ByteBudget {
  reserve(bytes: number, what: string): void;
  /** Gives back bytes reserved for a download that broke off and starts over. */
  release(bytes: number): void;
}

/**
 * Counts what flows through against the budget: the announced length up front when there is one (so
 * an oversized object is refused before any byte is written), else every chunk as it arrives.
 */
export function budgetStream(budget: ByteBudget | undefined, announced: number | undefined, what: string): Transform {
  if (budget && announced !== undefined) budget.reserve(announced, what);
  const perChunk = budget !== undefined && announced === undefined;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      try {
        if (perChunk) budget.reserve(chunk.length, what);
        done(null, chunk);
      } catch (err) {
        done(err as Error);
      }
    },
  });
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

function isNotFound(err: unknown): boolean {
  const name = (err as { name?: string }).name;
  return name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchBucket' || statusOf(err) === 404;
}

/**
 * Streams the object to `dest`, trying the reference's candidate keys in turn. Returns the key found.
 * A missing object is ResourceNotFound naming it; a refused one ResourceAccessDenied; a store that does
 * not answer for the retry time ServiceUnavailable; anything else ResourceDownloadFailed.
 */
export async function downloadObject(
  s3: S3Client,
  ref: ObjectRef,
  dest: string,
  signal?: AbortSignal,
  budget?: ByteBudget,
  retry: StoreRetry = ONCE,
  notice?: RetryNotice,
): Promise<{ key: string; bytes: number }> {
  for (const key of ref.keys) {
    const got = await withStoreRetry(
      retry,
      `fetching ${key} from bucket ${ref.bucket}`,
      signal,
      () => downloadOnce(s3, ref.bucket, key, dest, signal, budget),
      notice,
    );
    if (got) return got;
  }
  throw new StorageError('ResourceNotFound', `object ${ref.keys[0]} does not exist in bucket ${ref.bucket}`);
}

/** One try of one key: undefined when it does not exist. The store's silence is thrown as it is, to be retried. */
async function downloadOnce(
  s3: S3Client,
  bucket: string,
  key: string,
  dest: string,
  signal?: AbortSignal,
  budget?: ByteBudget,
): Promise<{ key: string; bytes: number } | undefined> {
  let body: Readable;
  let length: number | undefined;
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
    body = res.Body as Readable;
    length = res.ContentLength;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    if (statusOf(err) === 403) throw new StorageError('ResourceAccessDenied', `access to object ${key} in bucket ${bucket} was refused`);
    if (isStoreUnavailable(err)) throw err;
    throw new StorageError('ResourceDownloadFailed', `could not download ${key} from bucket ${bucket}: ${(err as Error).message}`);
  }
  let bytes = 0;
  body.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  try {
    await pipeline(body, budgetStream(budget, length, `object ${key}`), createWriteStream(dest), { signal });
  } catch (err) {
    body.destroy();
    // A failure that already says what went wrong (the job's input budget ran out) is passed on as it is.
    if (err instanceof CiFailure) throw err;
    // The next try starts over: what this one counted is given back.
    budget?.release(length ?? bytes);
    if (isStoreUnavailable(err)) throw err;
    throw new StorageError('ResourceDownloadFailed', `download of ${key} from bucket ${bucket} broke off: ${(err as Error).message}`);
  }
  return { key, bytes };
}

export async function assertBucketExists(
  s3: S3Client,
  bucket: string,
  field: string,
  retry: StoreRetry = ONCE,
  notice?: RetryNotice,
): Promise<void> {
  try {
    await withStoreRetry(retry, `checking bucket ${bucket}`, undefined, () => s3.send(new HeadBucketCommand({ Bucket: bucket })), notice);
  } catch (err) {
    if (err instanceof StorageError) throw err;
    if (isNotFound(err)) throw new StorageError('ResourceNotFound', `${field}: bucket ${bucket} does not exist in the storage`);
    throw new StorageError('ResourceAccessDenied', `${field}: bucket ${bucket} cannot be used: ${(err as Error).message}`);
  }
}

/** Uploads a local file (multipart above 8 MiB) with the given user metadata, and returns its MD5. */
export async function uploadFile(
  s3: S3Client,
  bucket: string,
  key: string,
  file: string,
  contentType: string,
  metadata: Record<string, string> = {},
  retry: StoreRetry = ONCE,
  notice?: RetryNotice,
): Promise<string> {
  try {
    return await withStoreRetry(
      retry,
      `uploading ${key} to bucket ${bucket}`,
      undefined,
      () => uploadOnce(s3, bucket, key, file, contentType, metadata),
      notice,
    );
  } catch (err) {
    if (err instanceof StorageError) throw err;
    throw new StorageError('InternalError', `could not upload the output ${key} to bucket ${bucket}: ${(err as Error).message}`);
  }
}

/** One try: a failed multipart upload is aborted by lib-storage, so no partial object becomes visible. */
async function uploadOnce(
  s3: S3Client,
  bucket: string,
  key: string,
  file: string,
  contentType: string,
  metadata: Record<string, string>,
): Promise<string> {
  // The MD5 is taken from the same read that feeds the upload: the file is read once.
  const hash = createHash('md5');
  const body = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  pipelineCb(createReadStream(file), body, () => undefined);
  await new Upload({
    client: s3,
    params: { Bucket: bucket, Key: key, Body: body, ContentType: contentType, Metadata: metadata },
    // Larger outputs go up in 8 MiB parts, at most 4 in flight: 32 MiB of buffers whatever the size.
    partSize: 8 * 1024 * 1024,
    queueSize: 4,
  }).done();
  return hash.digest('hex');
}
