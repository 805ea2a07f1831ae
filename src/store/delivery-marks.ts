// Each notification's send state, so a callback reaches its receiver once even when the process sending
// it dies: BullMQ runs a delivery again when its worker stopped during it, and a job that ends twice
// (its worker died after the end was recorded) asks for its callback again. A try first claims the
// notification (scripts/delivery-claim.lua: refused once a try was answered 2xx, else marked `sending`);
// its outcome is then marked `sent` or `unsent`. A claim that finds `sending` is a try whose process
// died between the POST and its mark: that try may have reached the receiver, so the new one is the
// one duplicate left possible (at least once, never lost), and the caller says so in its log.
import type { Redis } from 'ioredis';
import { readScript } from './lua-scripts.js';

/** What a notification is: its kind (TaskFinish, WorkflowFinish) and the id of the job or run. */
interface Notification {
  kind: string;
  id: string;
}

/** The state a claim found; `sent` means the claim was refused. */
export type ClaimFound = 'first' | 'unsent' | 'sending' | 'sent';

/** Marks outlive every retry and every re-run of a job by far; they then expire with nothing to guard. */
const MARK_TTL_SEC = 30 * 24 * 3600;

const SCRIPTS = { ciDeliveryClaim: { numberOfKeys: 1, lua: readScript('delivery-claim') } };

interface RedisWithScripts {
  ciDeliveryClaim(key: string, attempt: string, nowMs: string, ttlSec: string): Promise<string>;
}

export class DeliveryMarks {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    for (const [name, script] of Object.entries(SCRIPTS)) redis.defineCommand(name, script);
  }

  private key(n: Notification): string {
    return `${this.prefix}:cbsend:${n.kind}:${n.id}`;
  }

  /** Claims try `attempt` of a notification; `sent` = a try reached the receiver already, send nothing. */
  async claim(n: Notification, attempt: number): Promise<ClaimFound> {
    const found = await (this.redis as unknown as RedisWithScripts).ciDeliveryClaim(
      this.key(n),
      String(attempt),
      String(Date.now()),
      String(MARK_TTL_SEC),
    );
    return found === '' ? 'first' : (found as ClaimFound);
  }

  /** Records a try's outcome: `sent` (answered 2xx; no try follows) or `unsent` (another try may follow). */
  async settle(n: Notification, sent: boolean): Promise<void> {
    await this.redis.hset(this.key(n), 'state', sent ? 'sent' : 'unsent', 'ms', String(Date.now()));
  }

  /** Whether a try of the notification reached the receiver. */
  async isSent(n: Notification): Promise<boolean> {
    return (await this.redis.hget(this.key(n), 'state')) === 'sent';
  }
}
