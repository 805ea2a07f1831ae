// A bucket of the test run's S3 store holding one short clip with sound: the input most end-to-end tests
// start from.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createS3 } from '../../src/storage/s3.js';
import { makeClip } from './media.js';

/** Creates `bucket` on `s3Endpoint` (if need be) and puts a 1 s clip with sound, made in `dir`, at `key`. */
export async function bucketWithClip(s3Endpoint: string, bucket: string, key: string, dir: string): Promise<void> {
  const s3 = createS3({
    endpoint: s3Endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch(() => undefined);
    const clip = await makeClip(path.join(dir, path.basename(key)), { durationSec: 1, audio: true });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(clip) }));
  } finally {
    s3.destroy();
  }
}
