// Users, addresses and coupons in MariaDB. Business rules (hashing, the default address,
// the delivery cluster) live in actors/users; this file only reads and writes rows.
import type { Pool } from './pool.ts';
import { BatchedReads } from './batched-reads.ts';
import { writeAtomically, writeAtomicallyThenRead, type Statement } from './writes.ts';

export interface UserCredentials {
  userId: string;
  email: string;
  passwordHash: Buffer;
  passwordSalt: Buffer;
  passwordParams: string;
}

export interface AddressRecord {
  addressId: string;
  line1: string;
  city: string;
  region: string;
  country: string;
  postalCode: string;
  cluster: string;
  createdAt: number;
}

export interface CouponRecord {
  code: string;
  description: string;
  discountPercent: number;
  expiresAt: number | null;
  /** An admin coupon issued to this user (promo_coupons), not one of the user's own rows. */
  kind?: 'promo';
  /** Minor units off, for an admin amount-off coupon (discountPercent is then 0). */
  amountOff?: number;
  /** `amountOff`'s currency; absent: the order's. */
  currency?: string;
}

export interface UserRecord {
  userId: string;
  email: string;
  name: string;
  rewardPoints: number;
  defaultAddressId: string | null;
  addresses: AddressRecord[];
  coupons: CouponRecord[];
}

/** MariaDB's duplicate-key error, for a unique email. */
export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === 'ER_DUP_ENTRY';
}

const ms = (v: unknown): number => (v instanceof Date ? v.getTime() : Number(v));

/** How the ids' collation (utf8mb4_general_ci, PAD SPACE) tells them apart, near enough for generated ids. */
const collationKey = (id: string) => id.toLowerCase().trimEnd();

/**
 * Takes the user's row first in every change of their addresses, so two of them (two tabs
 * deleting addresses, one adding) run one after the other. Each had locked its address row,
 * then waited for the other's in the subquery that moves the default: InnoDB killed one as
 * a deadlock, and the client got a 500 for a plain DELETE /v1/me/addresses/:id. Held until
 * the transaction ends, it also makes a capped list's count and insert one step
 * (insertUnderCap).
 *
 * The lock and the statements after it go as ONE compound transaction in one round trip
 * (writes.ts `atomically`), then `result`, a SELECT of the session variables they set. Not
 * an interactive transaction: a gateway stopped between its statements (SIGSTOP, a long GC
 * pause, a frozen VM) kept the user's row locked for as long as it stayed stopped, since
 * MariaDB sees an open connection and waits for its next statement. Every new order and
 * payment locks its buyer's row too (orders.ts), so each journal batch of checkouts that
 * held one of that user's orders waited on it, and every order in the batch, other users'
 * included, was answered 503 `timeout` (a fault audit: a buyer's row held for 12 s).
 * Sent whole, the transaction runs to its COMMIT inside the server whatever the client does.
 */
function underUserLock<R>(pool: Pool, userId: string, what: string, statements: Statement[], result: string): Promise<R> {
  return writeAtomicallyThenRead<R>(pool, [
    { sql: 'SELECT COUNT(*) INTO @shop_user_locked FROM users WHERE user_id = ? FOR UPDATE;', params: [userId] },
    ...statements,
  ], result, what);
}

/**
 * Inserts a row of a user's capped list (`insert`, an INSERT IGNORE) unless the user's
 * other rows, `counted` (`<table> WHERE …`), are `max` already: `'full'` and nothing added,
 * else `'added'` or `'present'`. Counted and inserted in one transaction under the user's
 * lock: counted apart, twenty adds at once to a wishlist of 499 had made it 501.
 *
 * The count is a SELECT … INTO of its own, a consistent read: the user's lock already keeps
 * every other writer of these rows out. As a subquery of a SET it was a locking read, whose
 * gap locks two users' adds took on the same gap of the user_id index before inserting into
 * it: 40 of 128 concurrent address adds of 128 new users failed as deadlocks (503), and
 * bench:flash-sale --via http, which gives its buyers addresses, failed at its start.
 */
