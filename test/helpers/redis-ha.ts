// A replicated Redis with Sentinel, as real processes: a primary, a replica and three sentinels
// (Debian's redis-server and redis-sentinel), each with a directory of its own, on free ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../setup/services.js';

export const SENTINEL_NAME = 'mymaster';

interface Proc {
  port: number;
  child: ChildProcess;
}

export interface RedisHa {
  primary: Proc;
  replica: Proc;
  sentinels: Proc[];
  /** SIGKILL the primary: the sentinels see it down after 1 s and promote the replica. */
  killPrimary(): void;
  /** The port of the primary the sentinels name now. */
  primaryPort(): Promise<number>;
  stop(): Promise<void>;
}

function start(cmd: string, args: string[]): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.resume();
  return child;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function ask<T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

const server = (port: number, dir: string, extra: string[] = []): string[] => [
  ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir],
  ...['--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--maxmemory-policy', 'noeviction'],
  ...extra,
];

export async function startRedisHa(root: string): Promise<RedisHa> {
  const procs: ChildProcess[] = [];
  const dirOf = (name: string): string => {
    const d = path.join(root, name);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const primary = { port: await freePort(), child: undefined as unknown as ChildProcess };
  primary.child = start('redis-server', server(primary.port, dirOf('primary')));
  procs.push(primary.child);
  await until('primary up', () => ask(primary.port, (r) => r.ping()));
  const replica = { port: await freePort(), child: undefined as unknown as ChildProcess };
  replica.child = start('redis-server', server(replica.port, dirOf('replica'), ['--replicaof', '127.0.0.1', String(primary.port)]));
  procs.push(replica.child);
  await until('replica in sync', () =>
    ask(replica.port, async (r) => ((await r.info('replication')).includes('master_link_status:up') ? true : undefined)),
  );
  const sentinels: Proc[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const dir = dirOf(`sentinel-${i}`);
    const conf = path.join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${SENTINEL_NAME} 127.0.0.1 ${primary.port} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_NAME} 1000`,
        `sentinel failover-timeout ${SENTINEL_NAME} 5000`,
        `sentinel parallel-syncs ${SENTINEL_NAME} 1`,
        '',
      ].join('\n'),
    );
    const child = start('redis-sentinel', [conf]);
    procs.push(child);
    sentinels.push({ port, child });
  }
  for (const s of sentinels) {
    await until('sentinel sees the replica and its peers', () =>
      ask(s.port, async (r) => {
        const replicas = (await r.call('SENTINEL', 'REPLICAS', SENTINEL_NAME)) as unknown[];
        const peers = (await r.call('SENTINEL', 'SENTINELS', SENTINEL_NAME)) as unknown[];
        return replicas.length >= 1 && peers.length >= 2 ? true : undefined;
      }),
    );
  }
  return {
    primary,
    replica,
    sentinels,
    killPrimary: () => primary.child.kill('SIGKILL'),
    primaryPort: () =>
      ask(sentinels[0]!.port, async (r) => Number(((await r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_NAME)) as string[])[1])),
    async stop() {
      await Promise.all(
        procs.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) {
                resolve();
                return;
              }
              c.once('exit', () => resolve());
              c.kill('SIGKILL');
            }),
        ),
      );
    },
  };
}
