// The caller's wishlist (🔒).
import { Hono } from 'hono';
import { assertListOwner, listOwnerTag } from '../../actors/common/list-owner.ts';
import type { Logger } from 'pino';
import { CartApi } from '../../actors/cart/index.ts';
import { HttpError } from '../errors.ts';
import type { GatewayDeps } from '../deps.ts';
import type { GatewayEnv } from '../env.ts';
import { requireUser, userOf } from '../auth.ts';
import { body } from '../validate.ts';
import { skuPattern, wishlistBody } from '../schemas.ts';
import { skuParam } from './params.ts';
import { noBody } from '../body.ts';
import { pageParams } from '../paging.ts';
import type { WishlistItemView } from '../../actors/wishlist/index.ts';

/** Where a page ended: its last item's time and SKU (the list is newest first, then by SKU). */
interface Place { at: string; sku: string }

function encodePlace(item: WishlistItemView, userId: string): string {
  return Buffer.from(JSON.stringify({ at: item.addedAt, sku: item.sku, u: listOwnerTag(userId) })).toString('base64url');
}

/**
 * A place this route gave out for `userId`'s list, or a throw (400 invalid_cursor): a
 * forged one is not read. One given out before cursors named their list (no `u`) is read.
 */
function decodePlace(cursor: string, userId: string): Place {
  const place = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as Partial<Place> & { u?: unknown } | null;
  const at = place?.at;
  const sku = place?.sku;
  if (typeof at !== 'string' || typeof sku !== 'string' || !skuPattern.test(sku)) throw new Error('not a wishlist cursor');
  if (Number.isNaN(Date.parse(at)) || new Date(at).toISOString() !== at) throw new Error('not a wishlist cursor');
  assertListOwner(place?.u, userId, 'wishlist');
  return { at, sku };
}

/**
 * The page after `after`, by place rather than by offset: an item removed from an earlier
 * page does not make the next one skip an item.
 */
function pageOf(items: WishlistItemView[], limit: number, after: Place | undefined, userId: string) {
  const start = after === undefined ? 0 : items.findIndex((i) => i.addedAt < after.at || (i.addedAt === after.at && i.sku > after.sku));
  const from = start === -1 ? items.length : start;
  const page = items.slice(from, from + limit);
  const more = from + limit < items.length;
  return { items: page, nextCursor: more ? encodePlace(page[page.length - 1]!, userId) : null };
}

export function wishlistRoutes(deps: GatewayDeps, log: Logger): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.use('/v1/wishlist', requireUser);
  app.use('/v1/wishlist/*', requireUser);
  app.get('/v1/wishlist', async (c) => {
    const query = c.req.query();
    // API.md's wishlist row answers the whole list, its Lists convention pages: without
    // limit and cursor the whole wishlist (at most 500), with either a page of it.
    const userId = userOf(c);
    const { limit, after, given: paged } = pageParams(query, (cursor) => decodePlace(cursor, userId));
    const whole = await deps.wishlist.get(userId);
    if (!paged) return c.json({ ...whole, nextCursor: null });
    return c.json(pageOf(whole.items, limit, after, userId));
  });
  app.post('/v1/wishlist/items', async (c) => {
    const input = await body(c, wishlistBody);
    return c.json(await deps.wishlist.add(userOf(c), input.sku));
  });
  app.delete('/v1/wishlist/items/:sku', async (c) => c.json(await deps.wishlist.remove(userOf(c), skuParam(c.req.param('sku')))));
  // Out of the wishlist first, then one unit into the cart: of concurrent moves of one item
  // (a double click) only the one that took it adds a unit; adding first, each had added
  // one (10 parallel moves made qty 10). A failed add puts it back in the wishlist.
  const carts = new CartApi(deps.client);
  app.post('/v1/wishlist/items/:sku/move-to-cart', async (c) => {
    const userId = userOf(c);
    const sku = skuParam(c.req.param('sku'));
    await noBody(c);
    const move = await deps.wishlist.take(userId, sku);
    if (!move.taken) throw new HttpError(404, 'not_found', `${sku} is not in the wishlist`);
    try {
      return c.json(await carts.add(userId, sku, 1));
    } catch (err) {
      await move.giveBack().catch((e: unknown) => log.warn({ err: String(e), sku }, 'a wishlist item whose move to the cart failed could not be put back'));
      throw err;
    }
  });
  return app;
}
