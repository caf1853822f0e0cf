// Placing and paying an order, POST /v1/checkout and POST /v1/orders/:orderId/pay, in a
// lane ahead of the middleware chain (fast-routes.ts says what a lane keeps of the chain
// and when it leaves a request to it): the two requests of every order in a flash sale.
// What they do is order-taking.ts's, shared with the chain's routes (checkout.ts); a
// request with an Idempotency-Key, whose order id comes from its key, is the chain's.
import type { IncomingMessage } from 'node:http';
import type { GatewayDeps } from '../deps.ts';
import { parseJsonBody, readIncoming } from '../body.ts';
import { check } from '../validate.ts';
import { checkoutBody, payBody } from '../schemas-orders.ts';
import type { NodeRequest } from '../fast-lane.ts';
import type { OrderTaking } from '../order-taking.ts';
import { fastLane, type FastLane, type FastLaneOptions, type FastRoutes, type JsonOutcome } from '../fast-routes.ts';
import { orderIdParam } from './order-params.ts';

type OrderCall = 'place' | 'pay';

const payPrefix = '/v1/orders/';
const paySuffix = '/pay';
/** An id the chain's orderIdParam takes: anything else (a 404, an escaped path) is the chain's to answer. */
const plainOrderId = /^o[a-z0-9]{8,40}$/;

/** The order id of a `/v1/orders/<id>/pay` path this lane takes, else undefined. */
function payOrderIdOf(url: string): string | undefined {
  if (!url.startsWith(payPrefix) || !url.endsWith(paySuffix)) return undefined;
  const id = url.slice(payPrefix.length, -paySuffix.length);
  return plainOrderId.test(id) ? id : undefined;
}

class OrderRoutes implements FastRoutes<OrderCall> {
  readonly route = { place: '/v1/checkout', pay: '/v1/orders/:orderId/pay' } as const;
  readonly withBody = { place: true, pay: true } as const;

  constructor(private readonly orders: OrderTaking) {}

  callOf(req: IncomingMessage): OrderCall | undefined {
    if (req.method !== 'POST') return undefined;
    const url = req.url ?? '';
    if (url === '/v1/checkout') return 'place';
    return payOrderIdOf(url) === undefined ? undefined : 'pay';
  }

  async perform(r: NodeRequest, call: OrderCall, userId: string): Promise<JsonOutcome> {
    if (call === 'place') {
      // No body at all (Content-Length: 0; one without a length is the chain's) is `{}`,
      // as the chain's route takes it (body.ts readOptionalJson): a checkout of the cart.
      const text = await readIncoming(r.req);
      const input = check(checkoutBody, text === '' ? {} : parseJsonBody(text));
      return { status: 201, json: JSON.stringify(await this.orders.place(userId, input, undefined)) };
    }
    const orderId = orderIdParam(payOrderIdOf(r.req.url ?? '') ?? '');
    const input = check(payBody, parseJsonBody(await readIncoming(r.req)));
    return { status: 200, json: JSON.stringify(await this.orders.pay(orderId, userId, input)) };
  }
}

export function fastOrders(deps: GatewayDeps, opts: FastLaneOptions, orders: OrderTaking): FastLane {
  return fastLane(deps, opts, new OrderRoutes(orders));
}