export async function insertUnderCap(pool: Pool, userId: string, max: number, counted: [string, unknown[]], insert: [string, unknown[]]): Promise<'added' | 'present' | 'full'> {
  const { outcome } = await underUserLock<{ outcome: 'added' | 'present' | 'full' }>(pool, userId, `a capped insert for user ${userId}`, [
    ...capCheck('shop_capped', counted, max),
    { sql: `IF @shop_capped IS NULL THEN ${insert[0]}; SET @shop_capped = IF(ROW_COUNT() > 0, 'added', 'present'); END IF;`, params: insert[1] },
  ], 'SELECT @shop_capped AS outcome');
  return outcome;
}

/**
 * Sets `@<flag>` to 'full' when `counted` (`<table> WHERE …`) holds `max` rows or more, else
 * NULL (always NULL without a `max`); inside underUserLock. Counted by a SELECT … INTO of
 * its own, a consistent read (see insertUnderCap): a subquery of the SET is a locking read.
 */
function capCheck(flag: string, counted: [string, unknown[]], max: number | undefined): Statement[] {
  if (max === undefined) return [{ sql: `SET @${flag} = NULL;` }];
  return [
    { sql: `SELECT COUNT(*) INTO @${flag}_count FROM ${counted[0]};`, params: counted[1] },
    { sql: `SET @${flag} = IF(@${flag}_count >= ?, 'full', NULL);`, params: [max] },
  ];
}

