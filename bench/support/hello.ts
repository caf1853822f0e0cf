// The ceiling every HTTP ratio is taken against: GET /bench/hello (a bare Hono route
// mounted before all middleware; BENCH_ROUTES=1) driven by autocannon.
import autocannon from 'autocannon';

export interface Hello {
  perSec: number;
  p50: number;
  p99: number;
}

/** Undefined when the gateway does not serve /bench/hello (a production gateway). */
export async function measureHello(url: string, connections: number, seconds: number): Promise<Hello | undefined> {
  const probe = await fetch(`${url}/bench/hello`).catch(() => undefined);
  if (probe?.status !== 200) return undefined;
  const r = await autocannon({ url: `${url}/bench/hello`, connections, duration: seconds });
  return { perSec: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99 };
}
