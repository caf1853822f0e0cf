// A lean HTTP client for the load generator: an undici Pool of keep-alive connections to
// one origin, bodies gathered as text by a dispatch handler, no fetch Request/Response
// objects and no body streams per call. The bench's own CPU per request is what limits a
// closed loop on a shared 2-core machine.
import { Pool } from 'undici';

export interface HttpReply {
  status: number;
  text: string;
}

export class LeanClient {
  private readonly pool: Pool;

  constructor(origin: string, connections: number) {
    this.pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 60_000, bodyTimeout: 60_000 });
  }

  /**
   * One request through `dispatch` with a handler that gathers the body's chunks: no
   * response object and no body stream per reply, which `pool.request` builds (a stream
   * and its events for a 100-byte JSON answer).
   */
  request(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, headers: Record<string, string>, body?: string): Promise<HttpReply> {
    return new Promise<HttpReply>((resolve, reject) => {
      let status = 0;
      const chunks: Buffer[] = [];
      this.pool.dispatch({ method, path, headers, ...(body === undefined ? {} : { body }) }, {
        onConnect: () => undefined,
        onError: reject,
        // Called again after a 1xx: the last status is the reply's.
        onHeaders: (statusCode) => {
          status = statusCode;
          return true;
        },
        onData: (chunk) => {
          chunks.push(chunk);
          return true;
        },
        onComplete: () => resolve({ status, text: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8') }),
      });
    });
  }

  /** POST JSON with a bearer token; the reply body parsed when it is JSON. */
  async postJson(path: string, token: string | undefined, body: unknown, extra: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...extra };
    if (token) headers.authorization = `Bearer ${token}`;
    const r = await this.request('POST', path, headers, JSON.stringify(body));
    let parsed: Record<string, unknown> = {};
    try {
      parsed = r.text === '' ? {} : (JSON.parse(r.text) as Record<string, unknown>);
    } catch {
      parsed = { raw: r.text.slice(0, 200) };
    }
    return { status: r.status, body: parsed };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