export class UserRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * Inserts the user and their welcome coupon; throws a duplicate-key error for a taken email
   * (the compound's exit handler RESIGNALs it, so it keeps errno 1062, ER_DUP_ENTRY).
   *
   * One compound transaction (writes.ts), not an interactive one: a gateway stopped between
   * the two inserts or before its COMMIT (SIGSTOP, a long GC pause, a frozen VM) kept the new
   * user's row and its email's index entry locked for as long as it stayed stopped. The
   * client's retry of that very signup on another gateway (same email; with a key, the same
   * derived id) then waited on them and failed with a lock wait timeout, a 503, instead of
   * finding the account (409 email_taken, or the keyed retry's own account).
   */
  async create(u: UserCredentials & { name: string; rewardPoints: number; coupon: CouponRecord & { couponId: string } }): Promise<void> {
    await writeAtomically(this.pool, [
      {
        sql: 'INSERT INTO users (user_id, email, name, password_hash, password_salt, password_params, reward_points) VALUES (?, ?, ?, ?, ?, ?, ?);',
        params: [u.userId, u.email, u.name, u.passwordHash, u.passwordSalt, u.passwordParams, u.rewardPoints],
      },
      {
        sql: 'INSERT INTO coupons (coupon_id, user_id, code, description, discount_percent, expires_at) VALUES (?, ?, ?, ?, ?, ?);',
        params: [u.coupon.couponId, u.userId, u.coupon.code, u.coupon.description, u.coupon.discountPercent, u.coupon.expiresAt === null ? null : new Date(u.coupon.expiresAt)],
      },
    ], `user ${u.userId}`);
  }

  credentialsByEmail(email: string): Promise<UserCredentials | undefined> {
    return this.credentialsWhere('email', email);
  }

  credentialsById(userId: string): Promise<UserCredentials | undefined> {
    return this.credentialsWhere('user_id', userId);
  }

  private async credentialsWhere(column: 'email' | 'user_id', value: string): Promise<UserCredentials | undefined> {
    const [rows] = await this.pool.query(`SELECT user_id, email, password_hash, password_salt, password_params FROM users WHERE ${column} = ?`, [value]);
    const r = (rows as { user_id: string; email: string; password_hash: Buffer; password_salt: Buffer; password_params: string }[])[0];
    return r && { userId: r.user_id, email: r.email, passwordHash: r.password_hash, passwordSalt: r.password_salt, passwordParams: r.password_params };
  }

  /**
   * Replaces the user's password hash if it is still `verifiedHash`, the one the caller
   * checked the current password against; resolves once committed (one autocommit
   * statement), false when it changed meanwhile (or there is no such user). Unconditional,
   * two changes checked against the same old password both succeeded, the last one's
   * password in force, and each told its caller theirs was.
   */
  async updatePassword(userId: string, verifiedHash: Buffer, pw: { passwordHash: Buffer; passwordSalt: Buffer; passwordParams: string }): Promise<boolean> {
    const [res] = await this.pool.query('UPDATE users SET password_hash = ?, password_salt = ?, password_params = ? WHERE user_id = ? AND password_hash = ?', [pw.passwordHash, pw.passwordSalt, pw.passwordParams, userId, verifiedHash]);
    return (res as { affectedRows: number }).affectedRows === 1;
  }

  /**
   * The whole user information page, or undefined. Loads asked for in the same turn go as
   * one round trip (checkout loads the buyer on its hot path: one query per attempt of a
   * flash sale, the second most frequent statement of the sale in MariaDB's general log).
   */
  load(userId: string): Promise<UserRecord | undefined> {
    return this.loads.get(userId);
  }

  private readonly loads = new BatchedReads<UserRecord>((ids) => this.loadMany(ids));

  private async loadMany(ids: string[]): Promise<Map<string, UserRecord>> {
    const [sets] = await this.pool.query(
      `SELECT user_id, email, name, reward_points, default_address_id FROM users WHERE user_id IN (?);
       SELECT * FROM addresses WHERE user_id IN (?) ORDER BY created_at, address_id;
       SELECT user_id, code, description, discount_percent, expires_at FROM coupons WHERE user_id IN (?) AND used_at IS NULL AND (expires_at IS NULL OR expires_at > NOW(3)) ORDER BY created_at;
       SELECT p.user_id, p.code, p.discount_percent, p.amount_off, p.currency, p.expires_at FROM promo_coupons p
         LEFT JOIN coupon_redemptions r ON r.code = p.code AND r.user_id = p.user_id AND r.one_per_user = 1
         WHERE p.user_id IN (?) AND p.expires_at > ? AND p.redeemed < p.max_redemptions AND r.code IS NULL ORDER BY p.created_at;`,
      [ids, ids, ids, ids, Date.now()],
    );
    const [urows, arows, crows, prows] = sets as unknown as [Record<string, unknown>[], Record<string, unknown>[], Record<string, unknown>[], Record<string, unknown>[]];
    const out = new Map<string, UserRecord>();
    for (const row of urows) {
      const u = row as { user_id: string; email: string; name: string; reward_points: number; default_address_id: string | null };
      out.set(u.user_id, { userId: u.user_id, email: u.email, name: u.name, rewardPoints: Number(u.reward_points), defaultAddressId: u.default_address_id, addresses: [], coupons: [] });
    }
    // Rows arrive in each query's order (creation order), so every list keeps it.
    for (const a of arows) {
      out.get(String(a.user_id))?.addresses.push({
        addressId: String(a.address_id), line1: String(a.line1), city: String(a.city), region: String(a.region),
        country: String(a.country), postalCode: String(a.postal_code), cluster: String(a.cluster), createdAt: ms(a.created_at),
      });
    }
    for (const c of crows) {
      out.get(String(c.user_id))?.coupons.push({
        code: String(c.code), description: String(c.description), discountPercent: Number(c.discount_percent),
        expiresAt: c.expires_at === null ? null : ms(c.expires_at),
      });
    }
    for (const c of prows) {
      out.get(String(c.user_id))?.coupons.push(c.amount_off === null
        ? { code: String(c.code), description: `${Number(c.discount_percent)}% off`, discountPercent: Number(c.discount_percent), expiresAt: Number(c.expires_at), kind: 'promo' }
        : {
          code: String(c.code), description: c.currency === null ? `${Number(c.amount_off)} off (minor units)` : `${Number(c.amount_off)} off (minor units of ${String(c.currency)})`,
          discountPercent: 0, amountOff: Number(c.amount_off), ...(c.currency === null ? {} : { currency: String(c.currency) }), expiresAt: Number(c.expires_at), kind: 'promo',
        });
    }
    // The column compares case-insensitively and ignores trailing spaces (its collation), as
    // `WHERE user_id = ?` did for one id: answer each id asked for the same way.
    const byKey = new Map([...out].map(([id, u]) => [collationKey(id), u]));
    return new Map(ids.flatMap((id) => {
      const u = out.get(id) ?? byKey.get(collationKey(id));
      return u ? [[id, u] as const] : [];
    }));
  }

  async updateName(userId: string, name: string): Promise<void> {
    await this.pool.query('UPDATE users SET name = ? WHERE user_id = ?', [name, userId]);
  }

  async countAddresses(userId: string): Promise<number> {
    const [rows] = await this.pool.query('SELECT COUNT(*) AS n FROM addresses WHERE user_id = ?', [userId]);
    return Number((rows as { n: number }[])[0]?.n ?? 0);
  }

  /**
   * Adds an address; makes it the default when asked or when the user has none. With `max`,
   * a user who already has that many gets `'full'` and nothing is added: counted under the
   * user's lock, so concurrent adds cannot pass the cap together (counted before the
   * transaction, ten at once had taken a user with 49 addresses to 52).
   */
  async addAddress(userId: string, a: Omit<AddressRecord, 'createdAt'>, makeDefault: boolean, max?: number): Promise<boolean | 'full'> {
    const { outcome } = await underUserLock<{ outcome: 'full' | 'default' | 'added' }>(this.pool, userId, `an address of user ${userId}`, [
      ...capCheck('shop_address', ['addresses WHERE user_id = ?', [userId]], max),
      {
        sql: `IF @shop_address IS NULL THEN
          INSERT INTO addresses (address_id, user_id, line1, city, region, country, postal_code, cluster) VALUES (?, ?, ?, ?, ?, ?, ?, ?);
          UPDATE users SET default_address_id = ? WHERE user_id = ? AND (? OR default_address_id IS NULL);
          SET @shop_address = IF(ROW_COUNT() = 1, 'default', 'added');
        END IF;`,
        params: [a.addressId, userId, a.line1, a.city, a.region, a.country, a.postalCode, a.cluster, a.addressId, userId, makeDefault],
      },
    ], 'SELECT @shop_address AS outcome');
    return outcome === 'full' ? 'full' : outcome === 'default';
  }

  /** Changes one of the user's addresses (and makes it the default when asked); false when the user has no such address. */
  async updateAddress(userId: string, a: Omit<AddressRecord, 'createdAt'>, makeDefault: boolean): Promise<boolean> {
    // Found by a read under the user's lock, not by the UPDATE's row count: ROW_COUNT()
    // follows the connection's found-rows flag, which this read does not depend on.
    const { found } = await underUserLock<{ found: number | string }>(this.pool, userId, `an address of user ${userId}`, [
      { sql: 'SELECT COUNT(*) INTO @shop_address FROM addresses WHERE address_id = ? AND user_id = ?;', params: [a.addressId, userId] },
      {
        sql: 'UPDATE addresses SET line1 = ?, city = ?, region = ?, country = ?, postal_code = ?, cluster = ? WHERE address_id = ? AND user_id = ?;',
        params: [a.line1, a.city, a.region, a.country, a.postalCode, a.cluster, a.addressId, userId],
      },
      { sql: 'IF @shop_address = 1 AND ? THEN UPDATE users SET default_address_id = ? WHERE user_id = ?; END IF;', params: [makeDefault, a.addressId, userId] },
    ], 'SELECT @shop_address AS found');
    return Number(found) === 1;
  }

  /** Deletes one of the user's addresses; false when the user has no such address. */
  async deleteAddress(userId: string, addressId: string): Promise<boolean> {
    const { deleted } = await underUserLock<{ deleted: number | string }>(this.pool, userId, `an address of user ${userId}`, [
      { sql: 'DELETE FROM addresses WHERE address_id = ? AND user_id = ?;', params: [addressId, userId] },
      { sql: 'SET @shop_address = ROW_COUNT();' },
      // The default moves to the newest remaining address, so a user with addresses always has one.
      {
        sql: `IF @shop_address = 1 THEN
          UPDATE users SET default_address_id = (SELECT address_id FROM addresses WHERE user_id = ? ORDER BY created_at DESC, address_id DESC LIMIT 1)
            WHERE user_id = ? AND default_address_id = ?;
        END IF;`,
        params: [userId, userId, addressId],
      },
    ], 'SELECT @shop_address AS deleted');
    return Number(deleted) === 1;
  }
}
