// A keep-alive HTTP/1.1 client on bare sockets for the load generator: one request at a time
// per connection, the request written as one buffer, the reply read by its Content-Length
// (or chunks). undici's dispatch cost the flash sale's client ~90 µs of CPU per request, a
// tenth of all the CPU an order took on a 2-core machine where the client shares the cores
// with the system it measures; this does the same work in a fraction of that.
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

export interface RawReply {
  status: number;
  text: string;
}

interface Pending {
  head: Buffer;
  resolve(r: RawReply): void;
  reject(err: Error): void;
}

const crlfcrlf = Buffer.from('\r\n\r\n');

/** One keep-alive connection: a request is written only when the previous reply has been read. */
class Connection {
  private socket: Socket | undefined;
  private buf: Buffer = Buffer.alloc(0);
  private current: Pending | undefined;
  /** Set while a reply's head has been read and its body is awaited. */
  private reply: { status: number; length: number; chunked: boolean; close: boolean; bodyAt: number } | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly url: URL, private readonly timeoutMs: number, private readonly onIdle: (c: Connection) => void) {}

  send(p: Pending): void {
    this.current = p;
    // A reply that never comes fails its request and frees the connection, as undici's
    // header and body timeouts did.
    this.timer = setTimeout(() => {
      this.close(new Error(`no reply within ${this.timeoutMs} ms`));
      this.onIdle(this);
    }, this.timeoutMs);
    const s = this.socket ?? this.open();
    s.write(p.head);
  }

  /** Closes the socket; a request still waiting for its reply is refused. */
  close(err?: Error): void {
    const s = this.socket;
    const p = this.detach();
    s?.destroy();
    p?.reject(err ?? new Error('the client was closed before the reply'));
  }

  /** Forgets the socket and any reply in progress; the request that was waiting, if one was. */
  private detach(): Pending | undefined {
    clearTimeout(this.timer);
    this.socket = undefined;
    this.buf = Buffer.alloc(0);
    this.reply = undefined;
    const p = this.current;
    this.current = undefined;
    return p;
  }

  private open(): Socket {
    const port = Number(this.url.port) || (this.url.protocol === 'https:' ? 443 : 80);
    const s = this.url.protocol === 'https:'
      ? connectTls({ host: this.url.hostname, port, servername: this.url.hostname })
      : connectTcp({ host: this.url.hostname, port });
    s.setNoDelay(true);
    s.on('data', (chunk: Buffer) => this.onData(chunk));
    const lost = (err?: Error) => {
      if (this.socket !== s) return;
      const p = this.detach();
      if (!p) return;
      p.reject(err ?? new Error('connection closed before the reply'));
      // The next request on this connection opens a new socket.
      this.onIdle(this);
    };
    s.on('error', lost);
    s.on('close', () => lost());
    this.socket = s;
    return s;
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (!this.reply && !this.readHead()) return;
      if (!this.readBody()) return;
    }
  }

  /** The reply's status line and headers, when all of them are in; false to wait for more. */
  private readHead(): boolean {
    const end = this.buf.indexOf(crlfcrlf);
    if (end < 0) return false;
    const head = this.buf.toString('latin1', 0, end);
    const status = Number(head.slice(9, 12));
    let length = -1;
    let chunked = false;
    let close = false;
    for (const line of head.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim().toLowerCase();
      if (name === 'content-length') length = Number(value);
      else if (name === 'transfer-encoding') chunked = value.includes('chunked');
      else if (name === 'connection') close = value === 'close';
    }
    // A reply with neither length nor chunks (204, 304, a HEAD) has no body here.
    if (!chunked && length < 0) length = 0;
    this.reply = { status, length, chunked, close, bodyAt: end + 4 };
    return true;
  }

  /** The reply's body, when all of it is in: answers the request; false to wait for more. */
  private readBody(): boolean {
    const r = this.reply!;
    let text: string;
    let used: number;
    if (!r.chunked) {
      if (this.buf.length < r.bodyAt + r.length) return false;
      text = this.buf.toString('utf8', r.bodyAt, r.bodyAt + r.length);
      used = r.bodyAt + r.length;
    } else {
      const body = dechunk(this.buf, r.bodyAt);
      if (!body) return false;
      text = body.text;
      used = body.end;
    }
    this.buf = used === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(used);
    this.reply = undefined;
    clearTimeout(this.timer);
    const p = this.current;
    this.current = undefined;
    if (r.close) {
      this.socket?.destroy();
      this.socket = undefined;
    }
    p?.resolve({ status: r.status, text });
    this.onIdle(this);
    return this.buf.length > 0;
  }
}

/** A chunked body starting at `from`, when its last chunk is in. */
function dechunk(buf: Buffer, from: number): { text: string; end: number } | undefined {
  const parts: Buffer[] = [];
  let at = from;
  for (;;) {
    const eol = buf.indexOf('\r\n', at);
    if (eol < 0) return undefined;
    const size = parseInt(buf.toString('latin1', at, eol), 16);
    if (Number.isNaN(size)) throw new Error('bad chunk size in a reply');
    const start = eol + 2;
    if (size === 0) {
      const trailerEnd = buf.indexOf(crlfcrlf, eol);
      if (trailerEnd < 0) return undefined;
      return { text: Buffer.concat(parts).toString('utf8'), end: trailerEnd + 4 };
    }
    if (buf.length < start + size + 2) return undefined;
    parts.push(buf.subarray(start, start + size));
    at = start + size + 2;
  }
}

/**
 * Up to `connections` keep-alive connections to one origin; requests beyond them wait in
 * order. A request without its reply after `timeoutMs` (default 60 s) is refused.
 */
export class RawHttpClient {
  private readonly idle: Connection[] = [];
  private readonly waiting: Pending[] = [];
  private readonly all: Connection[] = [];
  private readonly host: string;
  private closed = false;

  constructor(private readonly origin: string, private readonly connections: number, private readonly timeoutMs = 60_000) {
    this.host = new URL(origin).host;
  }

  request(method: string, path: string, headers: Record<string, string>, body?: string): Promise<RawReply> {
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.host}\r\n`;
    for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
    const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
    head += payload === undefined ? '\r\n' : `content-length: ${payload.length}\r\n\r\n`;
    const bytes = payload === undefined ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), payload]);
    return new Promise<RawReply>((resolve, reject) => {
      if (this.closed) return reject(new Error('the client is closed'));
      const p = { head: bytes, resolve, reject };
      const c = this.idle.pop() ?? this.fresh();
      if (c) c.send(p);
      else this.waiting.push(p);
    });
  }

  /** Closes every connection; requests waiting for a reply or a connection are refused. */
  close(): void {
    this.closed = true;
    for (const p of this.waiting.splice(0)) p.reject(new Error('the client was closed before the request was sent'));
    for (const c of this.all) c.close();
  }

  private fresh(): Connection | undefined {
    if (this.all.length >= this.connections) return undefined;
    const c = new Connection(new URL(this.origin), this.timeoutMs, (done) => this.release(done));
    this.all.push(c);
    return c;
  }

  private release(c: Connection): void {
    if (this.closed) return;
    const next = this.waiting.shift();
    if (next) c.send(next);
    else this.idle.push(c);
  }
}
