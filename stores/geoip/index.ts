// GeoIP: the country of an IP address, from an MMDB file shipped as an npm package
// (@ip-location-db/geo-whois-asn-country-mmdb: CC0 package, data CC BY 4.0 by the NRO),
// read with mmdb-lib. Loaded once per process; a lookup is a walk of an in-memory tree.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BlockList, isIP } from 'node:net';
import { Reader, type Response } from 'mmdb-lib';

interface CountryRecord { country_code?: string }

/**
 * Addresses that belong to no country: private, loopback, link-local, shared (CGNAT) and
 * documentation ranges. Checked before the database, which places some of them (the
 * packaged data puts 192.168.0.1 in AU).
 */
const nowhere = new BlockList();
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 3]] as const) {
  nowhere.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [['::', 127], ['fc00::', 7], ['fe80::', 10], ['2001:db8::', 32], ['ff00::', 8]] as const) nowhere.addSubnet(net, bits, 'ipv6');

/** The MMDB file inside the npm package (IPv4 and IPv6 in one tree). */
export function defaultGeoIpPath(): string {
  return createRequire(import.meta.url).resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb');
}

export class GeoIp {
  // mmdb-lib types MaxMind's own layouts; this database's records are `{country_code}`.
  private readonly reader: Reader<Response>;
  /** Recent answers: a busy gateway sees the same addresses again and again. */
  private readonly recent = new Map<string, string | undefined>();

  constructor(db: Buffer) {
    this.reader = new Reader<Response>(db);
  }

  /** Reads the database file (GEOIP_DB, or the packaged one). */
  static open(path = defaultGeoIpPath()): GeoIp {
    return new GeoIp(readFileSync(path));
  }

  /** When the data was built. */
  get builtAt(): Date {
    return this.reader.metadata.buildEpoch;
  }

  /**
   * The ISO 3166-1 alpha-2 country of `ip`, or undefined for addresses the database does
   * not place (private, loopback, unknown) and for anything that is not an IP address.
   */
  country(ip: string): string | undefined {
    if (this.recent.has(ip)) return this.recent.get(ip);
    let found: string | undefined;
    try {
      // IPv4 seen on a dual-stack socket arrives as ::ffff:a.b.c.d.
      const plain = ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
      const family = isIP(plain);
      const code = family === 0 || nowhere.check(plain, family === 4 ? 'ipv4' : 'ipv6')
        ? undefined
        : (this.reader.get(plain) as CountryRecord | null)?.country_code;
      found = typeof code === 'string' && /^[A-Z]{2}$/.test(code) ? code : undefined;
    } catch {
      found = undefined;
    }
    if (this.recent.size >= 10_000) this.recent.clear();
    this.recent.set(ip, found);
    return found;
  }
}
