// Whose list a paging cursor pages (a user's orders, their wishlist): a short digest of the
// user id, written into the cursor, so one account's cursor sent with another's token (an
// app that switched accounts mid-scroll) is 400 `invalid_cursor` instead of a page of the
// other's list from the first one's place, which skipped every newer item of theirs. Not a
// secret: it tells lists apart.
import { createHash } from 'node:crypto';
import { RejectedError } from '../../cluster/index.ts';

export function listOwnerTag(userId: string): string {
  return createHash('sha256').update(userId).digest('base64url').slice(0, 8);
}

/**
 * Refuses a cursor whose owner tag (`tag`, absent in cursors older than the tag) is not
 * `userId`'s list: 400 `invalid_cursor` naming the field (gateway/paging.ts).
 */
export function assertListOwner(tag: unknown, userId: string, list: string): void {
  if (tag !== undefined && tag !== listOwnerTag(userId)) {
    throw new RejectedError('invalid_cursor', `the cursor belongs to another account's ${list}: ask for the first page again`, { data: [{ field: 'cursor', problem: 'from another account\'s list' }] });
  }
}
