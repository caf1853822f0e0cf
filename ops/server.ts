// The ops port: /healthz (the process runs), /readyz (it should get traffic: each check
// "ok" or why not) and /metrics (this process's own series). A bare node:http server, so
// a node without a gateway needs no web framework and a scrape never queues behind the API.
import { createServer, type Server } from 'node:http';
import { metricsContentType, scrape } from '../cluster/index.ts';

export type Readiness = () => Promise<Record<string, string>>;

export interface OpsServer {
  url: string;
  close(): Promise<void>;
}

export async function startOpsServer(opts: { host: string; port: number; readiness: Readiness }): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      // Not ready yet: when to look again, as every 503 of the API says.
      const retry: Record<string, string> = status === 503 ? { 'retry-after': '1' } : {};
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...retry });
      res.end(body);
    };
    const json = (status: number, body: unknown) => send(status, 'application/json', JSON.stringify(body));
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: { code: 'method_not_allowed', message: 'the ops port answers GET only' } });
    if (path === '/healthz') return json(200, { ok: true });
    if (path === '/readyz') {
      opts.readiness().then(
        (checks) => {
          const ok = Object.values(checks).every((v) => v === 'ok');
          json(ok ? 200 : 503, { ok, checks });
        },
        (err: unknown) => json(503, { ok: false, checks: { readiness: String(err) } }),
      );
      return;
    }
    if (path === '/metrics') {
      scrape().then((text) => send(200, metricsContentType, text), (err: unknown) => json(500, { error: { code: 'internal', message: String(err) } }));
      return;
    }
    json(404, { error: { code: 'not_found', message: `no route ${path}; try /healthz, /readyz or /metrics` } });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    url: `http://${opts.host}:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
