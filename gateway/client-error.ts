// What Node's HTTP server answers itself, before any handler sees the request: a request
// line and headers over its limit (16 KiB), or bytes that are not HTTP. Node's own answer
// is a bare status line; API.md promises the error body and `X-Request-Id` on every
// response, so the gateway words these the same way as every other error.
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';

function answerFor(code: string | undefined, requestRead: boolean): [number, string, string] {
  // The connection ended (the client closed its side) after a request's headers and before
  // the end of its body: the request was HTTP, its body incomplete (API.md's body_incomplete).
  if (code === 'HPE_INVALID_EOF_STATE' && requestRead) return [400, 'body_incomplete', 'the request ended before its body did'];
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'headers_too_large', 'the request line and headers together are over 16 KiB'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'request_timeout', 'the request did not arrive in time'];
    default:
      return [400, 'malformed_request', 'the request is not valid HTTP/1.1'];
  }
}

/**
 * Answers a request Node's parser refused, then closes the connection (its framing is lost).
 * Closes it for good a second after the answer, as Node does (at once) without this handler:
 * after a 408 a half-closed socket kept the request it was still sending in progress (its
 * place among MAX_INFLIGHT_HTTP held) for as long as the client did not close its side.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  // A reset or a socket already answering (a response started) has no one to tell.
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  // Node gives a request whose headers it has read its response (socket._httpMessage).
  const requestRead = (socket as Duplex & { _httpMessage?: unknown })._httpMessage != null;
  const [status, code, message] = answerFor(err.code, requestRead);
  const requestId = randomUUID();
  const body = JSON.stringify({ error: { code, message, details: null, requestId } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`
    + `X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
  );
  // A second for the client to read the answer and close its side (a socket closed with its
  // bytes unread would reset the connection, the answer with it), then gone either way.
  setTimeout(() => socket.destroy(), 1000).unref();
}

export function answerClientErrors(server: Server): void {
  server.on('clientError', answerClientError);
}
