// GET /healthz: 200 once the API, Redis and S3 are reachable, 503 (naming what is not) otherwise.
import type { FastifyInstance } from 'fastify';

export type HealthCheck = () => Promise<Record<string, string | undefined>>;

/** Runs the named probes with a time limit each; a probe that throws or times out reports its error. */
export function healthCheck(probes: Record<string, () => Promise<unknown>>, timeoutMs = 2000): HealthCheck {
  return async () => {
    const entries = await Promise.all(
      Object.entries(probes).map(async ([name, probe]) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            probe(),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
            }),
          ]);
          return [name, undefined] as const;
        } catch (err) {
          return [name, (err as Error).message || String(err)] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    return Object.fromEntries(entries);
  };
}

export function registerHealthRoutes(app: FastifyInstance, check: HealthCheck): void {
  app.get('/healthz', async (_req, reply) => {
    const failures = await check();
    const down = Object.entries(failures).filter(([, e]) => e !== undefined);
    const body = {
      status: down.length === 0 ? 'ok' : 'unavailable',
      checks: Object.fromEntries(Object.entries(failures).map(([k, e]) => [k, e ?? 'ok'])),
    };
    return reply.code(down.length === 0 ? 200 : 503).send(body);
  });
}
