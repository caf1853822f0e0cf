// A lean HTTP client for the load generator: keep-alive connections to one origin on bare
// sockets (raw-http.ts), bodies as text, JSON parsed here. The bench's own CPU per request
// is what limits a closed loop on a shared 2-core machine.
import { RawHttpClient } from './raw-http.ts';

export interface HttpReply {
  status: number;
  text: string;
}

export class LeanClient {
  private readonly http: RawHttpClient;

  constructor(origin: string, connections: number) {
    this.http = new RawHttpClient(origin, connections);
  }

  request(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, headers: Record<string, string>, body?: string): Promise<HttpReply> {
    return this.http.request(method, path, headers, body);
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
    this.http.close();
    return Promise.resolve();
  }
}
