// A lean HTTP client for the load generator: an undici Pool of keep-alive connections to
// one origin, bodies read as text, no fetch Request/Response objects per call. The
// bench's own CPU per request is what limits a closed loop on a shared 2-core machine.
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

  async request(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, headers: Record<string, string>, body?: string): Promise<HttpReply> {
    const res = await this.pool.request({ method, path, headers, ...(body === undefined ? {} : { body }) });
    return { status: res.statusCode, text: await res.body.text() };
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
