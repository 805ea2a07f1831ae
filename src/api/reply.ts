// How every answer is written: XML bodies under <Response>, CI error bodies under <Error>, and the error
// body for requests Node's HTTP parser refuses before fastify sees them. An error body carries what every
// official SDK reads (docs/ci-api.md 8): Code, Message, Resource (the request's host and path, as COS
// answers; some SDKs decode an error only when it is there and not empty), RequestId and TraceId (also
// sent as x-ci-trace-id). Route modules and the app both write through here, so the wire shape of an
// answer lives in one place.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Duplex } from 'node:stream';
import { newRequestId } from '../domain/ids.js';
import type { CiFailure } from '../domain/errors.js';
import { buildXml } from '../wire/xml.js';

export function sendXml(reply: FastifyReply, tree: unknown, status = 200): FastifyReply {
  return reply.code(status).type('application/xml').send(buildXml('Response', tree));
}

/** The request's host and path without the query, as COS names the resource of an error. */
export function resourceOf(host: string | undefined, url: string): string {
  const query = url.indexOf('?');
  const pathOnly = query === -1 ? url : url.slice(0, query);
  if (!host) return pathOnly === '' ? '/' : pathOnly;
  return `${host}${pathOnly}`;
}

export function sendError(req: FastifyRequest, reply: FastifyReply, err: CiFailure): FastifyReply {
  return reply
    .code(err.status)
    .header('x-ci-trace-id', req.id)
    .type('application/xml')
    .send(
      buildXml('Error', {
        Code: err.code,
        Message: err.message,
        Resource: resourceOf(req.headers.host, req.url),
        RequestId: req.id,
        TraceId: req.id,
      }),
    );
}

/**
 * Requests Node's HTTP parser refuses (bad framing, oversized headers, a timeout) never reach a route;
 * they still get a CI error body, then the connection is closed.
 */
export function sendClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const why =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? 'its headers are too large'
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? 'it did not arrive in time'
          : 'it is not valid HTTP/1.1';
    const id = newRequestId();
    // The request line was not read, so the resource is the server's root.
    const body = buildXml('Error', {
      Code: 'InvalidArgument',
      Message: `the request was refused: ${why} (${err.code ?? 'parse error'})`,
      Resource: '/',
      RequestId: id,
      TraceId: id,
    });
    socket.write(
      `HTTP/1.1 400 Bad Request\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\nx-ci-request-id: ${id}\r\nx-ci-trace-id: ${id}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
