// Where the command line sends its requests and with which keys: flags first, then the environment,
// then the defaults `npm start` prints (the API on 127.0.0.1:8080, the embedded S3 store on
// 127.0.0.1:4568 with the key pair S3RVER / S3RVER). The S3 variables are the engine's own, so a shell
// set up for the engine is set up for the CLI.
import type { Credentials } from './sign.js';
import { UsageError } from './errors.js';

/** The options every command accepts (commander's camelCase names). */
export interface GlobalOptions {
  endpoint?: string;
  bucket?: string;
  region?: string;
  json?: boolean;
}

export interface ApiSettings {
  /** The engine's API, e.g. http://127.0.0.1:8080. */
  endpoint: URL;
  /** Signs every request when set (CI_SECRET_ID / CI_SECRET_KEY). */
  credentials?: Credentials;
}

export interface S3Settings {
  endpoint: string;
  region: string;
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
}

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8080';
/** The region the Host names when neither --region nor CI_REGION is given (the engine serves any). */
export const DEFAULT_REGION = 'ap-guangzhou';
const EMBEDDED_S3_KEY = 'S3RVER';

type Env = Readonly<Record<string, string | undefined>>;

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function urlOf(text: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${what} must be an http(s) URL, got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`${what} must be an http(s) URL, got ${JSON.stringify(text)}`);
  return url;
}

export function apiSettings(opts: GlobalOptions, env: Env): ApiSettings {
  const endpoint = urlOf(nonEmpty(opts.endpoint) ?? nonEmpty(env.CI_ENDPOINT) ?? DEFAULT_ENDPOINT, '--endpoint / CI_ENDPOINT');
  const secretId = nonEmpty(env.CI_SECRET_ID);
  const secretKey = nonEmpty(env.CI_SECRET_KEY);
  if ((secretId === undefined) !== (secretKey === undefined)) throw new UsageError('CI_SECRET_ID and CI_SECRET_KEY: set both or neither');
  if (secretId === undefined || secretKey === undefined) return { endpoint };
  const sessionToken = nonEmpty(env.CI_SECURITY_TOKEN);
  return { endpoint, credentials: sessionToken === undefined ? { secretId, secretKey } : { secretId, secretKey, sessionToken } };
}

/** The bucket the Host names (and the S3 bucket of the same name): --bucket, else CI_BUCKET, else `fallback`. */
export function bucketOf(opts: GlobalOptions, env: Env, fallback?: string): string {
  const bucket = nonEmpty(opts.bucket) ?? nonEmpty(env.CI_BUCKET) ?? nonEmpty(fallback);
  if (bucket === undefined)
    throw new UsageError('name the bucket with --bucket <BucketName-APPID> or CI_BUCKET, e.g. --bucket test-1250000000');
  return bucket;
}

export function regionOf(opts: GlobalOptions, env: Env, fallback?: string): string {
  return nonEmpty(opts.region) ?? nonEmpty(env.CI_REGION) ?? nonEmpty(fallback) ?? DEFAULT_REGION;
}

/** The S3 store, read from the variables the engine reads (README, Configuration). */
export function s3Settings(env: Env): S3Settings {
  const endpoint = nonEmpty(env.S3_ENDPOINT) ?? `http://127.0.0.1:${nonEmpty(env.S3_PORT) ?? '4568'}`;
  urlOf(endpoint, 'S3_ENDPOINT');
  const pathStyle = nonEmpty(env.S3_FORCE_PATH_STYLE)?.toLowerCase();
  return {
    endpoint,
    region: nonEmpty(env.S3_REGION) ?? 'us-east-1',
    forcePathStyle: !(pathStyle === 'false' || pathStyle === '0'),
    accessKeyId: nonEmpty(env.S3_ACCESS_KEY_ID) ?? EMBEDDED_S3_KEY,
    secretAccessKey: nonEmpty(env.S3_SECRET_ACCESS_KEY) ?? EMBEDDED_S3_KEY,
  };
}
