// The users service: signup, login, the user information page, profile and addresses.
// Stateless (any gateway process runs it); MariaDB is the record, Redis caches the page,
// and every write invalidates that cache for all processes and announces the change.
import { createHash, randomBytes } from 'node:crypto';
import { ClusterError, RejectedError } from '../../cluster/index.ts';
import type { ReadThroughCache } from '../../stores/redis/index.ts';
import { isDuplicateKey, type UserRecord, type UserRepository } from '../../stores/mysql/users.ts';
import { issueToken, type SessionApi, type SessionService } from '../session/index.ts';
import { burnPasswordCheck, hashPassword, verifyPassword } from './password.ts';
import { deliveryCluster } from './region.ts';

export interface AddressView {
  addressId: string; line1: string; city: string; region: string; country: string; postalCode: string; cluster: string; isDefault: boolean;
}
/** Exactly one of `discountPercent` and `amountOff` is a number, the other null (as an admin coupon is created). */
export interface CouponView { code: string; description: string; discountPercent: number | null; amountOff: number | null; currency: string | null; expiresAt: string | null }
export interface MeView {
  userId: string; email: string; name: string; addresses: AddressView[]; defaultAddressId: string | null; rewardPoints: number; coupons: CouponView[];
}
export interface NewAddress { line1: string; city: string; region: string; country: string; postalCode: string; isDefault?: boolean }
export interface Authenticated { userId: string; token: string }

/** A signup whose account was created but whose session could not be opened (503 `outcome_unknown`). */
export class AccountWithoutSessionError extends ClusterError {
  override name = 'AccountWithoutSessionError';
  constructor(cause: unknown) {
    super('outcome_unknown', 'the account was created, but no session could be opened for it: log in with its email and password', { retryable: false, cause });
  }
}

export interface UsersDeps {
  users: UserRepository;
  sessions: SessionApi;
  cache: ReadThroughCache<MeView>;
  /** Told after every committed change to a user (cache invalidation has happened already). */
  onChange(userId: string, what: string): void;
  sessionTtlMs: number;
  /** The user's own sessions: a password change ends all but the caller's. */
  userSessions?: SessionService;
  maxAddresses?: number;
  /** The delivery cluster of an address (operator zones); the built-in rule when absent. */
  clusterOf?(country: string, region: string, postalCode: string): Promise<string>;
}

export const signupRewardPoints = 100;

/**
 * The code of the coupon every new account gets (10% off the first order). Admin coupons
 * may not take it: a user who had used their own would redeem it again as the admin's.
 */
export const welcomeCouponCode = 'WELCOME10';

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function view(u: UserRecord): MeView {
  return {
    userId: u.userId, email: u.email, name: u.name, defaultAddressId: u.defaultAddressId, rewardPoints: u.rewardPoints,
    addresses: u.addresses.map(({ createdAt: _, ...a }) => ({ ...a, isDefault: a.addressId === u.defaultAddressId })),
    coupons: u.coupons.map((c) => ({
      code: c.code, description: c.description, discountPercent: c.amountOff === undefined ? c.discountPercent : null, amountOff: c.amountOff ?? null, currency: c.currency ?? null,
      expiresAt: c.expiresAt === null ? null : new Date(c.expiresAt).toISOString(),
    })),
  };
}

const notFound = () => new RejectedError('not_found', 'no such user');

export class UsersService {
  constructor(private readonly deps: UsersDeps) {}

  private clusterOf(country: string, region: string, postalCode: string): Promise<string> {
    return this.deps.clusterOf ? this.deps.clusterOf(country, region, postalCode) : Promise.resolve(deliveryCluster(country, region, postalCode));
  }

  /**
   * With an Idempotency-Key the user id is derived from it and the email, so a retry of a
   * signup whose account was created but whose answer was not (the session could not be
   * opened: NATS down, a node moving) finds its own account and answers it with a new
   * session, as the first attempt would have, instead of 409 `email_taken`. It must prove
   * the password too, so the key alone opens nothing.
   */
  async signup(input: { email: string; password: string; name: string }, device: string, idempotencyKey?: string): Promise<Authenticated> {
    const email = normalizeEmail(input.email);
    const pw = await hashPassword(input.password);
    const userId = idempotencyKey === undefined
      ? `u${randomBytes(12).toString('hex')}`
      : `u${createHash('sha256').update(`signup\n${email}\n${idempotencyKey}`).digest('hex').slice(0, 24)}`;
    /** A keyed retry's account, made by its first attempt: the hash its password matched. */
    let earlier: Buffer | undefined;
    try {
      await this.deps.users.create({
        userId, email, name: input.name.trim(), passwordHash: pw.hash, passwordSalt: pw.salt, passwordParams: pw.params,
        rewardPoints: signupRewardPoints,
        coupon: { couponId: `c${randomBytes(12).toString('hex')}`, code: welcomeCouponCode, description: '10% off your first order', discountPercent: 10, expiresAt: Date.now() + 30 * 86_400_000 },
      });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      earlier = idempotencyKey === undefined ? undefined : await this.ownEarlierSignup(userId, email, input.password);
      if (!earlier) throw new RejectedError('email_taken', 'an account with this email exists');
    }
    try {
      return await this.openSession(userId, device, earlier);
    } catch (err) {
      // Without a key a retry meets this very account (409 email_taken), so "unavailable,
      // nothing applied" would be false: say the account exists and how to get a token.
      // A keyed retry answers the account itself (above), so it keeps the plain 503.
      if (idempotencyKey === undefined) throw new AccountWithoutSessionError(err);
      throw err;
    }
  }

