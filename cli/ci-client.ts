// One HTTP request to the engine's API, as CI's clients make it: the Host names the bucket and region
// (`<bucket>.ci.<region>.myqcloud.com`, README "The API"), the request is signed when a key is set,
// and an error answer becomes a CiApiError with the body's Code and Message. A refused connection says
// the engine is not running and how to start it.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CiApiError, Unreachable } from './errors.js';
import type { ApiSettings } from './settings.js';
import { authorization } from './sign.js';
import { parseXml, text, type XmlTree } from './xml.js';

export interface CiTarget {
  bucket: string;
  region: string;
}

export interface CiCall {
  method: 'GET' | 'POST' | 'PUT';
  /** Decoded path, e.g. `/jobs/j123`. */
  path: string;
  query?: readonly (readonly [string, string])[];
  /** An XML body. */
  body?: string;
}

export interface CiAnswer {
  status: number;
  /** The parsed body ({} when empty, as a cancel answers). */
  body: XmlTree;
}

/** Errors a connection gives when nothing listens there (or the name does not resolve). */
const NOT_LISTENING = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET', 'EAI_AGAIN']);

export function hostOf(target: CiTarget): string {
  return `${target.bucket}.ci.${target.region}.myqcloud.com`;
}

function queryString(query: readonly (readonly [string, string])[]): string {
  if (query.length === 0) return '';
  return `?${query.map(([k, v]) => (v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)).join('&')}`;
}

function encodePath(path: string): string {
  return path
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

export function notRunningMessage(endpoint: URL, cause: string): string {
  return (
    `the engine is not running at ${endpoint.origin} (${cause}). Start it in the engine's checkout with \`npm start\`, ` +
    'or point the CLI at a running one with --endpoint or CI_ENDPOINT.'
  );
}

export class CiClient {
  constructor(
    private readonly settings: ApiSettings,
    private readonly target: CiTarget,
  ) {}

  async call(call: CiCall): Promise<CiAnswer> {
    const query = call.query ?? [];
    const headers: Record<string, string> = { host: hostOf(this.target) };
    if (call.body !== undefined) headers['content-type'] = 'application/xml';
    const sent: Record<string, string> = { ...headers };
    if (call.body !== undefined) sent['content-length'] = String(Buffer.byteLength(call.body));
    const creds = this.settings.credentials;
    if (creds) {
      sent.authorization = authorization(creds, { method: call.method, path: call.path, query, headers }, Math.floor(Date.now() / 1000));
      if (creds.sessionToken !== undefined) sent['x-ci-security-token'] = creds.sessionToken;
    }
    const { status, raw } = await this.send(call.method, `${encodePath(call.path)}${queryString(query)}`, sent, call.body);
    const body = raw.trim() === '' ? {} : parseXml(raw);
    if (status >= 300) {
      const code = text(body, 'Error', 'Code');
      throw new CiApiError(code || `HTTP${status}`, text(body, 'Error', 'Message') || raw.slice(0, 200), status);
    }
    return { status, body };
  }

  private send(
    method: string,
    pathAndQuery: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<{ status: number; raw: string }> {
    const endpoint = this.settings.endpoint;
    const base = endpoint.pathname.replace(/\/$/, '');
    const request = endpoint.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          protocol: endpoint.protocol,
          hostname: endpoint.hostname.replace(/^\[|\]$/g, ''),
          port: endpoint.port || undefined,
          method,
          path: `${base}${pathAndQuery}`,
          headers,
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, raw: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== undefined && NOT_LISTENING.has(err.code)) reject(new Unreachable(notRunningMessage(endpoint, err.code)));
        else reject(err);
      });
      req.end(body);
    });
  }
}
