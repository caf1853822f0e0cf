// Idempotency-Key on POST: the first request with a key does the work and its response is
// kept in Redis; the same key with the same body gets that response again (status and
// body), also while the first is still running (it waits for it); the same key with a
// different body is 422 `idempotency_key_reused`. Keys are scoped per user, to the
// operator (the admin token), or per device for anonymous calls, so two callers never see
// each other's responses.
//
// Only final answers are kept: a 2xx or a 4xx other than a 429 (and the few refusals that
// say "try again"). A 503 that says nothing was applied (`unavailable`, `overloaded`) frees
// the key, so a retry does the work. An answer whose outcome is unknown (a `timeout`, a
// 500) keeps the key locked for `unknownHoldMs`, longer than the first attempt can still be
// running anywhere: a retry meanwhile gets 409 `request_in_progress` instead of doing the
// work a second time. A bearer token in a kept answer (signup, login) is never stored in
// the clear: it is sealed (AES-256-GCM) under a key derived from the Idempotency-Key and
// the request's body, which only a replay of the same request brings, and the replay
// answers the first response with the same token.
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { GatewayEnv } from './env.ts';
import { HttpError } from './errors.ts';
import { luaScript, runScript } from '../stores/redis/index.ts';
import { isJsonType, isNdjsonType, rawBody } from './body.ts';
import { deviceIdPattern } from './schemas-personalisation.ts';

/** `c`: this claim's own id, so a claim whose SET timed out can be taken back by value. */
interface Pending { s: 'pending'; fp: string; c?: string }
interface Unknown { s: 'unknown'; fp: string; until: number }
/**
 * `sealed`: the answer's token, sealed (see `sealToken`); `body` holds "" in its place.
 * `reissue`: the token's user, so that a gateway of an earlier release, which re-issued a
 * session on a replay instead of storing the token, still answers one during an upgrade.
 */
interface Done { s: 'done'; fp: string; status: number; body: string; type: string | null; reissue?: string; sealed?: string }
type Stored = Pending | Unknown | Done;

export interface IdempotencyOptions {
  /** How long a final answer is kept for replays. */
  ttlSeconds: number;
  /** How long a key stays locked after an answer whose outcome is unknown. */
  unknownHoldMs: number;
  /**
   * Opens a fresh session for a replayed signup/login whose token was not kept: an answer
   * kept by a gateway of an earlier release.
   */
  reissue(userId: string, device: string): Promise<string>;
  /** Where a record that could not be written is reported. */
  log?: Pick<Logger, 'warn'>;
  /**
   * The cluster's key for fingerprints of password-bearing requests (ClusterSecrets, in
   * MariaDB). Without it (a gateway built without a database) they are plain SHA-256 too.
   */
  fingerprintKey?: () => Promise<Buffer>;
  /**
   * POST paths whose key is ignored: idempotent by themselves, where a key would only hold
   * a retry after a 503 `timeout` with 409 (the logout: a session closes once, and a repeat
   * answers alike).
   */
  keyless?: ReadonlySet<string>;
}

/** The 🛠 routes: refused (403) to anyone without the admin token, before this middleware (app.ts). */
const adminPaths = '/v1/admin/';
/** The one route that reads NDJSON (bulk product onboarding). */
const ndjsonPath = '/v1/admin/products';

const keyPattern = /^[\x20-\x7e]{1,255}$/;
/**
 * The claim of a key while its first request runs is a lease: renewed every
 * `pendingRenewMs` while the request runs, so a gateway killed mid-request frees the key
 * within `pendingTtlMs` (it held it 60 s, and retries through another gateway got 409 for
 * that long). Should a claim lapse while its request still runs (a gateway stalled past
 * the TTL), a retry runs the work again, which checkout and pay repeat safely (the order id
 * is the key's, the charge the order's).
 */
const pendingTtlMs = 10_000;
const pendingRenewMs = 3_000;
const waitForFirstMs = 15_000;
/**
 * 503 codes after which a retry is safe, so the key is freed for it: nothing was applied
 * (`unavailable`, `overloaded`), or the order entity repeats the same stored charge and
 * answers the order's true state (`payment_pending`).
 */
const notApplied = new Set(['unavailable', 'overloaded', 'payment_pending']);
/** 4xx refusals that are not the request's final answer. */
const notFinal = new Set(['rate_limited', 'request_in_progress', 'payment_in_progress']);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Redis failed before the request did anything: "not applied", whatever the Redis error was. */
function storeDown(): HttpError {
  return new HttpError(503, 'unavailable', 'the idempotency store is not answering; nothing was done; retry with the same key', undefined, 1);
}