  /**
   * The password hash of `email`'s account when it is the one an earlier attempt of this
   * keyed signup created (its derived id) and `password` is its password; else undefined.
   */
  private async ownEarlierSignup(userId: string, email: string, password: string): Promise<Buffer | undefined> {
    const cred = await this.deps.users.credentialsByEmail(email);
    if (!cred || cred.userId !== userId) return undefined;
    const ok = await verifyPassword(password, { hash: cred.passwordHash, salt: cred.passwordSalt, params: cred.passwordParams });
    return ok ? cred.passwordHash : undefined;
  }

  /** Rejects `invalid_credentials` for an unknown email or a wrong password alike. */
  async login(input: { email: string; password: string }, device: string): Promise<Authenticated> {
    const cred = await this.deps.users.credentialsByEmail(normalizeEmail(input.email));
    const ok = cred
      ? await verifyPassword(input.password, { hash: cred.passwordHash, salt: cred.passwordSalt, params: cred.passwordParams })
      : await burnPasswordCheck(input.password);
    if (!ok || !cred) throw new RejectedError('invalid_credentials', 'the email or password is wrong');
    return this.openSession(cred.userId, device, cred.passwordHash);
  }

  /**
   * Changes the password of a signed-in user who proves the current one, then ends every
   * other session of theirs (through each session's entity, as a logout); `keepSessionId`,
   * the caller's, stays. Rejects `invalid_credentials` for a wrong current password, and
   * `same_password` when the new one is the current one. The new hash is committed before
   * any session is ended. A retry of a change that was stored but not answered (ending the
   * sessions failed: a 503) finds the new password already current and finishes the job.
   */
  async changePassword(userId: string, input: { currentPassword: string; newPassword: string }, keepSessionId: string | undefined): Promise<void> {
    const sessions = this.deps.userSessions;
    if (!sessions) throw new Error('changePassword needs userSessions');
    const cred = await this.deps.users.credentialsById(userId);
    const stored = cred && { hash: cred.passwordHash, salt: cred.passwordSalt, params: cred.passwordParams };
    const ok = stored ? await verifyPassword(input.currentPassword, stored) : await burnPasswordCheck(input.currentPassword);
    if (!ok || !stored) {
      // Knowing the password that is current now proves as much as knowing the old one did:
      // this is the retry of a change already stored. A refusal tried two guesses, and the
      // route counts it twice against login's per-account failure count, which it shares.
      if (stored && (await verifyPassword(input.newPassword, stored))) {
        await sessions.revokeOthers(userId, keepSessionId);
        return;
      }
      throw new RejectedError('invalid_credentials', 'the current password is wrong');
    }
    // Hashed in NFKC form (password.ts): two spellings of one form are the same password.
    if (input.currentPassword.normalize('NFKC') === input.newPassword.normalize('NFKC')) {
      throw new RejectedError('same_password', 'the new password is the current one');
    }
    const pw = await hashPassword(input.newPassword);
    if (!(await this.deps.users.updatePassword(userId, stored.hash, { passwordHash: pw.hash, passwordSalt: pw.salt, passwordParams: pw.params }))) {
      // Changed since it was checked (another change got there first): the current password
      // given is no longer the current one.
      throw new RejectedError('invalid_credentials', 'the current password is wrong');
    }
    await sessions.revokeOthers(userId, keepSessionId);
  }

  /** A fresh session for a user whose identity was already proven (an idempotent replay of signup or login). */
  reissue(userId: string, device: string): Promise<Authenticated> {
    return this.openSession(userId, device);
  }

