// One callback POST that can only reach an address the policy allows: the host is checked before the
// request and every address DNS gives is checked again by the socket's own lookup, so a name that
// changes its answer between submit and delivery (or between two lookups) is still refused. No
// redirects are followed. Optionally signed: x-ci-engine-timestamp and
// x-ci-engine-signature: sha256=hex(HMAC-SHA256(key, `${timestamp}.${body}`)).
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { AddressRefused, guardedLookup, hostProblem, type AddressPolicy } from '../net/address-policy.js';

interface SafePostOptions {
  contentType: string;
  timeoutMs: number;
  policy: AddressPolicy;
  userAgent: string;
  /** CALLBACK_SIGNING_KEY: adds the signature headers. */
  signingKey?: string;
  /** Seconds since the epoch for the timestamp header (tests pin it). */
  nowSec?: number;
}

const SIGNATURE_HEADER = 'x-ci-engine-signature';
const TIMESTAMP_HEADER = 'x-ci-engine-timestamp';

/** The signature header value for a body sent at `timestamp`. */
function callbackSignature(key: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/** POSTs `body`; resolves with the status code, rejects with a readable error (AddressRefused for policy). */
export function safePost(target: string, body: string, opts: SafePostOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      reject(new Error(`${JSON.stringify(target)} is not a URL`));
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      reject(new AddressRefused(`${url.protocol} URLs are not allowed; use http or https`));
      return;
    }
    // Address literals never reach `lookup`: check them (and metadata names) here.
    const pre = hostProblem(url.hostname, opts.policy);
    if (pre.problem !== undefined) {
      reject(new AddressRefused(pre.problem));
      return;
    }
    const headers: Record<string, string> = {
      'content-type': opts.contentType,
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': opts.userAgent,
    };
    if (opts.signingKey !== undefined) {
      const ts = String(opts.nowSec ?? Math.floor(Date.now() / 1000));
      headers[TIMESTAMP_HEADER] = ts;
      headers[SIGNATURE_HEADER] = callbackSignature(opts.signingKey, ts, body);
    }
    const transport = url.protocol === 'https:' ? https : http;
    const req = transport.request(url, {
      method: 'POST',
      headers,
      lookup: guardedLookup(opts.policy),
      agent: false,
      timeout: opts.timeoutMs,
    });
    const timer = setTimeout(
      () => req.destroy(Object.assign(new Error(`no answer within ${opts.timeoutMs} ms`), { name: 'TimeoutError' })),
      opts.timeoutMs,
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${opts.timeoutMs} ms`), { name: 'TimeoutError' })));
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.on('response', (res) => {
      // Drain (bounded by the timer) so the socket closes cleanly; the body itself is of no interest.
      res.resume();
      res.on('end', () => clearTimeout(timer));
      res.on('error', () => clearTimeout(timer));
      resolve(res.statusCode ?? 0);
    });
    req.end(body);
  });
}
