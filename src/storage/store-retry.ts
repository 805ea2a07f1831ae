// A storage that does not answer for a while (restarted, failing over, a network blip) costs a job a
// delay, not its result: a call that got no answer from the store (a connection refused or reset, a
// timeout) or an answer of 5xx is tried again with growing pauses for a bounded time
// (STORAGE_RETRY_SECONDS). After that the job fails with ServiceUnavailable naming the store. Answers
// that are the store's own word (404, 403, a refused key) are never retried: they will not change.
import { StorageError } from './errors.js';

/** Told of each failed try that will be tried again (the job logs it). */
export type RetryNotice = (what: string, attempt: number, delayMs: number, err: Error) => void;

export interface StoreRetry {
  /** The store as messages name it (its endpoint). */
  store: string;
  /** How long a call keeps being tried; 0 = once. */
  totalMs: number;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

const NO_ANSWER_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** Whether a storage call failed because the store did not answer, or answered that it cannot now. */
export function isStoreUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const status = statusOf(err);
  if (status !== undefined) return status >= 500;
  const code = (err as NodeJS.ErrnoException).code ?? (err.cause as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && NO_ANSWER_CODES.has(code)) return true;
  return err.name === 'TimeoutError' || /socket hang up|ECONNRE(SET|FUSED)|connect ETIMEDOUT|other side closed/i.test(err.message);
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `call` until it succeeds, fails for a reason of the store's own, or the retry time is over
 * (then ServiceUnavailable). `what` says what the job was doing, for the message: "fetching x".
 */
export async function withStoreRetry<T>(
  retry: StoreRetry,
  what: string,
  signal: AbortSignal | undefined,
  call: () => Promise<T>,
  notice?: RetryNotice,
): Promise<T> {
  const deadline = Date.now() + retry.totalMs;
  let delay = retry.firstDelayMs ?? 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (signal?.aborted || !isStoreUnavailable(err)) throw err;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new StorageError(
          'ServiceUnavailable',
          `the storage at ${retry.store} did not answer while ${what} (tried ${attempt} times over ${Math.round(retry.totalMs / 1000)} s, STORAGE_RETRY_SECONDS): ${(err as Error).message}`,
        );
      }
      const wait = Math.min(delay, left);
      notice?.(what, attempt, wait, err as Error);
      await pause(wait, signal);
      delay = Math.min(delay * 2, retry.maxDelayMs ?? 5000);
    }
  }
}