  /**
   * A new session for `userId`. With `verifiedHash`, the password hash the caller checked a
   * password against (a login, a keyed signup's retry): a password change that stored its
   * hash meanwhile would not find this session when it ends the others (it may have read
   * them before this one was opened), so the hash is read again once the session is stored.
   * Unchanged, any later change finds the session; changed, it is closed here and the
   * caller told the password is wrong.
   */
  private async openSession(userId: string, device: string, verifiedHash?: Buffer): Promise<Authenticated> {
    const t = issueToken();
    await this.deps.sessions.open(t.tokenHash, userId, device, this.deps.sessionTtlMs);
    if (verifiedHash) {
      const now = await this.deps.users.credentialsById(userId);
      if (!now || !now.passwordHash.equals(verifiedHash)) {
        // Its token was never given out: a close that fails leaves a session nobody can use.
        await this.deps.sessions.close(t.tokenHash).catch(() => undefined);
        throw new RejectedError('invalid_credentials', 'the email or password is wrong');
      }
    }
    return { userId, token: t.token };
  }

  async me(userId: string): Promise<MeView> {
    const v = await this.deps.cache.get(userId, async () => {
      const u = await this.deps.users.load(userId);
      return u && view(u);
    });
    if (!v) throw notFound();
    // The page is cached for CACHE_TTL_SECONDS: a coupon that expired meanwhile was still
    // offered on it (and refused at checkout, 422 coupon_invalid) for up to ten minutes.
    const now = Date.now();
    const live = v.coupons.filter((c) => c.expiresAt === null || Date.parse(c.expiresAt) > now);
    return live.length === v.coupons.length ? v : { ...v, coupons: live };
  }

  async rename(userId: string, name: string): Promise<MeView> {
    await this.deps.users.updateName(userId, name.trim());
    await this.changed(userId, 'profile');
    return this.me(userId);
  }

  async addAddress(userId: string, a: NewAddress): Promise<AddressView> {
    const max = this.deps.maxAddresses ?? 50;
    const full = () => new RejectedError('too_many_addresses', `at most ${max} addresses per user`, { data: { max } });
    // Checked here first so a full user costs no lookup of the delivery cluster; the add
    // counts again under the user's lock, which is what holds the cap under concurrent adds.
    if ((await this.deps.users.countAddresses(userId)) >= max) throw full();
    const addressId = `a${randomBytes(12).toString('hex')}`;
    const country = a.country.toUpperCase();
    const record = { addressId, line1: a.line1.trim(), city: a.city.trim(), region: a.region.trim(), country, postalCode: a.postalCode.trim(), cluster: await this.clusterOf(country, a.region, a.postalCode) };
    const isDefault = await this.deps.users.addAddress(userId, record, a.isDefault === true, max);
    if (isDefault === 'full') throw full();
    await this.changed(userId, 'address');
    return { ...record, isDefault };
  }

  /** Changes an address's fields (its delivery cluster follows) and, with isDefault, makes it the default. */
  async updateAddress(userId: string, addressId: string, patch: Partial<NewAddress>): Promise<AddressView> {
    const u = await this.deps.users.load(userId);
    const current = u?.addresses.find((a) => a.addressId === addressId);
    if (!u || !current) throw new RejectedError('not_found', 'no such address');
    // A user with addresses always has a default (deleteAddress moves it): another one is
    // made the default, this one is not unmade.
    if (patch.isDefault === false && u.defaultAddressId === addressId) {
      throw new RejectedError('default_address', 'this is the default address; make another address the default instead', { data: { addressId } });
    }
    const country = (patch.country ?? current.country).toUpperCase();
    const region = patch.region?.trim() ?? current.region;
    const postalCode = patch.postalCode?.trim() ?? current.postalCode;
    const record = {
      addressId, line1: patch.line1?.trim() ?? current.line1, city: patch.city?.trim() ?? current.city, region, country, postalCode,
      cluster: await this.clusterOf(country, region, postalCode),
    };
    if (!(await this.deps.users.updateAddress(userId, record, patch.isDefault === true))) throw new RejectedError('not_found', 'no such address');
    await this.changed(userId, 'address');
    return { ...record, isDefault: patch.isDefault === true || u.defaultAddressId === addressId };
  }

  /** Another user's address is "not found", exactly like one that never existed. */
  async deleteAddress(userId: string, addressId: string): Promise<void> {
    if (!(await this.deps.users.deleteAddress(userId, addressId))) {
      throw new RejectedError('not_found', 'no such address');
    }
    await this.changed(userId, 'address');
  }

  async exists(userId: string): Promise<boolean> {
    return (await this.deps.users.load(userId)) !== undefined;
  }

  /** Drops the cached page (something else changed the user's points or coupons). */
  async invalidate(userId: string): Promise<void> {
    await this.deps.cache.invalidate(userId);
  }

  private async changed(userId: string, what: string): Promise<void> {
    await this.deps.cache.invalidate(userId);
    this.deps.onChange(userId, what);
  }
}
