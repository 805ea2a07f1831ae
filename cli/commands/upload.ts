// `ci-concat upload FILE… --bucket B [--prefix P]`: puts local files into the S3 store the engine reads
// (the embedded one `npm start` runs, or S3_ENDPOINT), creating the bucket when it does not exist yet,
// and prints each object's key, the name a job's ConcatFragment Url gives.
import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Unreachable, UsageError } from '../errors.js';
import { formatBytes } from '../job-view.js';
import type { Printer } from '../output.js';
import type { S3Settings } from '../settings.js';

export interface UploadOptions {
  files: readonly string[];
  bucket: string;
  /** Put before each file's base name, e.g. `input/`. */
  prefix: string;
}

interface Uploaded {
  file: string;
  bucket: string;
  key: string;
  size: number;
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

function unreachable(err: unknown, endpoint: string): Unreachable | undefined {
  const code = (err as { code?: string }).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ECONNRESET') {
    return new Unreachable(
      `the S3 store is not answering at ${endpoint} (${code}). Start the engine with \`npm start\` (it runs the store), ` +
        'or set S3_ENDPOINT, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY to the store the engine uses.',
    );
  }
  return undefined;
}

async function ensureBucket(s3: S3Client, bucket: string, printer: Printer): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    printer.note(`created bucket ${bucket}`);
  }
}

export async function upload(opts: UploadOptions, s3Settings: S3Settings, printer: Printer): Promise<void> {
  const files = opts.files.map((file) => {
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw new UsageError(`${file} is not a file`);
      size = st.size;
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
    }
    return { file, size, key: `${opts.prefix}${path.basename(file)}` };
  });
  const s3 = new S3Client({
    endpoint: s3Settings.endpoint,
    region: s3Settings.region,
    forcePathStyle: s3Settings.forcePathStyle,
    credentials: { accessKeyId: s3Settings.accessKeyId, secretAccessKey: s3Settings.secretAccessKey },
    // Stores like s3rver and older MinIO do not speak the newer checksum headers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 2,
  });
  const done: Uploaded[] = [];
  try {
    await ensureBucket(s3, opts.bucket, printer);
    for (const f of files) {
      // lib-storage sends large files in parts, so a big clip never sits in memory whole.
      await new Upload({ client: s3, params: { Bucket: opts.bucket, Key: f.key, Body: createReadStream(f.file) } }).done();
      done.push({ file: f.file, bucket: opts.bucket, key: f.key, size: f.size });
      if (!printer.json) process.stdout.write(`${f.key}  (${formatBytes(f.size)}, from ${f.file})\n`);
    }
  } catch (err) {
    throw unreachable(err, s3Settings.endpoint) ?? err;
  } finally {
    s3.destroy();
  }
  if (printer.json) printer.result([], done);
  else printer.note(`uploaded ${done.length} file${done.length === 1 ? '' : 's'} to bucket ${opts.bucket}`);
}
