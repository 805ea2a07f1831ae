// The embedded S3-compatible store (s3rver), data under the given directory. It accepts its own
// default key pair and, when configured, the engine's S3 credentials too.
import { mkdirSync } from 'node:fs';
import S3rver from 's3rver';
import { DUMMY_ACCOUNT } from 's3rver/lib/models/account.js';

export interface EmbeddedS3 {
  endpoint: string;
  server: S3rver;
  /** Calls back with each S3 event notification (AWS JSON; keys are not URL-encoded) the store emits. */
  onEvent(listener: (event: unknown) => void): void;
  stop(): Promise<void>;
}

export async function startS3Server(opts: {
  port: number;
  dir: string;
  accessKeyId: string;
  secretAccessKey: string;
  address?: string;
}): Promise<EmbeddedS3> {
  mkdirSync(opts.dir, { recursive: true });
  DUMMY_ACCOUNT.createKeyPair(opts.accessKeyId, opts.secretAccessKey);
  const server = new S3rver({ port: opts.port, address: opts.address ?? '127.0.0.1', silent: true, directory: opts.dir });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    server,
    onEvent: (listener) => {
      server.on('event', listener);
    },
    stop: () => server.close(),
  };
}
