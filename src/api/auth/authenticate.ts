// Request authentication for the fastify app: every request (but the public paths) must carry a valid
// q-sign signature, in the Authorization header or in the query, from a configured key that may use the
// Host's bucket. Refusals use CI's codes (docs/ci-api.md 8.2, 9.3): MissingAuthorization, InvalidAuthorization,
// SecretidNotExist, SignatureExpired, AccessDenied (401: bad signature) and AccessDenied (403: the key
// may not use this bucket). With no key configured every request passes (local use only).
// Also here: a Content-MD5 header, when sent, must match the body (400 InvalidContent).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CiError } from '../errors.js';
import type { ApiCredential } from '../../config/credentials.js';
import { AuthorizationSyntaxError, parseAuthorization, parseQueryPairs, verifySignature, type Pair } from './signature.js';

export interface AuthSettings {
  credentials: readonly ApiCredential[];
  /** Tolerance either side of the signing window, for clients whose clock is off. */
  clockSkewSec: number;
}

/** What authentication needs from a request. */
interface AuthRequest {
  method: string;
  /** As received: path and query, percent-encoded. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** The bucket the Host names. */
  bucket: string;
}

const TOKEN_NAMES = ['x-ci-security-token', 'x-cos-security-token'];

function headerOf(headers: AuthRequest['headers'], name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(',') : v;
}

function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/**
 * Checks one request; returns the SecretId it was signed with, or undefined when no key is configured.
 * Throws the CiError to answer.
 */
export function authenticate(
  req: AuthRequest,
  settings: AuthSettings,
  nowSec: number,
  byId: ReadonlyMap<string, ApiCredential>,
): string | undefined {
  if (byId.size === 0) return undefined;
  const q = req.url.indexOf('?');
  const rawPath = q === -1 ? req.url : req.url.slice(0, q);
  const query = parseQueryPairs(q === -1 ? '' : req.url.slice(q + 1));

  const header = headerOf(req.headers, 'authorization')?.trim();
  const inQuery = query.some(([k]) => /^q-(sign-algorithm|ak|signature)$/i.test(k.trim()));
  if (!header && !inQuery) {
    throw new CiError(
      'MissingAuthorization',
      'the request carries no signature: send an Authorization header (q-sign-algorithm=sha1&q-ak=…) or the same pairs in the query',
    );
  }

  let auth;
  try {
    auth = parseAuthorization(header !== undefined && header !== '' ? header : query);
  } catch (err) {
    if (err instanceof AuthorizationSyntaxError)
      throw new CiError('InvalidAuthorization', `the ${header ? 'Authorization header' : 'query signature'} is malformed: ${err.message}`);
    throw err;
  }
  const cred = byId.get(auth.secretId);
  if (!cred) throw new CiError('SecretidNotExist', `the SecretId ${JSON.stringify(auth.secretId)} is not known to this engine`);
  if (cred.expiresAtMs !== undefined && nowSec * 1000 > cred.expiresAtMs) {
    throw new CiError('SignatureExpired', `the temporary key ${auth.secretId} expired at ${new Date(cred.expiresAtMs).toISOString()}`);
  }

  // A query signature's own pairs (and the session token) are not part of what it signs.
  const signedQuery: Pair[] = header
    ? query
    : query.filter(([k]) => !/^q-/i.test(k.trim()) && !TOKEN_NAMES.includes(k.trim().toLowerCase()));
  const verdict = verifySignature(
    auth,
    cred.secretKey,
    { method: req.method, path: decodeComponentPath(rawPath), query: signedQuery, header: (name) => headerOf(req.headers, name) },
    nowSec,
    settings.clockSkewSec,
  );
  if (!verdict.ok) throw new CiError(verdict.reason === 'expired' ? 'SignatureExpired' : 'AccessDenied', verdict.message);

  if (cred.sessionToken !== undefined) {
    const sent = TOKEN_NAMES.map((n) => headerOf(req.headers, n) ?? query.find(([k]) => k.trim().toLowerCase() === n)?.[1]).find(
      (v) => v !== undefined,
    );
    if (sent === undefined)
      throw new CiError('AccessDenied', `the SecretId ${auth.secretId} is a temporary key: send its session token in x-ci-security-token`);
    if (!sameSecret(sent, cred.sessionToken))
      throw new CiError('AccessDenied', `the session token does not belong to the temporary key ${auth.secretId}`);
  }
  if (cred.buckets !== undefined && !cred.buckets.includes(req.bucket)) {
    throw new CiError('Forbidden', `the SecretId ${auth.secretId} may not use the bucket ${req.bucket}`);
  }
  return auth.secretId;
}

/** The path as signed: percent-decoded once (`+` is a literal plus in a path); malformed stays as sent. */
function decodeComponentPath(rawPath: string): string {
  try {
    return decodeURIComponent(rawPath);
  } catch {
    return rawPath;
  }
}

/** Body MD5 check for requests that send Content-MD5 (base64 of the body's MD5, RFC 1864). */
export function checkContentMd5(headerValue: string | undefined, body: string | Buffer | undefined): void {
  if (headerValue === undefined) return;
  const got = createHash('md5')
    .update(body ?? '')
    .digest('base64');
  if (got !== headerValue.trim()) {
    throw new CiError(
      'InvalidContent',
      `the body does not match its Content-MD5 (${JSON.stringify(headerValue.trim().slice(0, 40))}; the body's is ${got})`,
    );
  }
}

/**
 * Adds the checks to the app, after the Host hook (which sets req.ci). Paths `isPublic` accepts are
 * served without a signature (health checks, the dashboard with its own login).
 */
export function registerAuth(app: FastifyInstance, settings: AuthSettings, isPublic: (path: string) => boolean): void {
  const byId = new Map(settings.credentials.map((c) => [c.secretId, c]));
  if (byId.size > 0) {
    // Callback style: the check is synchronous, and fastify answers a throw here as it would a rejection.
    app.addHook('onRequest', (req: FastifyRequest, _reply, done) => {
      const path = req.url.split('?')[0] ?? '';
      if (isPublic(path)) {
        done();
        return;
      }
      const secretId = authenticate(
        { method: req.method, url: req.url, headers: req.headers, bucket: req.ci.bucket },
        settings,
        Math.floor(Date.now() / 1000),
        byId,
      );
      req.log.debug({ secretId }, 'signature verified');
      done();
    });
  }
}
