// The caller's IP: the socket's peer, or — behind `trustProxy` proxies that each append
// the address they saw to X-Forwarded-For — the entry the outermost trusted proxy added,
// counted from the right. Entries further left were written by the client and prove
// nothing; trusting them would let anyone pick the address its limits are counted under.
import { isIPv6 } from 'node:net';
import type { Context, MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { GatewayEnv } from './env.ts';

/**
 * An address without the port some proxies append ("81.2.69.160:4711", "[2001:db8::1]:443"):
 * with it, GeoIP found no country and the limits counted every connection apart.
 */
export function withoutPort(entry: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (v6) return v6[1]!;
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(entry);
  return v4 ? v4[1]! : entry;
}

/** The client address in an X-Forwarded-For value seen behind `hops` trusted proxies. */
export function forwardedClient(header: string | undefined, hops: number): string | undefined {
  if (!header || hops < 1) return undefined;
  // One address (a single proxy in front, the common case): no list to take apart.
  if (!header.includes(',')) return withoutPort(header.trim()) || undefined;
  const entries = header.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (entries.length === 0) return undefined;
  // Fewer entries than proxies: the request skipped some of them; the first is the best we have.
  return withoutPort(entries[Math.max(0, entries.length - hops)]!);
}

/** The client address of a request (see above), at most 64 characters, `unknown` without a socket. */
export function clientAddress(c: Context<GatewayEnv>, trustProxy: number): string {
  // Not through addressOf: its socket argument would be an object and a closure per request.
  return fitted((trustProxy > 0 ? forwardedClient(c.req.header('x-forwarded-for'), trustProxy) : undefined) || peerAddress(c));
}

function peerAddress(c: Context<GatewayEnv>): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined; // not served by @hono/node-server (app.request() in tests): no socket to ask
  }
}

/** The same from the X-Forwarded-For value and the socket's peer address (asked only when needed). */
export function addressOf(forwardedFor: string | undefined, socket: { peer(): string | undefined }, trustProxy: number): string {
  return fitted((trustProxy > 0 ? forwardedClient(forwardedFor, trustProxy) : undefined) || socket.peer());
}

/** At most 64 characters; `unknown` when there is no address at all. */
function fitted(ip: string | undefined): string {
  return (ip || 'unknown').slice(0, 64);
}

export function clientIp(trustProxy: number): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    c.set('clientIp', clientAddress(c, trustProxy));
    await next();
  };
}

/**
 * The name a client address is rate limited under: an IPv6 address's /64 network, an
 * IPv4-mapped one's IPv4 address, anything else as it is. One IPv6 host is given a whole
 * /64 (often more) and may speak from any address in it: limited per address, it could try
 * passwords on every account (or sign up) without end by taking a new address each time.
 */
export function limitedAs(ip: string): string {
  const address = ip.split('%', 1)[0]!;
  if (!isIPv6(address)) return ip;
  const groups = groupsOf(address);
  // IPv4-mapped (::ffff:a.b.c.d), and the NAT64 well-known prefix (64:ff9b::a.b.c.d): each
  // is one IPv4 client, not one /64 shared by every IPv4 client behind the translator.
  const mapped = groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff';
  const nat64 = groups[0] === '64' && groups[1] === 'ff9b' && groups.slice(2, 6).every((g) => g === '0');
  if (mapped || nat64) {
    const [hi, lo] = [parseInt(groups[6]!, 16), parseInt(groups[7]!, 16)];
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, lower-case, without leading zeros. */
function groupsOf(address: string): string[] {
  // A trailing dotted IPv4 part counts as two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  let text = address;
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${address.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const split = (part: string) => (part === '' ? [] : part.split(':'));
  const left = split(head);
  const right = tail === undefined ? [] : split(tail);
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => parseInt(g, 16).toString(16));
}
