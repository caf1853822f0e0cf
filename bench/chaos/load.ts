// The traffic of a chaos scenario, through the gateway over HTTP: buyers in a flash sale
// (checkout one unit, then pay, each retried with its Idempotency-Key the way a careful
// client does), background browsing, search and cart traffic, and a probe of the sale SKU.
// Every HTTP answer is tallied by kind, with its time, so recovery can be read off it.

export type Outcome = 'ok' | 'refused' | 'unavailable503' | 'timeout503' | 'error5xx' | 'hang' | 'connError';
/** Kinds that count as a failed request (business refusals such as sold out do not). */
export const failures: Outcome[] = ['unavailable503', 'timeout503', 'error5xx', 'hang', 'connError'];

export interface Sample {
  at: number;
  end: number;
  outcome: Outcome;
  what: string;
}

export interface LoadResult {
  samples: Sample[];
  /** Orders the client was told were created (201), and told were paid (200). */
  created: Set<string>;
  paid: Set<string>;
  /** One purchase (one Idempotency-Key) that came back with two different order ids. */
  duplicateOrders: number;
  firstErrors: string[];
  /** 4xx answers by what and error code (sold out is expected; others say what went wrong). */
  refusals: Record<string, number>;
}

interface Reply { status: number; body: Record<string, unknown> | undefined; outcome: Outcome }

/** Longer than any deadline the gateway gives an ask (checkout 15 s, pay 20 s): no answer by then is a hang. */
const requestTimeoutMs = 30_000;

function classify(status: number, body: Record<string, unknown> | undefined): Outcome {
  if (status < 400) return 'ok';
  if (status < 500) return 'refused';
  const code = (body?.error as { code?: string } | undefined)?.code;
  if (status === 503 && (code === 'timeout' || code === 'payment_pending' || code === 'outcome_unknown')) return 'timeout503';
  if (status === 503) return 'unavailable503';
  return 'error5xx';
}

export interface LoadOptions {
  url: string;
  tokens: string[];
  sku: string;
  cartSku: string;
  buyers: number;
}

export class Load {
  private running = true;
  private readonly result: LoadResult = { samples: [], created: new Set(), paid: new Set(), duplicateOrders: 0, firstErrors: [], refusals: {} };
  private readonly workers: Promise<void>[] = [];

  constructor(private readonly opts: LoadOptions) {}

  start(): void {
    for (let b = 0; b < this.opts.buyers; b++) this.workers.push(this.buyer(b));
    for (let w = 0; w < 3; w++) this.workers.push(this.browser(w));
    this.workers.push(this.probe());
  }

  async stop(): Promise<LoadResult> {
    this.running = false;
    await Promise.all(this.workers);
    return this.result;
  }

  private async call(what: string, method: string, path: string, token?: string, body?: unknown, key?: string): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (key) headers['idempotency-key'] = key;
    const at = Date.now();
    let reply: Reply;
    try {
      const res = await fetch(`${this.opts.url}${path}`, {
        method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      const text = await res.text();
      let parsed: Record<string, unknown> | undefined;
      try {
        parsed = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      } catch {
        parsed = undefined;
      }
      reply = { status: res.status, body: parsed, outcome: classify(res.status, parsed) };
      if (reply.outcome === 'refused') {
        const code = `${what} ${res.status} ${String((parsed?.error as { code?: string } | undefined)?.code)}`;
        this.result.refusals[code] = (this.result.refusals[code] ?? 0) + 1;
      }
      if (res.status >= 500 && this.result.firstErrors.length < 8) this.result.firstErrors.push(`${what} ${res.status} ${text.slice(0, 160)}`);
    } catch (err) {
      const name = (err as Error).name;
      reply = { status: 0, body: undefined, outcome: name === 'TimeoutError' || name === 'AbortError' ? 'hang' : 'connError' };
      if (this.result.firstErrors.length < 8) this.result.firstErrors.push(`${what} ${reply.outcome} ${String((err as Error).message)}`);
    }
    this.result.samples.push({ at, end: Date.now(), outcome: reply.outcome, what });
    return reply;
  }

  /** Retries an unsuccessful answer (not a refusal) with the same key, a few times. */
  private async withRetries(what: string, path: string, token: string, body: unknown, key: string): Promise<Reply> {
    let reply: Reply = { status: 0, body: undefined, outcome: 'connError' };
    for (let attempt = 0; attempt < 5 && (attempt === 0 || this.running); attempt++) {
      reply = await this.call(what, 'POST', path, token, body, key);
      const code = (reply.body?.error as { code?: string } | undefined)?.code;
      const inProgress = reply.status === 409 && code === 'request_in_progress';
      if (reply.outcome === 'ok' || (reply.outcome === 'refused' && !inProgress)) return reply;
      await sleep(300 * (attempt + 1));
    }
    return reply;
  }

  private async buyer(b: number): Promise<void> {
    const token = this.opts.tokens[b % this.opts.tokens.length]!;
    for (let n = 0; this.running; n++) {
      const key = `buy-${b}-${n}-${Date.now()}`;
      const orderIds = new Set<string>();
      let orderId: string | undefined;
      // Checkout, retried with one key: every 201 must name the same order.
      for (let attempt = 0; attempt < 5 && this.running; attempt++) {
        const r = await this.call('checkout', 'POST', '/v1/checkout', token, { items: [{ sku: this.opts.sku, qty: 1 }] }, key);
        const code = (r.body?.error as { code?: string } | undefined)?.code;
        if (r.status === 201 && typeof r.body?.orderId === 'string') {
          orderId = r.body.orderId;
          orderIds.add(orderId);
          this.result.created.add(orderId);
          break;
        }
        if (r.outcome === 'refused' && code !== 'request_in_progress') break;
        await sleep(300 * (attempt + 1));
      }
      if (orderIds.size > 1) this.result.duplicateOrders++;
      if (!orderId) {
        await sleep(100);
        continue;
      }
      const paid = await this.withRetries('pay', `/v1/orders/${orderId}/pay`, token, { paymentMethod: { type: 'card', token: 'tok_ok' } }, `${key}-pay`);
      if (paid.status === 200) this.result.paid.add(orderId);
      await sleep(20);
    }
  }

  private async browser(w: number): Promise<void> {
    const token = this.opts.tokens[w % this.opts.tokens.length]!;
    const words = ['acme', 'books', 'home', 'toys', 'item'];
    for (let i = 0; this.running; i++) {
      switch (i % 4) {
        case 0: await this.call('browse', 'GET', `/v1/inventory/SKU-000${String(10 + (i % 40)).padStart(2, '0')}`); break;
        case 1: await this.call('search', 'GET', `/v1/search?q=${words[i % words.length]}`); break;
        case 2: await this.call('cart', 'POST', '/v1/cart/items', token, { sku: this.opts.cartSku, qty: 1 + (i % 3) }); break;
        default: await this.call('cart', 'GET', '/v1/cart', token);
      }
      await sleep(25);
    }
  }

  private async probe(): Promise<void> {
    while (this.running) {
      await this.call('probe', 'GET', `/v1/inventory/${this.opts.sku}`);
      await sleep(100);
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
