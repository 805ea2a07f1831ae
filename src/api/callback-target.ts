// The submit-time check of a job's CallBack URL: its host must not be, or resolve to, an address the
// callback policy refuses (400 InvalidArgument naming Request.CallBack). A host that does not resolve
// right now is accepted: delivery checks every address again at each try, which is the real guard.
// Answers are cached for a short while so a burst of submissions costs one DNS lookup.
import { checkHost, lookupAll, type AddressPolicy, type HostCheck, type LookupAll } from '../net/address-policy.js';
import { invalidArgument } from './errors.js';

const CACHE_TTL_MS = 30_000;
const CACHE_MAX = 1000;
const LOOKUP_TIMEOUT_MS = 2_000;

export class CallbackTargetChecker {
  private readonly cache = new Map<string, { at: number; result: HostCheck }>();
  private readonly inflight = new Map<string, Promise<HostCheck>>();

  constructor(
    private readonly policy: AddressPolicy,
    private readonly lookup: LookupAll = lookupAll,
  ) {}

  /** Throws InvalidArgument for a refused receiver; `no` and an absent CallBack pass. */
  async check(callBack: string | undefined, field = 'Request.CallBack'): Promise<void> {
    if (callBack === undefined || callBack === 'no') return;
    let host: string;
    try {
      host = new URL(callBack).hostname.toLowerCase();
    } catch {
      throw invalidArgument(field, 'must be "no" or an http:// or https:// URL');
    }
    const result = await this.resolve(host);
    if (result.ok === false) throw invalidArgument(field, `${result.problem}; name a receiver this engine may call`);
  }

  private async resolve(host: string): Promise<HostCheck> {
    const now = Date.now();
    const hit = this.cache.get(host);
    if (hit && now - hit.at < CACHE_TTL_MS) return hit.result;
    // One lookup per host at a time: a burst of submissions waits on the same answer. An expired answer
    // is still used while the new one comes (delivery checks every address again anyway).
    let pending = this.inflight.get(host);
    if (!pending) {
      const timed: LookupAll = (h) =>
        Promise.race([
          this.lookup(h),
          new Promise<string[]>((_, reject) =>
            setTimeout(() => reject(new Error(`no DNS answer within ${LOOKUP_TIMEOUT_MS} ms`)), LOOKUP_TIMEOUT_MS).unref(),
          ),
        ]);
      pending = checkHost(host, this.policy, timed)
        .then((result) => {
          if (this.cache.size >= CACHE_MAX) this.cache.clear();
          this.cache.set(host, { at: Date.now(), result });
          return result;
        })
        .finally(() => this.inflight.delete(host));
      this.inflight.set(host, pending);
    }
    return hit ? hit.result : pending;
  }
}