/**
 * Acts on a key only while it holds this request's claim (ARGV[1]), or nothing: a claim that
 * lapsed (a gateway stalled past its lease) may have passed to a retry, whose record this
 * request must not cut short, delete or overwrite. ARGV[2] '' deletes; else it is stored
 * for ARGV[3] ms.
 */
const replaceIfMine = luaScript(`local v = redis.call('GET', KEYS[1])
if v ~= ARGV[1] and v ~= false then return 0 end
if ARGV[2] == '' then return redis.call('DEL', KEYS[1]) end
return redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])`);
const renewIfMine = luaScript("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0");

function errorCode(body: string): string | undefined {
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

function inProgress(retryAfterMs: number): HttpError {
  return new HttpError(409, 'request_in_progress', 'a request with this Idempotency-Key is still being processed or its outcome is not known yet; retry later',
    undefined, Math.max(1, Math.ceil(retryAfterMs / 1000)));
}

/**
 * The key a token is sealed under: from the Idempotency-Key and the request's body (a login's
 * password among it), which a replay brings and Redis never holds. The body's own hash,
 * `fp`, is kept; this differs from it by a label and the key, so it is no easier to guess.
 */
function sealingKey(idempotencyKey: string, body: string): Buffer {
  return createHash('sha256').update('shop idempotency token\n').update(idempotencyKey).update('\n').update(body).digest();
}

function sealToken(token: string, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const sealed = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
}

function openToken(sealed: string, key: Buffer): string {
  const raw = Buffer.from(sealed, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}

/**
 * The answer to keep: a token in it sealed, "" in its place (the same key order on replay).
 * Only an answer with a token (signup, login) is parsed, and only then is the sealing key
 * derived: a checkout or payment kept under its key pays for neither.
 */
function withTokenSealed(body: string, key: () => Buffer): { body: string; reissue?: string; sealed?: string } {
  if (!body.includes('"token"')) return { body };
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    if (typeof parsed.token === 'string' && typeof parsed.userId === 'string') {
      const sealed = sealToken(parsed.token, key());
      return { body: JSON.stringify({ ...parsed, token: '' }), reissue: parsed.userId, sealed };
    }
  } catch {
    // not JSON: nothing to seal
  }
  return { body };
}

/** Routes whose bodies carry a password: their records keep no fast hash of it. */
const passwordBodies = new Set(['/v1/auth/signup', '/v1/auth/login', '/v1/me/password']);

/**
 * A password-bearing request's fingerprint and sealing material: HMACs under the cluster's
 * key, with the scope and the Idempotency-Key in them. The plain SHA-256 of the body let
 * whoever reads Redis test password guesses at hash speed (where the users table makes each
 * cost a scrypt), and gave the same value for the same passwords under every key. A scrypt
 * per request instead was refused: it would run before the login limits, so anyone could
 * make a gateway spend one per keyed request.
 */
function keyedFingerprint(secret: Buffer, method: string, path: string, body: string, scope: string, key: string): { fp: string; seal: string } {
  const mac = (what: string) => createHmac('sha256', secret).update(`${what}\n${scope}\n${key}\n${method} ${path}\n`).update(body).digest('hex');
  return { fp: `h:${mac('fingerprint')}`, seal: mac('seal') };
}

function fingerprint(method: string, path: string, body: string): string {
  return createHash('sha256').update(`${method} ${path}\n`).update(body).digest('hex');
}

/**
 * The body as the fingerprint compares it: a JSON body in one canonical spelling (keys
 * sorted, no white space), so the same request sent again by a client that orders its keys
 * otherwise, or pretty-prints, is the same body; anything else (NDJSON) as it is.
 */
export function canonicalBody(text: string): string {
  try {
    return canonicalJson(JSON.parse(text));
  } catch {
    // Not JSON, or nested deeper than the recursion goes (JSON.parse is not recursive; a
    // 10 KB body of brackets overflowed canonicalJson's stack): compared as it is.
    return text;
  }
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function idempotency(redis: Redis, prefix: string, opts: IdempotencyOptions): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const key = c.req.header('idempotency-key');
    if (c.req.method !== 'POST' || key === undefined || opts.keyless?.has(c.req.path)) return next();
    if (!keyPattern.test(key)) throw new HttpError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1-255 printable ASCII characters');
    // A user's keys are theirs; an anonymous client's were its address's, so a signup or an
    // event retried from another network (a phone leaving Wi-Fi) ran again: 409 email_taken
    // for its own signup, or the event stored twice. Anonymous keys are the device's when it
    // names one, else shared: keys are random, and the fingerprint (method, path and body)
    // still refuses a key reused for another request.
    // The operator's keys are a scope of their own: under the anonymous scope, a caller with
    // no token who sent the same key and body got the operator's answer back (a coupon, a
    // shipped order with the customer's address). Only a request with the admin token comes
    // this far on an admin route (app.ts checks it first, with its limit on wrong ones), and
    // only there is the token looked at: asked on every keyed POST, whether a replay came
    // back told a guess right from wrong.
    const admin = c.req.path.startsWith(adminPaths);
    const device = c.req.header('x-device-id');
    const anonymousScope = device !== undefined && deviceIdPattern.test(device) ? `device:${device}` : 'anon';
    const scope = admin ? 'admin' : c.get('userId') ?? anonymousScope;
    const raw = await rawBody(c);
    // A body of a media type no route reads is refused before the key is looked at (and its
    // 415 is not kept, see settle): the fingerprint compares bytes, so a text/plain retry of
    // a JSON request was replayed the JSON request's answer, and a client that corrected
    // its Content-Type and retried with the key was replayed the 415 for 24 hours.
    const type = c.req.header('content-type');
    if (raw.trim() !== '' && !isJsonType(type) && !(isNdjsonType(type) && c.req.path === ndjsonPath)) {
      throw new HttpError(415, 'unsupported_media_type', 'send Content-Type: application/json');
    }
    const body = canonicalBody(raw);
    const fastFp = fingerprint(c.req.method, c.req.path, body);
    let keyed: { fp: string; seal: string } | undefined;
    if (opts.fingerprintKey && passwordBodies.has(c.req.path)) {
      // Nothing is claimed yet: not applied, whatever the database's trouble was.
      const secret = await opts.fingerprintKey().catch(() => {
        throw storeDown();
      });
      keyed = keyedFingerprint(secret, c.req.method, c.req.path, body, scope, key);
    }
    const fp = keyed?.fp ?? fastFp;
    /** What a token in the answer is sealed under, with the key: never the password-bearing body itself. */
    const sealWith = keyed?.seal ?? body;
    // This request's; or as a first request kept it before password-bearing fingerprints
    // were keyed (a release before: remove in the release after next, when such records,
    // kept IDEMPOTENCY_TTL_SECONDS, are gone), or before fingerprints were canonical (raw text).
    const sameRequest = (kept: string) => kept === fp || kept === fastFp || (raw !== body && kept === fingerprint(c.req.method, c.req.path, raw));
    /** The kept answer again, a token it carried back in its place. */
    const replay = async (stored: Done): Promise<Response> => {
      const headers: Record<string, string> = { 'Idempotent-Replayed': 'true' };
      if (stored.type) headers['Content-Type'] = stored.type;
      let text = stored.body;
      if (stored.sealed) {
        // Sealed under the body's canonical spelling, or its raw text before fingerprints were canonical.
        text = JSON.stringify({ ...(JSON.parse(stored.body) as object), token: openToken(stored.sealed, sealingKey(key, stored.fp === fp ? sealWith : stored.fp === fastFp ? body : raw)) });
      } else if (stored.reissue) {
        const token = await opts.reissue(stored.reissue, (c.req.header('user-agent') ?? '').slice(0, 200));
        text = JSON.stringify({ ...(JSON.parse(stored.body) as object), token });
      }
      return c.newResponse(stored.status === 204 ? null : text, stored.status as 200, headers);
    };
    const keyHash = createHash('sha256').update(key).digest('hex').slice(0, 40);
    const redisKey = `${prefix}:idem:${scope}:${keyHash}`;

    const until = Date.now() + waitForFirstMs;
    const claim = JSON.stringify({ s: 'pending', fp, c: randomBytes(8).toString('hex') } satisfies Pending);
    for (;;) {
      const won = await redis.set(redisKey, claim, 'PX', pendingTtlMs, 'NX').catch(() => {
        // A claim that timed out may still run when a hung Redis resumes, and then hold the
        // key for the client's retry (10 s): a delete of this very claim is queued behind it.
        // Nothing else was done, so this is "not applied", whatever the Redis error was.
        void runScript(redis, replaceIfMine, [redisKey], [claim, '', '0']).catch(() => undefined);
        throw storeDown();
      });
      if (won) break;
      const kept = await redis.get(redisKey).catch(() => {
        throw storeDown();
      });
      if (kept === null) continue; // the first attempt failed and let go of the key: take it
      const stored = JSON.parse(kept) as Stored;
      if (!sameRequest(stored.fp)) {
        throw new HttpError(422, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request; use a new key');
      }
      if (stored.s === 'done') return replay(stored);
      // Nothing will settle an unknown outcome before its hold ends: say so at once.
      if (stored.s === 'unknown') throw inProgress(stored.until - Date.now());
      if (Date.now() > until) throw inProgress(1000);
      await sleep(25);
    }

    if (admin) {
      // An answer a gateway of the release before kept for this request, under the
      // anonymous (or device) scope, is this key's first answer: without this, a retry
      // across a rolling deploy ran the work again (409 coupon_exists where the first
      // answer was 201). A 401 or 403 there is someone else's try, never the operator's.
      // Remove in the release after next: such records expire IDEMPOTENCY_TTL_SECONDS (24 h
      // by default) after the upgrade that gave the operator a scope of its own.
      const legacy = await redis.get(`${prefix}:idem:${anonymousScope}:${keyHash}`).catch(() => null);
      const earlier = legacy === null ? undefined : (JSON.parse(legacy) as Stored);
      if (earlier?.s === 'done' && sameRequest(earlier.fp) && earlier.status !== 401 && earlier.status !== 403) {
        await runScript(redis, replaceIfMine, [redisKey], [claim, JSON.stringify({ ...earlier, fp }), String(opts.ttlSeconds * 1000)]).catch(() => undefined);
        return replay(earlier);
      }
    }

    const renew = setInterval(() => void runScript(redis, renewIfMine, [redisKey], [claim, String(pendingTtlMs)]).catch(() => undefined), pendingRenewMs);
    try {
      await next();
    } catch (err) {
      // Thrown past the error handler (should not happen): the outcome is unknown.
      await hold(redis, redisKey, claim, fp, opts.unknownHoldMs).catch(() => undefined);
      throw err;
    } finally {
      clearInterval(renew);
    }
    // The work is done: what Redis does now must not change the answer. Were a failure here
    // thrown, the error handler would answer 503 "unavailable" (nothing applied) for work
    // that was applied. A record not written leaves the claim to lapse, and a retry then
    // repeats the work, which is idempotent where it matters.
    // Nor does the answer wait for the record: on a hung Redis that held it a command
    // timeout (or two) after the work was done. A retry that comes before the record finds
    // the claim still pending and waits for it, as for a first request still running.
    void settle(redis, redisKey, claim, fp, key, sealWith, c.res, opts).catch((err: unknown) => {
      opts.log?.warn({ err: String(err), path: c.req.path }, 'idempotency record not written; the key is freed when its claim lapses');
    });
  };
}

/** Keeps the answer for replays, frees the key, or holds it after an unknown outcome. */
async function settle(redis: Redis, redisKey: string, claim: string, fp: string, key: string, sealWith: string, res: Response, opts: IdempotencyOptions): Promise<void> {
  const text = await res.clone().text();
  const code = res.status >= 400 ? errorCode(text) : undefined;
  const free = () => runScript(redis, replaceIfMine, [redisKey], [claim, '', '0']);
  if (res.status >= 500) {
    if (code !== undefined && notApplied.has(code)) await free();
    else await hold(redis, redisKey, claim, fp, opts.unknownHoldMs);
    return;
  }
  // A 415 is about how the body was sent, not the request: the corrected retry does the work.
  if (res.status === 429 || res.status === 415 || (code !== undefined && notFinal.has(code))) {
    await free();
    return;
  }
  const kept = withTokenSealed(text, () => sealingKey(key, sealWith));
  const done: Done = {
    s: 'done', fp, status: res.status, body: kept.body, type: res.headers.get('content-type'),
    ...(kept.reissue ? { reissue: kept.reissue } : {}), ...(kept.sealed ? { sealed: kept.sealed } : {}),
  };
  await runScript(redis, replaceIfMine, [redisKey], [claim, JSON.stringify(done), String(opts.ttlSeconds * 1000)]);
}

async function hold(redis: Redis, redisKey: string, claim: string, fp: string, ms: number): Promise<void> {
  const unknown: Unknown = { s: 'unknown', fp, until: Date.now() + ms };
  await runScript(redis, replaceIfMine, [redisKey], [claim, JSON.stringify(unknown), String(ms)]);
}
