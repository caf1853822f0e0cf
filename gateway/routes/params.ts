// Path parameters shared by several routes.
import { HttpError } from '../errors.ts';
import { skuPattern } from '../schemas.ts';

export function skuParam(raw: string): string {
  if (!skuPattern.test(raw)) throw new HttpError(400, 'invalid_sku', 'sku must be 1-128 characters of letters, digits and _-:@+=');
  return raw;
}
