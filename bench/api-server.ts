// One server process for the API benchmark: `engine` runs this engine's API; `baseline` is the bare
// stack doing the least the same request needs (fastify + fast-xml-parser + one BullMQ add).
import Fastify from 'fastify';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config.js';
import { startApi } from '../src/engine.js';
import { createLogger } from '../src/logger.js';

const mode = process.argv[2];
const redisUrl = process.env.BENCH_REDIS_URL!;
const s3Endpoint = process.env.BENCH_S3_ENDPOINT!;
/** BENCH_LOG_LEVEL: the engine's log level in the benchmark (warn; info is the product's default). */
const logLevel = process.env.BENCH_LOG_LEVEL ?? 'warn';

if (mode === 'engine') {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: logLevel,
    REDIS_KEY_PREFIX: 'benchengine',
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
  });
  const api = await startApi(config, { redisUrl, s3Endpoint }, createLogger(config.log.level, 'bench'));
  process.send?.({ port: (api.app.server.address() as { port: number }).port });
} else {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('baseline', { connection, prefix: 'benchbaseline' });
  const parser = new XMLParser({ parseTagValue: false });
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- the baseline keeps fast-xml-parser's builder (a re-export of fast-xml-builder, which is not a direct dependency)
  const builder = new XMLBuilder({});
  const app = Fastify();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.post('/jobs', async (req, reply) => {
    const tree = parser.parse(req.body as string) as { Request: unknown };
    const job = await queue.add('concat', { request: tree.Request }, { priority: 3 });
    return reply.type('application/xml').send(builder.build({ Response: { JobsDetail: { JobId: job.id, State: 'Submitted' } } }));
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  process.send?.({ port: (app.server.address() as { port: number }).port });
}
process.on('SIGINT', () => process.exit(0));
