// The order id in a path: the shape newOrderId() makes, checked before it names an entity.
import { HttpError } from '../errors.ts';

export function orderIdParam(raw: string): string {
  if (!/^o[a-z0-9]{8,40}$/.test(raw)) throw new HttpError(404, 'not_found', `no order ${raw.slice(0, 64)}`);
  return raw;
}
