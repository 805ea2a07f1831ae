// Fetching a source from a host FETCH_ALLOWED_HOSTS names (never any other: resolveSourceUrl decides),
// streamed to the job's temp file like downloadObject. The socket's lookup refuses link-local and
// metadata addresses even for an allowed name; redirects are not followed (a redirect could lead
// anywhere). Failures are StorageErrors: ResourceNotFound, ResourceAccessDenied, ResourceDownloadFailed.
import { createWriteStream } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream/promises';
import { AddressRefused, guardedLookup, hostProblem } from '../net/address-policy.js';
import { CiFailure } from '../domain/errors.js';
import { StorageError } from './errors.js';
import { budgetStream, type ByteBudget } from './objects.js';

const POLICY = { blockPrivate: false };
const RESPONSE_TIMEOUT_MS = 30_000;

export async function downloadUrl(target: string, dest: string, signal?: AbortSignal, budget?: ByteBudget): Promise<{ bytes: number }> {
  const url = new URL(target);
  const shown = `${url.origin}${url.pathname}`;
  const pre = hostProblem(url.hostname, POLICY);
  if (pre.problem !== undefined) throw new StorageError('ResourceAccessDenied', `${shown}: ${pre.problem}`);
  const transport = url.protocol === 'https:' ? https : http;
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = transport.get(url, { lookup: guardedLookup(POLICY), agent: false, timeout: RESPONSE_TIMEOUT_MS, signal });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${RESPONSE_TIMEOUT_MS} ms`)));
    req.on('response', resolve);
    req.on('error', (err) => {
      if (err instanceof AddressRefused) reject(new StorageError('ResourceAccessDenied', `${shown}: ${err.message}`));
      else
        reject(
          new StorageError('ResourceDownloadFailed', `could not download ${shown}: ${(err as NodeJS.ErrnoException).code ?? err.message}`),
        );
    });
  });
  const status = res.statusCode ?? 0;
  if (status !== 200) {
    res.destroy();
    if (status === 404) throw new StorageError('ResourceNotFound', `${shown} does not exist (HTTP 404)`);
    if (status === 401 || status === 403) throw new StorageError('ResourceAccessDenied', `${shown} refused access (HTTP ${status})`);
    throw new StorageError(
      'ResourceDownloadFailed',
      `${shown} answered HTTP ${status}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}`,
    );
  }
  const announced = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : undefined;
  let bytes = 0;
  res.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  try {
    await pipeline(res, budgetStream(budget, Number.isFinite(announced) ? announced : undefined, shown), createWriteStream(dest), {
      signal,
    });
  } catch (err) {
    res.destroy();
    if (err instanceof CiFailure) throw err;
    throw new StorageError('ResourceDownloadFailed', `download of ${shown} broke off: ${(err as Error).message}`);
  }
  return { bytes };
}
