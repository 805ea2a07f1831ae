// An S3 endpoint with a key policy of its own, in front of the test run's real store: requests the
// policy refuses get the store's own error answer (an S3 XML error with the status given), the rest are
// passed through unchanged. It stands for production stores whose keys are scoped to one bucket, for a
// store that answers but fails (5xx), and, switched down, for a store that does not answer at all
// (every connection is reset as it opens, and open ones are cut).
import http from 'node:http';

export type S3Policy = (req: http.IncomingMessage) => { status: number; code: string } | undefined;

export interface PolicyProxy {
  endpoint: string;
  /** Requests seen, as "METHOD path". */
  seen: string[];
  /** Down: connections are reset. */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

export async function startPolicyProxy(target: string, policy: S3Policy): Promise<PolicyProxy> {
  const to = new URL(target);
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method ?? ''} ${req.url ?? ''}`);
    const refused = policy(req);
    if (refused) {
      req.resume();
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${refused.code}</Code><Message>refused by the key's policy</Message><RequestId>proxy</RequestId></Error>`;
      res.writeHead(refused.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const upstream = http.request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  let down = false;
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (socket) => {
    if (down) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    seen,
    setDown(d: boolean) {
      down = d;
      if (d) for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
