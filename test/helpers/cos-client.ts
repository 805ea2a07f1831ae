// Tencent's official Node SDK pointed at the engine: `Ip` sends the request to the local server while
// the Host (and the signature) stay the production name.
import COS from 'cos-nodejs-sdk-v5';
import { XMLParser } from 'fast-xml-parser';

export const BUCKET = 'test-123456789';
export const REGION = 'ap-chongqing';

export interface CiResponse {
  statusCode: number;
  headers: Record<string, string>;
  /** The raw body, parsed with every leaf a string (so checks see exactly what was sent). */
  body: Record<string, any>;
  raw: string;
}

const parser = new XMLParser({ parseTagValue: false, ignoreDeclaration: true });

export function cosClient(apiUrl: string, keys = { SecretId: 'AKIDexampleexampleexample', SecretKey: 'exampleSecretKey' }): COS {
  return new COS({ ...keys, Ip: new URL(apiUrl).host, Protocol: 'http:' });
}

export function ciRequest(
  cos: COS,
  opts: {
    Method: string;
    Key: string;
    Query?: Record<string, string>;
    Body?: string;
    bucket?: string;
    region?: string;
    Headers?: Record<string, string>;
  },
): Promise<CiResponse> {
  const host = `${opts.bucket ?? BUCKET}.ci.${opts.region ?? REGION}.myqcloud.com`;
  return new Promise((resolve, reject) => {
    cos.request(
      {
        Method: opts.Method,
        Key: opts.Key,
        Url: `http://${host}/${opts.Key}`,
        Query: opts.Query,
        Body: opts.Body,
        RawBody: true,
        Headers: opts.Body !== undefined ? { 'content-type': 'application/xml', ...opts.Headers } : opts.Headers,
      },
      (err: any, data: any) => {
        if (err) {
          // Errors arrive parsed by the SDK: keep its view (code, statusCode) as a client sees it.
          if (err.statusCode === undefined) {
            // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the SDK's error object goes on as the SDK made it (a CosSdkError, not always an Error)
            reject(err);
            return;
          }
          resolve({ statusCode: err.statusCode, headers: err.headers ?? {}, body: { Error: err.error ?? {} }, raw: '' });
          return;
        }
        const raw = data.Body ? Buffer.from(data.Body).toString() : '';
        resolve({
          statusCode: data.statusCode,
          headers: data.headers ?? {},
          body: raw ? (parser.parse(raw) as Record<string, any>) : {},
          raw,
        });
      },
    );
  });
}
