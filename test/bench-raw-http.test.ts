// The load generator's bare-socket HTTP client against a real HTTP server: what the bench
// reads (status and body) must be exactly what the server sent, whatever the framing, or
// the bench's counts of paid and refused orders are wrong.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RawHttpClient } from '../bench/support/raw-http.ts';

let server: Server;
let origin = '';
const sockets = new Set<unknown>();

test.before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString('utf8'); });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/echo') {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ method: req.method, body, auth: req.headers.authorization ?? null }));
      } else if (url.pathname === '/chunked') {
        // No length: node sends the body in chunks.
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('fi');
        setTimeout(() => res.end('rst é and last'), 5);
      } else if (url.pathname === '/close') {
        res.writeHead(409, { connection: 'close', 'content-type': 'application/json' });
        res.end('{"error":"conflict"}');
      } else if (url.pathname === '/never') {
        // No reply at all.
      } else if (url.pathname === '/slow') {
        setTimeout(() => res.end(url.searchParams.get('n') ?? ''), 20);
      } else {
        res.writeHead(204);
        res.end();
      }
    });
  });
  server.on('connection', (s) => sockets.add(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.after(() => new Promise<void>((r) => {
  server.closeAllConnections();
  server.close(() => r());
}));

test('status and body as sent, by length and by chunks, with a UTF-8 body and headers sent through', async () => {
  const http = new RawHttpClient(origin, 2);
  const echoed = await http.request('POST', '/echo', { 'content-type': 'application/json', authorization: 'Bearer t' }, '{"q":"ü"}');
  assert.is(echoed.status, 201);
  assert.equal(JSON.parse(echoed.text), { method: 'POST', body: '{"q":"ü"}', auth: 'Bearer t' });
  const chunked = await http.request('GET', '/chunked', {});
  assert.equal([chunked.status, chunked.text], [200, 'first é and last']);
  const empty = await http.request('GET', '/nothing', {});
  assert.equal([empty.status, empty.text], [204, '']);
  http.close();
});

test('a connection is kept and reused; one the server closes is replaced; requests beyond the connections wait their turn', async () => {
  sockets.clear();
  const http = new RawHttpClient(origin, 2);
  for (let i = 0; i < 5; i++) assert.is((await http.request('GET', '/echo', {})).status, 201);
  assert.is(sockets.size, 1, 'five requests in a row over one connection');
  const closed = await http.request('GET', '/close', {});
  assert.equal([closed.status, closed.text], [409, '{"error":"conflict"}']);
  assert.is((await http.request('GET', '/echo', {})).status, 201, 'the next request opens a new connection');
  assert.is(sockets.size, 2);
  sockets.clear();
  const replies = await Promise.all(Array.from({ length: 7 }, (_, n) => http.request('GET', `/slow?n=${n}`, {})));
  assert.equal(replies.map((r) => r.text), ['0', '1', '2', '3', '4', '5', '6'], 'each reply reaches its own request');
  assert.ok(sockets.size <= 2, `at most two connections (${sockets.size})`);
  http.close();
});

test('a request whose connection fails is rejected, and the client goes on', async () => {
  const http = new RawHttpClient('http://127.0.0.1:1', 1);
  const err = await http.request('GET', '/', {}).then(() => undefined, (e: unknown) => e);
  assert.instance(err, Error);
  const again = await http.request('GET', '/', {}).then(() => undefined, (e: unknown) => e);
  assert.instance(again, Error, 'the slot was given back: a second request is tried, not stuck');
  http.close();
});

test('a reply that never comes fails its request after the timeout; closing the client refuses what still waits', async () => {
  const http = new RawHttpClient(origin, 1, 200);
  const started = Date.now();
  const err = await http.request('GET', '/never', {}).then(() => undefined, (e: unknown) => e);
  assert.instance(err, Error);
  assert.match(String(err), /no reply within 200 ms/);
  assert.ok(Date.now() - started < 2000);
  assert.is((await http.request('GET', '/echo', {})).status, 201, 'the connection\'s slot serves the next request');
  const stuck = http.request('GET', '/never', {});
  const queued = http.request('GET', '/echo', {});
  http.close();
  const outcomes = await Promise.allSettled([stuck, queued]);
  assert.equal(outcomes.map((o) => o.status), ['rejected', 'rejected'], 'both refused at once, neither left waiting');
});

test.run();
